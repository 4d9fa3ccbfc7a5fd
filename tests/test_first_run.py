"""A new user's first commands: an empty library says so and gives the next step, an
``--author`` that matches nothing names the closest authors, outputs that cannot be written say
what to pass instead."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from feed2book.cli import app
from feed2book.cli.console import Environment
from feed2book.cli.listing import render_listing
from feed2book.library import default_library_path
from tests.conftest import EXAMPLES, REPO
from tests.factory import make_article

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_an_author_asked_of_an_empty_library_gets_the_next_step(tmp_path: Path) -> None:
    code, _, err = run("epub", "--author", "matt_frank_usa", "-o", str(tmp_path))
    assert code == 3
    assert "bundled example" not in err.split("(")[0]  # the examples are not read instead
    assert err == (
        f"feed2book: error: the library {default_library_path()} is empty: no SOURCES given and "
        "no articles to select from (add a feed first: "
        "`feed2book add https://dev.to/feed/matt_frank_usa`; or name SOURCES, e.g. "
        "`feed2book epub examples/feeds` for the bundled examples)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_name_that_is_no_dev_to_handle_gets_a_generic_add() -> None:
    code, _, err = run("list", "--author", "Matt Frank")
    assert code == 3 and "`feed2book add URL`" in err


def test_any_selector_on_an_empty_library_is_refused_rather_than_answered_by_the_examples() -> None:
    assert run("jsonl", "--tag", "rust")[0] == 3
    assert run("list", "--since", "30d")[0] == 3


def test_without_a_selector_the_empty_library_still_gives_the_example_tour() -> None:
    code, out, err = run("jsonl", "--fields", "id")
    assert code == 0 and len(out.splitlines()) == 9
    assert "reading the bundled example feeds" in err


def test_an_author_matching_nothing_names_the_closest_authors() -> None:
    code, _, err = run("list", str(EXAMPLES), "--author", "priya_rahman")
    assert code == 3
    assert err.splitlines()[-1] == (
        "feed2book: error: no article matches the selection (9 read); "
        "closest authors: priya_raman, Priya Raman"
    )


def test_an_author_nothing_resembles_gets_no_suggestion() -> None:
    err = run("list", str(EXAMPLES), "--author", "zzzzzz")[2]
    assert err.splitlines()[-1] == "feed2book: error: no article matches the selection (9 read)"


def test_an_existing_file_given_as_the_output_directory_is_named_as_such(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    code, _, err = run("epub", str(EXAMPLES), "-o", str(notes))
    assert code == 2
    assert err == (
        f"feed2book: error: -o {notes} is an existing file, not a directory "
        "(give a directory, or a .epub name when one book results)\n"
    )
    code, _, err = run("markdown", str(EXAMPLES), "-o", str(notes))
    assert code == 2 and "is an existing file, not a directory" in err
    assert notes.read_text() == "mine\n"


def test_an_existing_epub_named_by_o_is_still_a_book_target(tmp_path: Path) -> None:
    book = tmp_path / "rust.epub"
    book.write_bytes(b"not ours")
    code, _, err = run("epub", str(EXAMPLES), "--author", "priya_raman", "-o", str(book))
    assert "not a directory" not in err and code != 0  # refused as someone else's file


@pytest.mark.parametrize("columns", [70, 80, 100])
def test_list_fits_the_width_columns_gives(columns: int) -> None:
    stdout = io.BytesIO()
    env = Environment(stdout=stdout, stderr=io.StringIO(), environ={"COLUMNS": str(columns)})
    code = runner.invoke(app, ["list", str(EXAMPLES)], obj=env).exit_code
    out = stdout.getvalue().decode()
    assert code == 0
    assert max(cell_len(line) for line in out.splitlines()) <= columns
    assert "Day 2: Borrowing" in out


def test_a_long_tag_list_is_cut_with_an_ellipsis_not_wrapped() -> None:
    tags = ("architecture", "distributedsystems", "systemdesign", "webdev", "beginners")
    article = make_article(title="Short", tags=tags)
    table = render_listing(
        [article],
        {
            "articles": 1,
            "sources": 1,
            "failed_sources": 0,
            "duplicates_dropped": 0,
            "revisions_dropped": 0,
            "problems": 0,
        },
        80,
    )
    _header, row, *rest = table.splitlines()
    assert row.endswith("…") and cell_len(row) <= 80
    assert " ".join(rest) == (
        "1 article, 1 source read, 0 duplicates and 0 older revisions dropped, 0 problems"
    )
    assert all(cell_len(line) <= 80 for line in rest)


def test_the_summary_line_folds_at_a_narrow_width() -> None:
    facts = {
        "articles": 9,
        "authors": 3,
        "sources": 3,
        "failed_sources": 0,
        "duplicates_dropped": 0,
        "revisions_dropped": 1,
        "problems": 1,
    }
    *_, first, second = render_listing([], facts, 70).splitlines()
    assert first == "9 articles, 3 authors, 3 sources read, 0 duplicates and 1 older"
    assert second == "revision dropped, 1 problem"


_NO_NETWORK = """
import socket, sys
looked_up = []
def no_dns(*args, **kwargs):
    looked_up.append(args[0])
    raise socket.gaierror(socket.EAI_NONAME, "no network in this test")
socket.getaddrinfo = no_dns
sys.argv = ["feed2book", *sys.argv[1:]]
from feed2book.cli import main
try:
    main()
finally:
    print("looked up:", looked_up, file=sys.stderr)
"""


def test_the_readme_first_command_works_offline_without_a_dns_lookup(tmp_path: Path) -> None:
    """`feed2book epub examples/feeds -o books/`, from the repository root, with every name
    lookup failing: three books, no lookup tried, no image left out."""
    books = tmp_path / "books"
    done = subprocess.run(
        [sys.executable, "-c", _NO_NETWORK, "epub", "examples/feeds", "-o", str(books)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "looked up: []"
    assert "image" not in done.stderr
    assert len(list(books.glob("*.epub"))) == 3


def test_add_counts_the_library_as_list_does_and_labels_republished_copies() -> None:
    code, _, err = run("add", *(str(p) for p in sorted(EXAMPLES.glob("*.xml"))))
    assert code == 0
    assert err.splitlines()[-1] == (
        f"feed2book: the library {default_library_path()} holds 6 articles "
        "(7 copies with republished revisions)"
    )
    code, out, _ = run("list")
    # The summary line may fold at the terminal's width; it starts with the count.
    assert code == 0 and any(line.startswith("6 articles, ") for line in out.splitlines())


def test_library_stats_counts_as_list_does_and_labels_republished_copies() -> None:
    run("add", *(str(p) for p in sorted(EXAMPLES.glob("*.xml"))))
    code, out, _ = run("library", "stats")
    assert code == 0
    assert out.splitlines()[1].startswith(
        "articles  6 (7 copies with republished revisions; 7 revisions stored), 2026-"
    )
    document = json.loads(run("library", "stats", "--json")[1])
    assert (document["articles"], document["articles_counted_once"]) == (7, 6)


def test_group_by_tag_puts_an_article_in_every_tag_book_unless_tag_mode_first(
    tmp_path: Path,
) -> None:
    def books(*mode: str) -> list[str]:
        out = tmp_path / "-".join(mode or ("default",))
        options = ("--images", "none", "--no-cover", "-o", str(out))
        code, _, err = run("epub", str(EXAMPLES), "--group-by", "tag", *mode, *options)
        assert code == 0, err
        return [line for line in err.splitlines() if " wrote " in line]

    every = books()
    assert len(every) == 13 and books("--tag-mode", "all") == [
        line.replace("/default/", "/--tag-mode-all/") for line in every
    ]
    assert len(books("--tag-mode", "first")) == 6
