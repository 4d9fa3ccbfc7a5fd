"""Markdown bundles: the files each book gets, front matter that parses back to the JSON Lines
record, links and images that resolve, mdBook's SUMMARY format, the same block structure as the
XHTML, and the rules for writing into folders that already exist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.convert.text import block_sequence_from_xhtml
from feed2book.filenames import MAX_NAME_BYTES
from feed2book.group import BookOptions, GroupBy, group_articles
from feed2book.models import Article, SeriesRef
from feed2book.output.bundles import write_folder
from feed2book.pipeline import collect
from feed2book.sources.resolver import SourceContext
from feed2book.writers.markdown import (
    FRONT_MATTER_SCRIPT,
    MANIFEST,
    STRIP_FRONT_MATTER,
    article_file_names,
    build_bundle,
    build_single_file,
    front_matter,
    yaml_string,
)
from tests.conftest import EXAMPLES
from tests.conversion_helpers import block_sequence_from_markdown
from tests.factory import make_article

runner = CliRunner()
_MARKDOWN = MarkdownIt("commonmark").enable("table")
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def markdown(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["markdown", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def jsonl_records(*sources: str) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, ["jsonl", *sources, "-q"])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return {str(record["id"]): record for record in records}


def read_articles(*sources: str) -> dict[str, Article]:
    def no_network(url: str) -> object:
        raise AssertionError(url)

    with collect(sources, SourceContext(fetch=no_network)) as collection:  # type: ignore[arg-type]
        return {article.id: article for article in collection.select()}


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    match = FRONT.match(text)
    assert match, text[:200]
    return yaml.safe_load(match.group(1)), text[match.end() :]


def article_body(text: str) -> str:
    """What follows the front matter (which holds the title: no heading repeats it) and the
    byline."""
    _, rest = split_front_matter(text)
    assert not rest.lstrip("\n").startswith("#")
    byline, _, body = rest.lstrip("\n").partition("\n\n")
    assert byline.startswith("*") and byline.endswith("*")
    return body


def summary_entries(text: str) -> list[tuple[str, str]]:
    """Parse SUMMARY.md by mdBook's grammar: a title, prefix chapters (plain links), then parts
    (``# Title``) holding list items that are each exactly one link. Returns (kind, target)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0] == "# Summary"
    entries: list[tuple[str, str]] = []
    seen_list = False
    link = re.compile(r"^\[(?:[^\]\\]|\\.)+\]\(([^)\s]+)\)$")
    for line in lines[1:]:
        if line.startswith("# "):
            entries.append(("part", line[2:]))
        elif line.startswith("- "):
            seen_list = True
            match = link.match(line[2:])
            assert match, line
            entries.append(("chapter", match.group(1)))
        else:
            match = link.match(line)
            assert match and not seen_list, f"prefix chapters come first: {line}"
            entries.append(("prefix", match.group(1)))
    return entries


def local_targets(text: str) -> list[str]:
    """Every relative link and image target of a Markdown document."""
    found: list[str] = []

    def walk(tokens: list[object]) -> None:
        for token in tokens:
            attrs = getattr(token, "attrs", None) or {}
            for name in ("href", "src"):
                value = attrs.get(name)
                if isinstance(value, str):
                    found.append(value)
            walk(getattr(token, "children", None) or [])

    walk(_MARKDOWN.parse(text))
    return [
        unquote(t.split("#")[0])
        for t in found
        if t and not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")
    ]


def check_bundle(folder: Path, records: dict[str, dict[str, object]] | None = None) -> None:
    """The whole contract of one bundle folder."""
    manifest = json.loads((folder / MANIFEST).read_text())
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == files
    for required in ["README.md", "SUMMARY.md", "book.toml", FRONT_MATTER_SCRIPT]:
        assert required in files
    articles = sorted(name for name in files if re.match(r"^\d{2,}-.+\.md$", name))
    for name in articles:
        assert len(name.encode()) <= MAX_NAME_BYTES
    entries = summary_entries((folder / "SUMMARY.md").read_text())
    chapters = [target for kind, target in entries if kind == "chapter"]
    assert sorted(chapters) == articles and len(set(chapters)) == len(chapters)
    assert ("prefix", "README.md") in entries
    for name in [*articles, "README.md", "SUMMARY.md"]:
        for target in local_targets((folder / name).read_text()):
            assert (folder / target).is_file(), f"{name}: {target} does not resolve"
    if records is not None:
        for name in articles:
            meta, _ = split_front_matter((folder / name).read_text())
            record = records[str(meta["id"])]
            assert meta["title"] == record["title"]
            assert meta["authors"] == record["authors"]
            assert meta["date"] == record["published"]
            assert meta.get("updated") == record["updated"]
            assert "url" not in meta  # Hugo reads ``url``: the record's url is ``link``
            assert meta.get("link") == (record["url"] or None)
            assert meta["tags"] == record["tags"]
            series = record["series"]
            if series:
                assert isinstance(series, dict)
                assert (meta["series"], meta["series_index"]) == (series["name"], series["index"])
            else:
                assert "series" not in meta
            feed = record["feed"]
            web = feed["url"] if feed["url"].startswith(("https://", "http://")) else None
            assert meta["feed"] == {**feed, "url": web}  # never a local path
            assert meta["language"] == record["language"]
            assert meta["reading_minutes"] == record["reading_minutes"]
            assert meta["word_count"] == record["word_count"]


# --- end to end ----------------------------------------------------------------------------


def test_examples_bundles(tmp_path: Path) -> None:
    code, err = markdown(str(EXAMPLES), "-o", str(tmp_path), "-q")
    assert code == 0, err
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert [p.name for p in folders] == [
        "lena-vogel-2026-05-12--2026-05-20",
        "priya-raman-2026-05-02--2026-05-06",
        "tomas-ferreira-2026-05-11--2026-05-15",
    ]
    records = jsonl_records(str(EXAMPLES))
    for folder in folders:
        check_bundle(folder, records)
        assert (folder / "cover.png").read_bytes().startswith(b"\x89PNG")
    readme = (folders[1] / "README.md").read_text()
    assert "![Cover](cover.png)" in readme and "**By** Priya Raman" in readme
    toml = (folders[1] / "book.toml").read_text()
    assert 'src = "."' in toml and 'title = "Priya Raman"' in toml


def test_seed_bundles(tmp_path: Path, seeds: list[Path]) -> None:
    sources = [str(p) for p in seeds]
    code, err = markdown(*sources, "-o", str(tmp_path), "-q", "--no-cover")
    assert code == 0, err
    records = jsonl_records(*sources)
    articles = read_articles(*sources)
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(folders) == 3
    written = 0
    for folder in folders:
        check_bundle(folder, records)
        for path in folder.glob("[0-9]*.md"):
            text = path.read_text()
            meta, _ = split_front_matter(text)
            expected = block_sequence_from_xhtml(articles[str(meta["id"])].content_html)
            assert block_sequence_from_markdown(article_body(text)) == expected, path.name
            written += 1
    assert written == len(records) == 48


def test_series_bundle_has_parts_in_order(tmp_path: Path, seeds: list[Path]) -> None:
    code, _ = markdown(*map(str, seeds), "--group-by", "series", "-o", str(tmp_path), "-q")
    assert code == 0
    [folder] = tmp_path.iterdir()
    entries = summary_entries((folder / "SUMMARY.md").read_text())
    days = [int(re.search(r"day-(\d+)", t).group(1)) for k, t in entries if k == "chapter"]  # type: ignore[union-attr]
    assert days == [19, 20, 21, 22, 23, 24, 25, 28, 29, 30, 31, 32, 33, 45, 46, 47, 48, 49]


def test_practice_feeds_bundle(tmp_path: Path, practice: list[Path]) -> None:
    feeds = [str(p) for p in practice if p.suffix != ".opml"]
    code, err = markdown(*feeds, "--group-by", "feed", "-o", str(tmp_path), "-q", "--no-cover")
    assert code == 0, err
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(folders) == 14
    for folder in folders:
        check_bundle(folder)


def test_zip_is_the_folder_and_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        code, err = markdown(str(EXAMPLES), "--zip", "-o", str(out), "-q")
        assert code == 0, err
    zips = sorted(first.glob("*.zip"))
    assert len(zips) == 3
    for path in zips:
        assert path.read_bytes() == (second / path.name).read_bytes()
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            assert all(name.startswith(path.stem + "/") for name in names)
            archive.extractall(tmp_path / "unzipped")
        check_bundle(tmp_path / "unzipped" / path.stem)


def test_folder_bundles_are_reproducible(tmp_path: Path) -> None:
    for out in ("a", "b"):
        assert markdown(str(EXAMPLES), "-o", str(tmp_path / out), "-q")[0] == 0
    left = {
        p.relative_to(tmp_path / "a"): p.read_bytes()
        for p in (tmp_path / "a").rglob("*")
        if p.is_file()
    }
    right = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in (tmp_path / "b").rglob("*")
        if p.is_file()
    }
    assert left == right


def test_single_file(tmp_path: Path) -> None:
    out = tmp_path / "priya.md"
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "--single-file", "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    meta, body = split_front_matter(text)
    assert meta["title"] == "Priya Raman" and meta["author"] == ["Priya Raman"]
    anchors = set(re.findall(r"\{#([\w-]+)\}", body))
    links = set(re.findall(r"\]\(#([\w-]+)\)", body))
    assert len(anchors) == 4 and links <= anchors and links
    assert "```rust" in body
    again = tmp_path / "again.md"
    markdown(str(EXAMPLES), "--author", "priya_raman", "--single-file", "-o", str(again), "-q")
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.skipif(
    not any(
        os.access(os.path.join(d, "pandoc"), os.X_OK) for d in os.environ.get("PATH", "").split(":")
    ),
    reason="pandoc is not installed",
)
def test_single_file_converts_with_pandoc(tmp_path: Path) -> None:
    out = tmp_path / "book.md"
    markdown(str(EXAMPLES), "--group-by", "none", "--single-file", "-o", str(out), "-q")
    result = subprocess.run(
        [
            "pandoc",
            str(out),
            "--fail-if-warnings",
            "-o",
            str(tmp_path / "book.html"),
            "--standalone",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "book.html").read_text()
    assert "<title>" in html and "Errors as Values" in html


def test_zip_and_single_file_together_is_a_usage_error(tmp_path: Path) -> None:
    code, err = markdown(str(EXAMPLES), "--zip", "--single-file", "-o", str(tmp_path))
    assert code == 2 and "cannot be used together" in err


# --- rebuilding into existing folders --------------------------------------------------------


def _one_bundle(tmp_path: Path) -> Path:
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path), "-q")
    assert code == 0, err
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    return folder


def test_rebuild_replaces_own_bundle_and_keeps_mdbook_output(tmp_path: Path) -> None:
    folder = _one_bundle(tmp_path)
    (folder / "book").mkdir()
    (folder / "book" / "index.html").write_text("mdbook output")
    (folder / "README.md").write_text("edited by hand")  # ours: replaced
    folder_inode = folder.stat().st_ino
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path))
    assert code == 0, err
    assert (folder / "README.md").read_text().startswith("# Priya Raman")
    assert (folder / "book" / "index.html").read_text() == "mdbook output"
    assert folder.stat().st_ino != folder_inode  # a new folder swapped in, not edited in place
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_foreign_files_refuse_without_force_and_survive_with_it(tmp_path: Path) -> None:
    folder = _one_bundle(tmp_path)
    (folder / "notes.md").write_text("mine")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path))
    assert code == 1
    assert "notes.md" in err and "--force" in err
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path), "--force")
    assert code == 0, err
    assert (folder / "notes.md").read_text() == "mine"


def test_a_folder_of_someone_else_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "priya-raman-2026-05-02--2026-05-06"
    target.mkdir()
    (target / "index.md").write_text("a different site")
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path))
    assert code == 1 and "index.md" in err
    assert sorted(p.name for p in target.iterdir()) == ["index.md"]


def test_grown_book_replaces_its_earlier_bundle(tmp_path: Path) -> None:
    code, _ = markdown(
        str(EXAMPLES), "--author", "priya_raman", "--until", "2026-05-04", "-o", str(tmp_path), "-q"
    )
    assert code == 0
    [old] = [p for p in tmp_path.iterdir() if p.is_dir()]
    code, err = markdown(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path))
    assert code == 0 and f"replaced {old.name}" in err
    assert [p.name for p in tmp_path.iterdir()] == ["priya-raman-2026-05-02--2026-05-06"]


def test_stale_temporary_folder_is_cleaned_up(tmp_path: Path) -> None:
    leftover = tmp_path / ".priya-raman-2026-05-02--2026-05-06.999.feed2book-tmp"
    (leftover / "images").mkdir(parents=True)
    (leftover / "README.md").write_text("half")
    _one_bundle(tmp_path)
    assert not leftover.exists()


# --- the pieces ----------------------------------------------------------------------------


def _linked_book() -> list[Article]:
    first = make_article(id="forem:test/first-1", title="First", content="<p>Start.</p>")
    second = make_article(
        id="forem:test/second-2",
        title="Second",
        published=datetime(2026, 5, 2, tzinfo=UTC),
        content=f'<p>As in <a href="{first.url}/">the first post</a> and '
        '<a href="https://example.org/x">elsewhere</a>.</p>',
    )
    return [first, second]


def test_links_between_articles_point_at_local_files() -> None:
    [book] = group_articles(_linked_book(), BookOptions(GroupBy.NONE)).books
    files = build_bundle(book)
    second = files["02-second.md"].decode()
    assert "[the first post](01-first.md)" in second
    assert "[elsewhere](https://example.org/x)" in second
    single = build_single_file(book).decode()
    assert "[the first post](#a-forem-test-first-1)" in single
    assert "{#a-forem-test-first-1}" in single


def test_file_names_are_safe_unique_and_stable() -> None:
    hostile = ["../../x", "CON", "a:b", "x" * 500, "line\nbreak", "---", "\u202egnp.exe", "", "CON"]
    articles = [
        make_article(
            id=f"forem:test/p{n}", title=title, published=datetime(2026, 5, 1 + n, tzinfo=UTC)
        )
        for n, title in enumerate(hostile)
    ]
    [book] = group_articles(articles, BookOptions(GroupBy.NONE)).books
    names = article_file_names(book)
    assert names == article_file_names(book)
    values = list(names.values())
    assert len({v.casefold() for v in values}) == len(values)
    for name in values:
        assert re.fullmatch(r"\d{2}-[A-Za-z0-9][\w.-]*\.md", name), name
        assert len(name.encode()) <= MAX_NAME_BYTES
        assert "/" not in name and "\\" not in name and ".." not in name.removesuffix(".md")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_yaml_strings_parse_back_exactly(text: str) -> None:
    assert yaml.safe_load(f"key: {yaml_string(text)}") == {"key": text}


@settings(max_examples=100, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80),
    tag=st.text(max_size=20),
    author=st.text(min_size=1, max_size=30),
)
def test_front_matter_parses_back_to_the_same_strings(title: str, tag: str, author: str) -> None:
    article = make_article(
        title=title, tags=(tag,), author=(author, "handle"), series=SeriesRef("S: x", 2.5)
    )
    meta = yaml.safe_load(FRONT.match(front_matter(article)).group(1))  # type: ignore[union-attr]
    assert meta["title"] == title and meta["tags"] == [tag]
    assert meta["authors"] == [{"name": author, "handle": "handle"}]
    assert (meta["series"], meta["series_index"]) == ("S: x", 2.5)


def test_mdbook_preprocessor_strips_front_matter(tmp_path: Path) -> None:
    script = tmp_path / "strip.py"
    script.write_text(STRIP_FRONT_MATTER)
    supports = subprocess.run([sys.executable, str(script), "supports", "html"], check=False)
    assert supports.returncode == 0
    front = '---\ntitle: "A \\u007b{#x} *b*"\nid: "1"\n---\n'
    chapter = {"name": "A", "content": front + "\n*by*\n\nText.\n", "sub_items": []}
    nested = {"Chapter": {**chapter, "sub_items": [{"Chapter": dict(chapter)}]}}
    for key in ("items", "sections"):  # mdBook 0.5 and 0.4
        book = {key: [nested, "Separator"], "__non_exhaustive": None}
        stdin = json.dumps([{"root": str(tmp_path), "renderer": "html"}, book])
        done = subprocess.run(
            [sys.executable, str(script)], input=stdin, capture_output=True, text=True, check=True
        )
        out = json.loads(done.stdout)
        top = out[key][0]["Chapter"]
        page = "# A \\{\\{\\#x\\} \\*b\\*\n\n*by*\n\nText.\n"  # the title, as text
        assert top["content"] == page
        assert top["sub_items"][0]["Chapter"]["content"] == page
        assert out[key][1] == "Separator"


def test_bundle_writer_refuses_empty_book() -> None:
    [book] = group_articles(_linked_book(), BookOptions(GroupBy.NONE)).books
    empty = type(book)(book.key, book.title, book.authors, book.language, ())
    with pytest.raises(ValueError):
        build_bundle(empty)


@pytest.mark.parametrize("name", ["../outside.md", "/tmp/absolute.md", "images/../../up.md", ""])
def test_bundle_files_cannot_leave_their_folder(tmp_path: Path, name: str) -> None:
    """Names are checked by their parts (no resolve() per file): none reaches outside."""
    with pytest.raises(ValueError, match="unsafe bundle path"):
        write_folder(tmp_path / "book", {"README.md": b"x", name: b"y"})
    assert not (tmp_path / "book").exists()
    assert not (tmp_path / "outside.md").exists()
