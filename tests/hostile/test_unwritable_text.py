"""Text Python holds but cannot write as UTF-8 (issue 14).

Two inputs give strings with lone surrogates: JSON, which may spell ``"\\ud800"``, and file names
whose bytes are not UTF-8 (Python holds them as ``\\udcff``). Either used to abort a whole run at
the first UTF-8 encode: stdout, an output file, SQLite. Now a lone surrogate in JSON becomes U+FFFD
when it is parsed, and a file name that is not UTF-8 is read as it is and shown with ``\\xff``
escapes in messages and in ``feed.url``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests.conftest import EXAMPLES
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.hostile.runner import COMMANDS, Run, assert_clean_stderr, outputs_text, run_command

LONE = "\\ud800"  # as JSON spells it
JSON_FEED = (
    '{"version": "https://jsonfeed.org/version/1.1", "title": "Half a pair ' + LONE + '",'
    ' "items": [{"id": "https://surrogate.example/1", "url": "https://surrogate.example/1",'
    ' "title": "Broken \\udfff title", "tags": ["tag\\udc00"],'
    ' "authors": [{"name": "Lone \\ud83d Writer"}],'
    ' "content_html": "<p>Body with ' + LONE + ' inside, and a real pair: \\ud83d\\ude00.</p>",'
    ' "date_published": "2026-05-04T10:00:00Z"}]}'
)
JSON_LINES = (
    '{"id": "surrogate-1", "title": "Lines ' + LONE + '", "content_html": "<p>x\\udc80y</p>",'
    ' "authors": [{"name": "Pat ' + LONE + '"}], "published": "2026-05-04T10:00:00Z"}\n'
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str, stdin: bytes | None = None) -> Run:
    result = CliRunner().invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(args[0], result.exit_code, result.stdout_bytes, result.stderr, 0.0, None)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("name", "text"), [("feed.json", JSON_FEED), ("feed.jsonl", JSON_LINES)])
def test_a_lone_surrogate_in_json_becomes_a_replacement_character(
    command: str, name: str, text: str, tmp_path: Path
) -> None:
    source = write(tmp_path, name, text)
    run = run_command(command, [str(source), str(EXAMPLES)], tmp_path / "out")
    assert_clean_stderr(run)
    assert run.code == 0, run.stderr
    written = outputs_text(run)
    if command != "list":  # the table cuts long titles; it wrote, which is the point
        assert "\ufffd" in written
    assert "\\ud800" not in written and "\\udfff" not in written
    if command == "epub":
        assert_all_epubcheck_clean({path.name: path for path in run.epubs()})
    if name == "feed.json" and command == "jsonl":
        [record] = [json.loads(line) for line in run.stdout.splitlines() if b"surrogate" in line]
        assert record["title"] == "Broken \ufffd title"
        assert record["tags"] == ["tag\ufffd"]
        assert record["authors"][0]["name"] == "Lone \ufffd Writer"
        assert "a real pair: \U0001f600." in record["content_html"]  # a valid pair is kept


def test_add_sync_and_import_store_what_had_lone_surrogates(tmp_path: Path) -> None:
    """``add`` stores it; ``sync`` of a source that turned bad still syncs every later source;
    ``library import`` takes it too."""
    library = str(tmp_path / "library.sqlite3")
    feed = write(tmp_path, "feed.json", JSON_FEED.replace(LONE, "fine"))
    later = tmp_path / "later.atom"
    later.write_bytes((EXAMPLES / "field-notes.atom").read_bytes())
    assert cli("add", str(feed), str(later), "--library", library).code == 0
    write(tmp_path, "feed.json", JSON_FEED)
    run = cli("sync", "--library", library)
    assert run.code == 0, run.stderr
    assert "unexpected" not in run.stderr
    rows = {line.split()[0]: line.split()[-1] for line in run.stderr.splitlines()}
    assert (rows[str(feed)], rows[str(later)]) == ("ok", "unchanged")  # both synced
    listed = json.loads(cli("list", "--json", "--library", library).stdout)
    assert "Broken \ufffd title" in {article["title"] for article in listed["articles"]}

    imported = cli("library", "import", "-", "--library", library, stdin=JSON_LINES.encode())
    assert imported.code == 0, imported.stderr
    assert "imported 1 article" in imported.stderr
    added = cli("add", str(write(tmp_path, "more.jsonl", JSON_LINES)), "--library", library)
    assert added.code == 0, added.stderr


# --- file names that are not UTF-8 --------------------------------------------------------------------


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    """A directory whose feeds have names that are not UTF-8 (a Latin-1 "é", a stray 0xff)."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    for raw, example in (
        (b"caf\xe9.xml", "devto-tomas-ferreira.xml"),
        (b"\xff\xfe-notes.atom", "field-notes.atom"),
    ):
        (Path(os.fsdecode(bytes(folder) + b"/" + raw))).write_bytes(
            (EXAMPLES / example).read_bytes()
        )
    (Path(os.fsdecode(bytes(folder) + b"/broken\xff.xml"))).write_bytes(b"<rss><channel><title>cut")
    return folder


@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_with_file_names_that_are_not_utf8_is_read(
    command: str, odd_names: Path, tmp_path: Path
) -> None:
    extra = ("--json",) if command == "list" else ()
    run = run_command(command, [str(odd_names)], tmp_path / "out", *extra)
    assert_clean_stderr(run)
    assert run.code == 1  # the broken feed; the others were written
    assert run.errors()[0].startswith(f"feed2book: error: {odd_names}/broken\\xff.xml: ")
    if command == "jsonl":
        urls = {json.loads(line)["feed"]["url"] for line in run.stdout.splitlines()}
        assert urls == {f"{odd_names}/caf\\xe9.xml", f"{odd_names}/\\xff\\xfe-notes.atom"}
    if command == "list":
        listed = json.loads(run.stdout)
        assert len(listed["articles"]) == 2 + 3  # the two readable feeds
        assert listed["summary"]["failed_sources"] == 1
    if command in ("epub", "markdown"):
        assert run.files
    if command == "epub":
        assert_all_epubcheck_clean({path.name: path for path in run.epubs()})


def test_a_typed_file_name_that_is_not_utf8_is_read_and_named_safely(odd_names: Path) -> None:
    name = os.fsdecode(bytes(odd_names) + b"/caf\xe9.xml")
    run = run_command("jsonl", [name, name + "-missing"])
    assert run.stdout.count(b"\n") == 2  # the articles of devto-tomas-ferreira.xml
    assert f'"url":"{odd_names}/caf\\\\xe9.xml"'.encode() in run.stdout
    assert run.errors() == [
        f"feed2book: error: {odd_names}/caf\\xe9.xml-missing: no such file or directory"
    ]


def test_add_remembers_the_directory_and_refuses_a_name_it_could_not_store(
    odd_names: Path, tmp_path: Path
) -> None:
    library = str(tmp_path / "library.sqlite3")
    run = cli("add", str(odd_names), "--library", library)
    assert "unexpected" not in run.stderr and "added" in run.stderr, run.stderr
    name = os.fsdecode(bytes(odd_names) + b"/caf\xe9.xml")
    refused = cli("add", name, "--library", library)
    assert refused.code == 2
    assert refused.stderr == (
        f"feed2book: error: {odd_names}/caf\\xe9.xml: a path that is not UTF-8 cannot be "
        "remembered (rename it, or add the directory that holds it)\n"
    )


# --- the empty source ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["list", ""], ["jsonl", " "], ["epub", "", "-o", "x"], ["add", ""]]
)
def test_an_empty_source_is_a_usage_error_not_the_current_directory(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "feed.jsonl", JSON_LINES)  # what reading "." would find
    run = cli(*args)
    assert run.code == 2
    assert run.stderr.startswith("feed2book: error: an empty SOURCE names nothing"), run.stderr
    assert run.stdout == b""
