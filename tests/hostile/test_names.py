"""Hostile titles, authors, tags and feed titles: safe unique file names, front matter that reads
back exactly, nothing written outside ``-o``, no control characters on the terminal, and books
that pass EPUBCheck, whatever the grouping (author, tag, feed) and form (folder, zip, one file).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.hostile.names import HOSTILE_NAMES, names_feed, unsafe_names, write_names_feed
from tests.hostile.runner import Run, assert_clean_stderr, example_sources, run_command

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what must never reach a terminal
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")  # what titles lose
RUNS = {
    "jsonl": ("jsonl",),
    "list": ("list",),
    "epub-by-author": ("epub",),
    "epub-by-tag": ("epub", "--group-by", "tag"),
    "epub-by-feed": ("epub", "--group-by", "feed"),
    "markdown-by-author": ("markdown",),
    "markdown-by-tag": ("markdown", "--group-by", "tag"),
    "markdown-zip": ("markdown", "--zip"),
    "markdown-single-file": ("markdown", "--single-file", "--group-by", "feed"),
}


class _Runs(dict[str, Run]):
    """The names feed through one of ``RUNS``, run when first asked for (once per worker)."""

    def __init__(self, work: Path) -> None:
        super().__init__()
        self.work = work
        self.sources = [str(write_names_feed(work)), *example_sources()]

    def __missing__(self, label: str) -> Run:
        command, *extra = RUNS[label]
        out = self.work / label if command in ("epub", "markdown") else None
        # Every revision: names that fold to the same title and author are kept apart.
        self[label] = run_command(command, self.sources, out, *extra, "--all-revisions")
        return self[label]


@pytest.fixture(scope="module")
def name_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return _Runs(tmp_path_factory.mktemp("names"))


@pytest.fixture(scope="module")
def records(name_runs: dict[str, Run]) -> dict[str, dict[str, Any]]:
    lines = name_runs["jsonl"].stdout.decode().splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


@pytest.mark.parametrize("label", RUNS)
def test_every_command_reads_the_hostile_names(label: str, name_runs: dict[str, Run]) -> None:
    run = name_runs[label]
    assert_clean_stderr(run)
    assert run.code == 0, run.stderr
    assert not _CONTROL.search(run.stderr)
    if label == "list":
        assert not _CONTROL.search(run.stdout.decode()), "control characters reach the terminal"


@pytest.mark.parametrize(
    "label", [label for label, args in RUNS.items() if args[0] != "jsonl" and args[0] != "list"]
)
def test_file_names_are_safe_unique_and_inside_the_output(
    label: str, name_runs: dict[str, Run]
) -> None:
    run = name_runs[label]
    assert run.output_dir is not None and run.files
    assert unsafe_names(run.files, run.output_dir) == []
    assert unsafe_names(run.output_dir.rglob("*"), run.output_dir) == []  # folders too
    for archive in (path for path in run.files if path.suffix == ".zip"):
        with zipfile.ZipFile(archive) as opened:
            names = [Path(archive.stem) / name for name in opened.namelist()]
        assert all(not name.is_absolute() and ".." not in name.parts for name in names)
        root = archive.parent / archive.stem
        assert unsafe_names([archive.parent / name for name in names], archive.parent) == []
        assert all(name.parts[0] == root.name for name in names)


def test_every_hostile_name_comes_out_as_a_title(records: dict[str, dict[str, Any]]) -> None:
    for number, name in enumerate(HOSTILE_NAMES):
        record = records[f"name-{number}"]
        expected = " ".join(_DROPPED.sub("", name).split())  # one line, no control characters
        if expected:
            assert record["title"] == expected
            assert [a["name"] for a in record["authors"]] == [expected]


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    block = text[4 : text.index("\n---\n", 4)]
    document = yaml.safe_load(block)
    assert isinstance(document, dict)
    return document


def test_front_matter_reads_back_to_the_json_lines_values(
    name_runs: dict[str, Run], records: dict[str, dict[str, Any]]
) -> None:
    articles = [
        path
        for path in name_runs["markdown-by-author"].files
        if path.suffix == ".md" and path.name not in ("README.md", "SUMMARY.md")
    ]
    assert len(articles) == len(records)
    for path in articles:
        matter = _front_matter(path)
        record = records[matter["id"]]
        assert matter["title"] == record["title"], path.name
        assert matter["authors"] == record["authors"]
        assert matter.get("tags", []) == record["tags"]
        assert matter["date"] == record["published"]
        assert matter.get("link") == (record["url"] or None)  # Hugo reads ``url``
        feed = record["feed"]
        web = feed["url"] if feed["url"].startswith(("https://", "http://")) else None
        assert matter["feed"] == {**feed, "url": web}  # never a local path
        assert matter["language"] == record["language"]
        assert matter["word_count"] == record["word_count"]
        for value in _strings({**matter, "feed": {**matter["feed"], "url": web or ""}}):
            assert isinstance(value, str)


def _strings(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item) if not isinstance(s, int)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value]


def test_single_file_metadata_block_reads_back(name_runs: dict[str, Run]) -> None:
    documents = [path for path in name_runs["markdown-single-file"].files if path.suffix == ".md"]
    assert documents
    for path in documents:
        matter = _front_matter(path)
        assert isinstance(matter["title"], str) and matter["title"]
        assert all(isinstance(author, str) for author in matter.get("author", []))


NASTIEST = ("\u202eexe.txt", "x" * 500, "nul\x00byte A\u030angstro\u0308m")


@pytest.fixture(scope="module")
def cover_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Covers draw each book's title and author: bidi overrides, NUL, 500 characters."""
    work = tmp_path_factory.mktemp("covers")
    feed = json.loads(names_feed())
    feed["items"] = feed["items"][: len(NASTIEST)]
    for item, name in zip(feed["items"], NASTIEST, strict=True):
        item["title"] = item["authors"][0]["name"] = name
    source = work / "nasty.json"
    source.write_text(json.dumps(feed))
    return run_command("epub", [str(source)], work / "books", cover=True)


def test_covers_draw_hostile_titles(cover_run: Run) -> None:
    assert_clean_stderr(cover_run)
    assert cover_run.code == 0, cover_run.stderr
    assert cover_run.output_dir is not None
    assert len(cover_run.epubs()) == len(NASTIEST)
    assert unsafe_names(cover_run.epubs(), cover_run.output_dir) == []


def test_books_named_by_hostile_names_pass_epubcheck(
    name_runs: dict[str, Run], cover_run: Run
) -> None:
    """One book holding every name (by feed), the books named by the nastiest names, and the
    books with covers: in one JVM (checking all ~80 books named by authors takes 20 s)."""
    nasty = {" ".join(_DROPPED.sub("", name).split()) for name in HOSTILE_NAMES[:12] + NASTIEST}
    books = {f"by-feed/{path.name}": path for path in name_runs["epub-by-feed"].epubs()}
    for path in name_runs["epub-by-author"].epubs():
        with zipfile.ZipFile(path) as archive:
            opf = next(name for name in archive.namelist() if name.endswith(".opf"))
            package = archive.read(opf).decode()
        if any(f">{_xml_escape(name)}<" in package for name in nasty if name):
            books[f"by-author/{path.name}"] = path
    books.update({f"covers/{path.name}": path for path in cover_run.epubs()})
    assert len(books) >= 10
    assert_all_epubcheck_clean(books)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
