"""A damaged library: records corrupted directly with sqlite3 (bad UTF-8, cut JSON, a number
where text belongs, null where a value is required). Every reading command still works, warns
once per damaged record naming it, and `library export` writes every readable record;
`library check` reports the damage.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.library import Library, default_library_path
from tests.factory import make_article

runner = CliRunner()
ARTICLES = 6


def run(*args: str) -> tuple[int, bytes, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


def article_id(n: int) -> str:
    return f"forem:test/post-{n}"


@pytest.fixture
def library() -> Path:
    """A library of six articles by one author (`post-0` … `post-5`)."""
    path = default_library_path()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with Library.open(path) as opened:
        opened.store(
            "test",
            [
                make_article(
                    id=article_id(n),
                    title=f"Notes on topic {n}",
                    published=start + timedelta(days=n),
                    content=f"<p>Article number {n}, written for this test.</p>",
                )
                for n in range(ARTICLES)
            ],
        )
    return path


def corrupt(path: Path, sql: str, n: int) -> None:
    """Run ``sql`` (with ``?`` = the article id) against the current revision of ``post-n``."""
    db = sqlite3.connect(path)
    with db:
        changed = db.execute(sql, (article_id(n),)).rowcount
    db.close()
    assert changed == 1


# Each way a record gets damaged, as an UPDATE of the revisions table.
DAMAGE: dict[str, str] = {
    "bad UTF-8 text": "UPDATE revisions SET record = CAST(x'7b226964223a2280ff227d' AS TEXT) "
    "WHERE article_id = ?",
    "bad UTF-8 blob": "UPDATE revisions SET record = x'7b226964223a2280ff227d' "
    "WHERE article_id = ?",
    "cut JSON": "UPDATE revisions SET record = substr(record, 1, length(record) / 2) "
    "WHERE article_id = ?",
    "a number for text": "UPDATE revisions SET record = json_set(record, '$.title', 42) "
    "WHERE article_id = ?",
    "null for a date": "UPDATE revisions SET record = json_set(record, '$.published', NULL) "
    "WHERE article_id = ?",
    "a field missing": "UPDATE revisions SET record = json_remove(record, '$.content_html') "
    "WHERE article_id = ?",
    "not an object": "UPDATE revisions SET record = '[1, 2]' WHERE article_id = ?",
    "a number for the record": "UPDATE revisions SET record = 7 WHERE article_id = ?",
    "bad UTF-8 revision key": "UPDATE articles SET revision_key = CAST(x'80' AS TEXT) WHERE id = ?",
}


def warnings_naming(stderr: str, n: int) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if "warning:" in line and repr(article_id(n)) in line and "damaged" in line
    ]


def assert_warned_once(stderr: str, n: int) -> None:
    found = warnings_naming(stderr, n)
    assert len(found) == 1, stderr
    assert "feed2book library check" in found[0]


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_jsonl_and_list_skip_a_damaged_record_and_warn_once(library: Path, kind: str) -> None:
    corrupt(library, DAMAGE[kind], 2)
    code, out, err = run("jsonl")
    assert code == 0, err
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert ids == [article_id(n) for n in range(ARTICLES) if n != 2]
    assert_warned_once(err, 2)

    code, out, err = run("list")
    assert code == 0, err
    assert out.decode().count("Notes on topic") == ARTICLES - 1
    assert_warned_once(err, 2)


def test_books_and_bundles_are_built_from_the_readable_records(
    library: Path, tmp_path: Path
) -> None:
    corrupt(library, DAMAGE["cut JSON"], 0)
    corrupt(library, DAMAGE["a number for text"], 4)
    code, _, err = run("epub", "-o", str(tmp_path / "books"))
    assert code == 0, err
    assert list((tmp_path / "books").glob("*.epub"))
    assert_warned_once(err, 0)
    assert_warned_once(err, 4)

    code, _, err = run("markdown", "-o", str(tmp_path / "bundle"))
    assert code == 0, err
    written = "".join(p.read_text() for p in (tmp_path / "bundle").rglob("*.md"))
    assert "Article number 1" in written and "Article number 5" in written
    assert "Article number 0" not in written and "Article number 4" not in written
    assert_warned_once(err, 0)
    assert_warned_once(err, 4)


def test_a_selection_warns_only_about_the_damaged_records_it_reads(library: Path) -> None:
    corrupt(library, DAMAGE["cut JSON"], 0)
    code, out, err = run("jsonl", "--since", "2026-03-04")
    assert code == 0, err
    assert len(out.splitlines()) == 3
    assert "damaged" not in err


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "file"])
def test_library_export_writes_every_readable_record(
    library: Path, tmp_path: Path, to_file: bool
) -> None:
    for n, kind in ((1, "bad UTF-8 text"), (3, "null for a date"), (5, "cut JSON")):
        corrupt(library, DAMAGE[kind], n)
    target = tmp_path / "export.jsonl"
    code, out, err = run("library", "export", *(["-o", str(target)] if to_file else []))
    assert code == 0, err
    lines = (target.read_bytes() if to_file else out).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [article_id(n) for n in (0, 2, 4)]
    for n in (1, 3, 5):
        assert_warned_once(err, n)
    assert "exported 3 articles" in err


def test_a_library_whose_derived_keys_are_stale_still_opens(library: Path) -> None:
    """Opening recomputes the stored series keys when series detection changed; a damaged
    record is left as it is there, not a reason to refuse the whole library."""
    corrupt(library, DAMAGE["cut JSON"], 2)
    db = sqlite3.connect(library)
    with db:
        db.execute("UPDATE meta SET value = 'stale' WHERE key = 'derived'")
    db.close()
    code, out, err = run("jsonl")
    assert code == 0, err
    assert len(out.splitlines()) == ARTICLES - 1


# --- library check -----------------------------------------------------------------------------


def check(*args: str) -> tuple[int, str, str]:
    code, out, err = run("library", "check", *args)
    return code, out.decode(), err


def test_check_a_sound_library(library: Path) -> None:
    code, out, err = check()
    assert code == 0, err
    assert "integrity_check: ok" in out
    assert "foreign_key_check: ok" in out
    assert f"{ARTICLES} articles, {ARTICLES} revisions read: none damaged" in out
    code, out, _ = check("--json")
    document = json.loads(out)
    assert document["integrity_check"] == ["ok"]
    assert document["foreign_key_check"] == []
    assert document["damaged"] == []
    assert document["ok"] is True


def test_check_reports_each_damaged_record(library: Path) -> None:
    corrupt(library, DAMAGE["bad UTF-8 blob"], 1)
    corrupt(library, DAMAGE["a number for text"], 4)
    code, out, err = check()
    assert code == 1, out + err
    assert "integrity_check: ok" in out
    damaged = [line for line in out.splitlines() if "post-" in line]
    assert len(damaged) == 2, out
    assert article_id(1) in damaged[0] and "revision 1" in damaged[0]
    assert "UTF-8" in damaged[0]
    assert article_id(4) in damaged[1] and "'title'" in damaged[1] and "number" in damaged[1]

    code, out, _ = check("--json")
    assert code == 1
    document = json.loads(out)
    assert document["ok"] is False
    assert [(d["article_id"], d["revision"]) for d in document["damaged"]] == [
        (article_id(1), 1),
        (article_id(4), 1),
    ]


def test_check_reports_broken_links_between_tables(library: Path) -> None:
    db = sqlite3.connect(library)  # foreign keys off: the damage another program could do
    with db:
        db.execute("DELETE FROM articles WHERE id = ?", (article_id(3),))
    db.close()
    code, out, _ = check()
    assert code == 1
    assert "foreign_key_check: " in out and "revisions" in out
    document = json.loads(check("--json")[1])
    assert {row["table"] for row in document["foreign_key_check"]} >= {"revisions"}


def test_check_reports_an_article_whose_current_revision_is_missing(library: Path) -> None:
    corrupt(library, "UPDATE articles SET revision = 9 WHERE id = ?", 2)
    code, out, _ = check()
    assert code == 1
    assert any(article_id(2) in line and "revision 9" in line for line in out.splitlines())


def test_a_damaged_column_is_reported_by_check_and_stats_says_so_in_one_line(
    library: Path,
) -> None:
    corrupt(library, "UPDATE articles SET feed_url = CAST(x'41ff' AS TEXT) WHERE id = ?", 3)
    code, out, err = run("jsonl")  # reading the records does not need the column
    assert code == 0, err
    assert len(out.splitlines()) == ARTICLES
    code, text, _ = check()
    assert code == 1
    assert any(
        article_id(3) in line and "feed_url is not valid UTF-8" in line
        for line in text.splitlines()
    ), text
    code, _, err = run("library", "stats")
    assert code == 1
    assert err.count("\n") == 1 and "unexpected" not in err and str(library) in err


def test_a_damaged_source_row_is_one_plain_line(library: Path) -> None:
    db = sqlite3.connect(library)
    with db:
        db.execute(
            "INSERT INTO sources (spec, kind, added) VALUES (CAST(x'68ff' AS TEXT), 'url', 'x')"
        )
    db.close()
    code, _, err = run("sources")
    assert code == 1
    assert err.count("\n") == 1 and "not valid UTF-8" in err and "unexpected" not in err


def test_check_is_in_the_help_with_examples() -> None:
    code, out, _ = run("library", "--help")
    assert code == 0 and "check" in out.decode()
    code, out, _ = run("library", "check", "--help")
    assert code == 0
    assert "feed2book library check --json" in out.decode()


def test_check_without_a_library(tmp_path: Path) -> None:
    code, _, err = run("library", "check", "--library", str(tmp_path / "none.sqlite3"))
    assert code == 3
    assert "no library" in err
