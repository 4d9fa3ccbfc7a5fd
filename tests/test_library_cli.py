"""The library on the command line: add/sync/sources/remove/library *, and building commands
that read the library when given no SOURCES, with exactly the results files give."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from feed2book.cli import library as cli_library
from feed2book.cli.commands import app as main_app
from feed2book.cli.console import Environment, Messenger, Verbosity
from feed2book.cli.session import Common, reading
from feed2book.errors import NothingToOutput
from feed2book.group import BookOptions, GroupBy, group_articles
from feed2book.library import Library, default_library_path
from feed2book.library.digest import Digest
from feed2book.select import Selection
from feed2book.sources.fetch import FetchLimits
from tests.conftest import EXAMPLES

runner = CliRunner()


def library_app() -> typer.Typer:
    """The library commands on an app of their own (``cli.py`` registers them on the real one)."""
    app = typer.Typer(rich_markup_mode="markdown", pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """feed2book"""

    cli_library.register(app)
    return app


LIBRARY_APP = library_app()


def invoke(app: typer.Typer, *args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def lib(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    return invoke(LIBRARY_APP, *args, input=input)


def main(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    return invoke(main_app, *args, input=input)


LIBRARY_COMMANDS = [
    ["add"],
    ["sync"],
    ["sources"],
    ["remove"],
    ["library", "stats"],
    ["library", "export"],
    ["library", "import"],
]


@pytest.mark.parametrize("command", LIBRARY_COMMANDS, ids=" ".join)
def test_every_library_command_has_help_with_examples(command: list[str]) -> None:
    code, out, _ = lib(*command, "--help")
    assert code == 0
    assert "Examples:" in out and f"feed2book {' '.join(command)}" in out


# --- building commands read the library like files ----------------------------------------------

SELECTIONS = [
    [],
    ["--author", "matt_frank_usa"],
    ["--author", "PRIYA RAMAN"],
    ["--author", "@abdullahmubin", "--author", "tomas_ferreira"],
    ["--series", "AI System Design in Seconds"],
    ["--series", "rust in small bites"],
    ["--author", "Matt Frank", "--series", "AI System Design in Seconds"],
    ["--tag", "postgres"],
    ["--tag", "SystemDesign", "--tag", "#rust"],
    ["--since", "2026-05-10", "--until", "2026-05-20"],
    ["--limit", "5"],
    ["--author", "matt_frank_usa", "--all-revisions"],
    ["--all-revisions", "--since", "2026-05-01"],
    ["--title-match", "^day"],
]
PRACTICE_SELECTIONS = [["--content", "all"], ["--all-revisions", "--since", "2020-01-01"]]


def corpus_files(name: str, request: pytest.FixtureRequest) -> list[str]:
    if name == "examples":
        return [str(EXAMPLES)]
    files: list[Path] = request.getfixturevalue(name)
    return [str(path) for path in files if path.suffix != ".opml"]  # OPML there names URLs


@pytest.mark.parametrize("corpus", ["examples", "seeds", "practice"])
def test_reading_the_library_gives_byte_identical_output(
    corpus: str, request: pytest.FixtureRequest
) -> None:
    files = corpus_files(corpus, request)
    code, _, err = lib("add", *files)
    assert code == 0, err
    # The practice feeds are big and varied: fewer selections, the whole content compared.
    chosen = PRACTICE_SELECTIONS if corpus == "practice" else SELECTIONS
    for selection in chosen:
        _, from_files, _ = main("jsonl", *files, *selection)
        code, from_library, err = main("jsonl", *selection)
        assert "no SOURCES given; reading the library" in err
        assert from_library == from_files, selection
        assert code in (0, 3)
    for selection in (["--author", "priya_raman"], ["--series", "AI System Design in Seconds"]):
        table_from_files = main("list", *files, *selection)[1].splitlines()
        table_from_library = main("list", *selection)[1].splitlines()
        # The last line sums up the reading (sources, revisions dropped): the library is one.
        assert table_from_library[:-1] == table_from_files[:-1]
        assert table_from_library[-1].split(", ")[:2] == table_from_files[-1].split(", ")[:2]


def test_a_library_moved_by_export_and_import_reads_the_same(
    tmp_path: Path, seeds: list[Path]
) -> None:
    lib("add", str(EXAMPLES), *map(str, seeds))
    exported = tmp_path / "library.jsonl"
    code, out, err = lib("library", "export", "-o", str(exported))
    assert (code, out) == (0, "")
    assert err == f"feed2book: exported 66 articles from {default_library_path()}\n"

    other = tmp_path / "other.sqlite3"
    code, _, err = lib("library", "import", str(exported), "--library", str(other))
    assert code == 0
    assert (
        err == f"feed2book: imported 66 articles into {other}: 66 new, 0 updated, 0 unchanged\n"
    )
    assert lib("library", "export", "--library", str(other))[1] == exported.read_text()
    assert main("jsonl")[1] == main("jsonl", str(exported))[1]  # the export is a source too


def test_import_reports_lines_that_are_not_articles() -> None:
    _, good, _ = main("jsonl", str(EXAMPLES / "devto-tomas-ferreira.xml"))
    code, _, err = lib("library", "import", "-", input=b"{oops\n" + good.encode())
    assert code == 0
    assert err.splitlines() == [
        "feed2book: warning: import:<stdin>: line 1 is not a feed2book article "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        f"feed2book: imported 2 articles into {default_library_path()}: 2 new, 0 updated, "
        "0 unchanged",
    ]
    assert lib("library", "import", "-", input=b"nothing\n")[0] == 1


def test_without_a_library_the_bundled_examples_are_read() -> None:
    code, out, err = main("jsonl", "--fields", "id")
    assert code == 0 and len(out.splitlines()) == 9
    assert err.startswith(
        "feed2book: no SOURCES given; reading the bundled example feeds (the library holds no "
        "articles yet: `feed2book add FEED…` adds feeds to it)\n"
    )
    assert not default_library_path().exists()  # reading never creates it
    Library.open(default_library_path()).close()  # an empty library: the same
    assert main("jsonl", "--fields", "id")[1] == out


# --- add, sync, sources, remove -----------------------------------------------------------------


def test_add_sync_sources_and_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    feed = tmp_path / "tomas.xml"
    feed.write_bytes((EXAMPLES / "devto-tomas-ferreira.xml").read_bytes())
    path = default_library_path()

    code, out, err = lib("add", "tomas.xml", "missing.xml")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"feed2book: added {feed}: 2 new, 0 updated, 0 unchanged",
        f"feed2book: error: {tmp_path / 'missing.xml'}: no such file or directory",
        f"feed2book: not added: {tmp_path / 'missing.xml'} (nothing could be read from it)",
        f"feed2book: the library {path} holds 2 articles",
    ]

    code, out, err = lib("sync")
    assert (code, out) == (0, "")
    assert err.splitlines()[1].split() == [str(feed), "0", "0", "2", "unchanged"]

    code, out, _ = lib("sources", "--json")
    (source,) = json.loads(out)
    assert (source["spec"], source["kind"], source["articles"]) == (str(feed), "file", 2)
    assert source["last_status"] == "unchanged"
    code, out, _ = lib("sources")
    assert out.splitlines()[0].split() == [
        "source",
        "kind",
        "articles",
        "added",
        "last",
        "synced",
        "status",
    ]

    feed.unlink()
    code, _, err = lib("sync")
    assert code == 1
    assert f"feed2book: error: {feed}: no such file or directory" in err
    assert err.splitlines()[-1].split() == [str(feed), "0", "0", "0", "failed"]

    code, _, err = lib("remove", "tomas.xml")
    assert code == 0
    assert err == f"feed2book: removed {feed}; its 2 articles stay in the library\n"
    assert lib("remove", "tomas.xml")[0] == 2
    assert lib("sources")[0] == 3
    code, _, err = lib("sync")
    assert code == 3 and "remembers no sources" in err
    assert main("jsonl", "--fields", "id")[1].count("\n") == 2  # the articles stayed


def test_commands_on_a_missing_library_say_so_and_create_nothing() -> None:
    for command in (["sync"], ["library", "stats"], ["library", "export"], ["remove", "x"]):
        code, _, err = lib(*command)
        assert code == 3, command
        assert f"there is no library at {default_library_path()} yet" in err
    code, out, _ = lib("sources", "--json")
    assert (code, out) == (3, "[]\n")
    assert not default_library_path().exists()


def test_add_refuses_stdin_and_stats_counts() -> None:
    code, _, err = lib("add", "-")
    assert code == 2 and "standard input (`-`) cannot be remembered" in err
    lib("add", str(EXAMPLES))
    code, out, _ = lib("library", "stats", "--json")
    stats = json.loads(out)
    assert (stats["articles"], stats["sources"], stats["authors"]) == (10, 1, 3)
    assert stats["by_author"][0] == {"handle": "priya_raman", "name": "Priya Raman", "articles": 5}
    code, out, _ = lib("library", "stats")
    assert out.splitlines()[1].startswith(
        "articles  9 (10 copies with republished revisions; 10 revisions stored), 2026-"
    )


# --- --save and --new ---------------------------------------------------------------------------


def common(*sources: str, save: bool = False, new: bool = False) -> Common:
    return Common(sources, Selection(), Verbosity.QUIET, False, FetchLimits(), save=save, new=new)


def quiet_env() -> tuple[Environment, Messenger]:
    env = Environment(stdin=io.BytesIO(), stdout=io.BytesIO(), stderr=io.StringIO())
    return env, Messenger(env, Verbosity.QUIET)


def test_save_stores_what_sources_gave_and_nothing_else_touches_the_library() -> None:
    env, messenger = quiet_env()
    with reading(env, common(str(EXAMPLES)), messenger) as collection:
        assert len(collection) == 9
    assert not default_library_path().exists()
    with reading(env, common(str(EXAMPLES), save=True), messenger) as collection:
        assert len(collection) == 9
    with Library.open(default_library_path()) as library:
        assert len(library) == 10 and library.sources() == []  # stored, not remembered


def test_new_leaves_out_what_earlier_builds_of_the_same_book_held() -> None:
    env, messenger = quiet_env()
    options = BookOptions(GroupBy.AUTHOR)
    feed = str(EXAMPLES / "devto-priya-raman.xml")
    with Library.open(default_library_path()) as library:
        digest = Digest(library, messenger.info)
        with reading(env, common(feed), messenger) as collection:
            grouping = group_articles(collection.select(Selection()), options)
        (book,) = digest.only_new(grouping, options).books
        assert len(book.articles) == 4  # 5 items, one republished
        (first_three,) = group_articles(book.articles[:3], options).books
        digest.record(first_three)  # last week's digest
        (this_week,) = digest.only_new(grouping, options).books
        assert this_week.key == book.key and this_week.articles == book.articles[3:]
        digest.record(this_week)
        with pytest.raises(NothingToOutput, match="nothing new: all 4 article"):
            digest.only_new(grouping, options)
        assert Digest(None, messenger.info).only_new(grouping, options) is grouping


def test_new_digest_of_several_feeds_stays_one_book() -> None:
    """With ``--group-by none`` the book is named by its feeds: a build whose new articles all
    come from one of them is still recorded as that book, so the next run leaves them out."""
    env, messenger = quiet_env()
    options = BookOptions(GroupBy.NONE)
    feeds = [str(EXAMPLES / "devto-priya-raman.xml"), str(EXAMPLES / "devto-tomas-ferreira.xml")]
    with Library.open(default_library_path()) as library:
        digest = Digest(library, messenger.info)
        with reading(env, common(*feeds), messenger) as collection:
            grouping = group_articles(collection.select(Selection()), options)
        (book,) = grouping.books
        one_feed = [a for a in book.articles if a.feed.url != book.articles[-1].feed.url]
        (earlier,) = group_articles(one_feed, options).books
        digest.record(replace(earlier, key=book.key))
        (fresh,) = digest.only_new(grouping, options).books
        assert {a.feed.url for a in fresh.articles} == {book.articles[-1].feed.url}
        assert fresh.key == book.key  # not the key of the one feed its new articles come from
        digest.record(fresh)
        with pytest.raises(NothingToOutput):
            digest.only_new(grouping, options)


def test_messages_name_the_library_when_nothing_matches_or_a_source_is_unknown() -> None:
    lib("add", str(EXAMPLES))
    code, out, err = main("jsonl", "--author", "nobody")
    assert (code, out) == (3, "")
    assert (
        err.splitlines()[-1] == "feed2book: error: no article in the library matches the selection"
    )
    code, _, err = lib("sync", "elsewhere.xml")
    assert code == 2
    assert "not a source of the library: " in err and "`feed2book sources` lists them" in err


def test_an_explicit_library_wins_over_the_default(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    lib("add", str(EXAMPLES / "devto-tomas-ferreira.xml"), "--library", str(other))
    env, messenger = quiet_env()
    explicit = Common((), Selection(), Verbosity.QUIET, False, FetchLimits(), library=other)
    with reading(env, explicit, messenger) as collection:
        assert len(collection) == 2  # not the 9 bundled examples
    assert not default_library_path().exists()


def test_digest_tells_what_it_left_out_to_whoever_asked() -> None:
    """``Digest`` lives in the library: it reports through a callable, not the CLI's messenger."""
    env, messenger = quiet_env()
    options = BookOptions(GroupBy.AUTHOR)
    told: list[str] = []
    feed = str(EXAMPLES / "devto-priya-raman.xml")
    with Library.open(default_library_path()) as library:
        digest = Digest(library, told.append)
        with reading(env, common(feed), messenger) as collection:
            grouping = group_articles(collection.select(Selection()), options)
        (book,) = grouping.books
        (first,) = group_articles(book.articles[:1], options).books
        digest.record(first)
        digest.only_new(grouping, options)
    assert told == ["--new: 1 article of earlier builds left out"]
