"""The command line: exact messages on stderr, data on stdout, documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests.conftest import EXAMPLES, REPO
from tests.httpserver import Server

runner = CliRunner()

COMMANDS = [
    "jsonl",
    "list",
    "epub",
    "markdown",
    "cover",
    "add",
    "sync",
    "sources",
    "remove",
    "library stats",
    "library export",
    "library import",
    "serve",
    "opds",
]


def run(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples_and_a_readme_mention(command: str) -> None:
    code, out, _ = run(*command.split(), "--help")
    assert code == 0
    assert "Example" in out
    assert f"feed2book {command}" in (REPO / "README.md").read_text()


def test_no_sources_reads_the_bundled_examples() -> None:
    code, out, err = run("jsonl", "--fields", "id,title")
    assert code == 0
    assert "no SOURCES given; reading the bundled example feeds" in err
    titles = [record["title"] for record in lines(out)]
    assert len(titles) == 9  # 10 items, one republished
    assert "Day 2: Borrowing Is Just Lending - Rust in Small Bites" in titles


def test_jsonl_streams_articles_oldest_first_with_a_summary_on_stderr() -> None:
    code, out, err = run("jsonl", str(EXAMPLES))
    records = lines(out)
    assert code == 0
    assert [r["published"] for r in records] == sorted(r["published"] for r in records)
    assert err.strip().endswith(
        "9 articles, 3 sources read, 0 duplicates and 1 older revision dropped, "
        "1 problem"
    )
    assert "field-notes.atom: 1 item without a date" in err


def test_stdin_and_jsonl_round_trip() -> None:
    _, first, _ = run("jsonl", str(EXAMPLES), "--content", "all")
    code, second, _ = run("jsonl", "-", "--content", "all", input=first.encode())
    assert code == 0
    assert lines(second) == lines(first)


def test_selectors() -> None:
    def titles(*args: str) -> list[str]:
        _, out, _ = run("jsonl", str(EXAMPLES), "--fields", "title", *args)
        return [str(r["title"]) for r in lines(out)]

    assert len(titles("--author", "PRIYA_RAMAN")) == 4
    assert len(titles("--author", "Tomás Ferreira")) == 2
    assert titles("--tag", "postgres") == [
        "Database Indexes, Explained With a Library Card Catalogue"
    ]
    assert len(titles("--series", "rust in small bites")) == 4
    assert titles("--since", "2026-05-15", "--until", "2026-05-15") == [
        "Notes from My Meetup Talk: Shipping a Side Project in a Weekend"
    ]
    assert titles("--title-match", "^day [34]") == [
        "Day 3: Enums That Carry Data - Rust in Small Bites",
        "Day 4: Errors as Values - Rust in Small Bites",
    ]
    assert titles("--limit", "1") == ["An undated note"]  # dated from its feed: 2026-05-20
    assert len(titles("--all-revisions")) == 10


def test_fields_and_content_choose_keys() -> None:
    _, out, _ = run("jsonl", str(EXAMPLES), "--fields", "title,id", "--limit", "1")
    assert list(lines(out)[0]) == ["id", "title"]
    _, out, _ = run("jsonl", str(EXAMPLES), "--content", "markdown", "--limit", "1")
    record = lines(out)[0]
    assert "content_markdown" in record and "content_html" not in record


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "articles.jsonl"
    code, out, _ = run("jsonl", str(EXAMPLES), "-o", str(target))
    assert code == 0 and out == ""
    assert len(target.read_text().splitlines()) == 9
    assert [p.name for p in target.parent.iterdir()] == ["articles.jsonl"]


def test_exit_1_when_a_source_fails_but_the_others_still_come_out(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"\x00\x01 this is not a feed")
    code, out, err = run("jsonl", str(broken), str(EXAMPLES / "devto-tomas-ferreira.xml"))
    assert code == 1
    assert len(lines(out)) == 2
    assert f"feed2book: error: {broken}: not an RSS, Atom or JSON feed" in err
    assert "Traceback" not in err


def test_exit_3_when_nothing_matches() -> None:
    code, out, err = run("jsonl", str(EXAMPLES), "--author", "nobody")
    assert (code, out) == (3, "")
    assert "feed2book: error: no article matches the selection (9 read)" in err


def test_exit_2_on_usage_errors() -> None:
    code, _, err = run("jsonl", str(EXAMPLES), "--since", "yesterday")
    assert code == 2
    assert err.strip().startswith("feed2book: error: cannot read 'yesterday' as a date")
    code, _, err = run("jsonl", str(EXAMPLES), "--fields", "nope")
    assert code == 2 and "unknown field(s) for --fields: nope" in err
    code, _, _ = run("jsonl", "--limit", "0")
    assert code == 2


def test_quiet_and_verbose() -> None:
    _, _, err = run("jsonl", str(EXAMPLES), "--quiet")
    assert err == ""
    _, _, err = run("jsonl", str(EXAMPLES), "--verbose")
    assert "devto-priya-raman.xml: 5 articles" in err


def test_list_table_and_json() -> None:
    code, out, _ = run("list", str(EXAMPLES))
    assert code == 0
    assert "priya_raman" in out and "Day 4: Errors as Values" in out
    assert out.strip().splitlines()[-1].startswith("9 articles, 3 authors")
    code, out, _ = run("list", str(EXAMPLES), "--json")
    document = json.loads(out)
    assert document["summary"]["articles"] == 9
    assert document["summary"]["revisions_dropped"] == 1
    assert "content_html" not in document["articles"][0]


@pytest.mark.network
def test_url_sources_and_a_404(server: Server) -> None:
    server.route("/feed", body=(EXAMPLES / "devto-tomas-ferreira.xml").read_bytes())
    code, out, err = run("jsonl", server.url("/feed"), server.url("/missing"), "--fields", "id")
    assert code == 1
    assert len(lines(out)) == 2
    assert f"feed2book: error: {server.url('/missing')}: HTTP 404 Not Found" in err


def test_seed_counts(seeds: list[Path]) -> None:
    paths = [str(p) for p in seeds]
    _, out, _ = run("jsonl", *paths, "--fields", "id")
    assert len(lines(out)) == 48
    _, out, _ = run("jsonl", *paths, "--fields", "id", "--author", "matt_frank_usa")
    assert len(lines(out)) == 28
    _, out, _ = run(
        "jsonl", *paths, "--fields", "id", "--author", "matt_frank_usa", "--all-revisions"
    )
    assert len(lines(out)) == 36
    _, out, _ = run("jsonl", *paths, "--fields", "id", "--author", "abdullahmubin")
    assert len(lines(out)) == 12


def test_practice_feeds_never_crash(practice: list[Path]) -> None:
    feeds = [str(p) for p in practice if p.suffix != ".opml"]
    code, out, err = run("jsonl", *feeds, "--fields", "id,title,language")
    assert code == 0, err
    records = lines(out)
    assert len(records) > 250
    assert "Traceback" not in err
    assert {"ur", "ru", "fr"} <= {str(r["language"])[:2] for r in records}
