"""The library commands: `add`, `sync`, `sources`, `remove`, `library stats|check|export|import`.

``register(app)`` adds them to the ``feed2book`` app (``cli.py`` calls it), so this module
imports nothing from ``cli.py``. Data goes to stdout, messages and the sync summary to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from feed2book.atomic import atomic_writer
from feed2book.cli.console import Environment, ExitStatus, Messenger, Verbosity
from feed2book.cli.delivery_options import MaxMbOpt, SendOpt
from feed2book.cli.options import (
    DebugOpt,
    FullTextOpt,
    JsonOpt,
    LibraryOpt,
    NetworkOptions,
    QuietOpt,
    ReportOptions,
)
from feed2book.cli.params import command
from feed2book.cli.session import damaged_message, edge
from feed2book.errors import NothingToOutput, UsageError
from feed2book.i18n import plural
from feed2book.sources.limits import Budget

if TYPE_CHECKING:  # the commands import what they use: `feed2book --help` starts fast
    from feed2book.library import Library, SourceInfo
    from feed2book.library.records import Damage
    from feed2book.library.sync import SourceResult


@contextmanager
def _session(
    env: Environment, library: Path | None, report: ReportOptions
) -> Iterator[tuple[Messenger, Path]]:
    from feed2book.library import default_library_path

    quiet, debug = report.quiet, report.debug
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with edge(env, messenger):
        if report.verbose and quiet:
            raise UsageError("--verbose and --quiet cannot be used together")
        if report.verbose:
            messenger.verbosity = Verbosity.VERBOSE
        yield messenger, library or default_library_path()


def _existing(path: Path, what: str, messenger: Messenger, *, read_only: bool = False) -> Library:
    """The library at ``path``; ``NothingToOutput`` (exit 3) when there is none yet.
    ``read_only`` for commands that only read: nothing is written, not even on opening."""
    from feed2book.library import Library

    if not path.is_file():
        raise NothingToOutput(
            f"{what}: there is no library at {path} yet",
            hint="`feed2book add FEED…` creates it",
        )
    return Library.open(path, create=False, read_only=read_only, on_wait=messenger.info)


@dataclass(frozen=True, slots=True)
class AddOptions:
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Feeds to remember: URLs, files, directories, globs or OPML lists. "
            "Example: `https://dev.to/feed/ben blogroll.opml`.",
            show_default=False,
        ),
    ]
    library: LibraryOpt = None
    full_text: FullTextOpt = None
    network: NetworkOptions = field(default_factory=NetworkOptions)
    report: ReportOptions = field(default_factory=ReportOptions)


@command
def add_command(env: Environment, options: AddOptions) -> None:
    """Remember feeds in the library and import their articles now.

    `--full-text always|never|auto` is remembered for the source: books read from the library
    then fetch its articles' pages accordingly, unless a build gives `--full-text` itself.

    `feed2book sync` re-reads them later; every building command given no SOURCES reads the
    library. An OPML list is one source (`sync` re-reads the list and every feed it names);
    local paths are remembered as absolute paths. A source nothing can be read from is not
    remembered. While another process writes to the library, `add` says it waits, and gives up
    after `FEED2BOOK_BUSY_TIMEOUT` seconds (default 30).

    Examples:

        feed2book add https://dev.to/feed/matt_frank_usa

        feed2book add examples/feeds/blogroll.opml "examples/feeds/*.xml"

        feed2book add examples/feeds --library my-library.sqlite3

        feed2book add --full-text always https://news.example.org/rss
    """
    from feed2book.library import Library
    from feed2book.library.intake import normalise_spec
    from feed2book.library.sync import add_source
    from feed2book.sources.fetch import HttpFetcher

    network, full_text, debug = options.network, options.full_text, options.report.debug
    with _session(env, options.library, options.report) as (messenger, path):
        specs = [normalise_spec(spec) for spec in options.sources]
        failed = False
        budget = Budget(network.source_limits())
        with (
            Library.open(path, on_wait=messenger.info) as store,
            HttpFetcher(network.fetch_limits()) as fetch,
            messenger.progress("Adding", total=len(specs)) as bar,
        ):
            for spec in specs:
                result = add_source(
                    store, fetch, spec, on_problem=messenger.problem, debug=debug, budget=budget
                )
                failed |= result.failed
                if result.remembered and full_text is not None:
                    store.set_full_text(spec, full_text.value)
                if result.remembered:
                    messenger.info(f"added {spec}: {_counts(result)}")
                else:
                    messenger.info(f"not added: {spec} (nothing could be read from it)")
                bar.advance(f"Adding: {spec}")
            messenger.info(f"the library {path} holds {held_articles(store)}")
        raise typer.Exit(ExitStatus.SOURCES_FAILED if failed else ExitStatus.OK)


def counted_once(store: Library) -> int:
    """The library's articles with each republished post counted once, as `list` counts."""
    from feed2book.library.reading import collect_library

    with collect_library(store) as collection:
        collection.finish()
        return len(collection)


def held_articles(store: Library) -> str:
    """What the library holds, counted as `list` and `epub` count it (a post republished under
    a new address once): "48 articles (56 copies with republished revisions)"."""
    copies, posts = len(store), counted_once(store)
    held = plural(posts, "article", "articles")
    return held if posts == copies else f"{held} ({copies} copies with republished revisions)"


@dataclass(frozen=True, slots=True)
class SyncOptions:
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Only these remembered sources (as `feed2book sources` shows them; "
            "default: all). Example: `https://dev.to/feed/ben`.",
            show_default=False,
        ),
    ] = None
    library: LibraryOpt = None
    network: NetworkOptions = field(default_factory=NetworkOptions)
    send: SendOpt = None
    max_mb: MaxMbOpt = None
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="With --send: where the books sent are written (default: `sent/` beside the "
            "library).",
            show_default=False,
            file_okay=False,
        ),
    ] = None
    report: ReportOptions = field(default_factory=ReportOptions)


@command
def sync_command(env: Environment, options: SyncOptions) -> None:
    """Re-read the library's sources and store what is new or changed.

    URLs are fetched with conditional GET (ETag / Last-Modified), so an unchanged feed costs
    one short request and no parsing. Each source is stored in one transaction: a source that
    fails is reported and the others still sync. A summary table (new, updated, unchanged,
    status per source) goes to stderr; the exit status is 1 when any source failed. While
    another process writes to the library, `sync` says it waits, and gives up after
    `FEED2BOOK_BUSY_TIMEOUT` seconds (default 30).

    With `--send ADDRESS`, what the library holds that was never delivered to ADDRESS then
    becomes one book (`epub --group-by none --send ADDRESS`) that is e-mailed; nothing new to
    send is not an error.

    Examples:

        feed2book sync

        feed2book sync https://dev.to/feed/ben

        feed2book sync --quiet && feed2book epub --new -o weekly/

        feed2book sync --quiet --send me_123@kindle.com   # in a crontab
    """
    from feed2book.cli.tables import render, sync_table
    from feed2book.library.sync import sync
    from feed2book.sources.fetch import HttpFetcher

    network, sources, debug = options.network, options.sources, options.report.debug
    with _session(env, options.library, options.report) as (messenger, path):
        if options.max_mb is not None and options.send is None:
            raise UsageError("--max-mb needs --send")
        with _existing(path, "nothing to sync", messenger) as store:
            total = len(sources) if sources else len(store.sources())
            if not total:
                raise NothingToOutput(
                    f"nothing to sync: the library {path} remembers no sources",
                    hint="`feed2book add FEED…` adds one",
                )
            with (
                HttpFetcher(network.fetch_limits()) as fetch,
                messenger.progress("Syncing", total=total) as bar,
            ):

                def progress(result: SourceResult) -> None:
                    messenger.detail(f"{result.source}: {result.status}, {_counts(result)}")
                    bar.advance(f"Syncing: {result.source}")

                results = sync(
                    store,
                    fetch,
                    sources or None,
                    on_progress=progress,
                    on_problem=messenger.problem,
                    debug=debug,
                    budget=Budget(network.source_limits()),
                )
        if messenger.verbosity >= Verbosity.NORMAL:
            env.stderr.write(render(sync_table(results), width=_width(env)))
            env.stderr.flush()
        failed = any(result.failed for result in results)
        send, output = options.send, options.output
        status = (
            _send_new(env, send, path, output, messenger, options.max_mb) if send else ExitStatus.OK
        )
        raise typer.Exit(ExitStatus.SOURCES_FAILED if failed else status)


def _send_new(
    env: Environment,
    to: str,
    library: Path,
    output: Path | None,
    messenger: Messenger,
    max_mb: float | None,
) -> int:
    """``epub --group-by none --send TO`` on the library; "nothing new" is a success here."""
    from feed2book.cli.commands import EpubOptions, build_epub  # late: commands imports this
    from feed2book.cli.options import BookLayout, BookReading, ReportOptions
    from feed2book.delivery.ledger import has_undelivered
    from feed2book.group import GroupBy
    from feed2book.library import Library

    with Library.open(library) as store:
        if not has_undelivered(store, to):
            messenger.info(f"nothing new to send to {to}")
            return ExitStatus.OK
    options = EpubOptions(
        output=output or library.parent / "sent",
        layout=BookLayout(group_by=GroupBy.NONE),
        reading=BookReading(library=library),
        send=to,
        max_mb=max_mb,
        report=ReportOptions(quiet=messenger.verbosity < Verbosity.NORMAL, debug=messenger.debug),
    )
    try:
        status = build_epub(env, options)
    except typer.Exit as exit_:
        status = exit_.exit_code
    return ExitStatus.OK if status == ExitStatus.NOTHING else status


def sources_command(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """List the library's sources: kind, when added and last synced, last status, articles.

    Examples:

        feed2book sources

        feed2book sources --json | jq -r '.[] | select(.last_status == "failed")'
    """
    from feed2book.cli.tables import render, sources_table
    from feed2book.library import Library

    env = Environment.of(ctx)
    with _session(env, library, ReportOptions(quiet=quiet, debug=debug)) as (_, path):
        found: list[SourceInfo] = []
        if path.is_file():
            with Library.open(path, create=False, read_only=True) as store:
                found = store.sources()
        if as_json:
            text = json.dumps([asdict(source) for source in found], ensure_ascii=False, indent=2)
            env.stdout.write(text.encode("utf-8") + b"\n")
        elif found:
            env.stdout.write(render(sources_table(found)).encode("utf-8"))
        env.stdout.flush()
        if not found:
            raise NothingToOutput(
                f"the library {path} remembers no sources", hint="`feed2book add FEED…` adds one"
            )


def remove_command(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            help="A remembered source, as `feed2book sources` shows it (or as you added it). "
            "Example: `https://dev.to/feed/ben`.",
            show_default=False,
        ),
    ],
    library: LibraryOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Forget a source: `sync` no longer reads it. Its articles stay in the library.

    Books built later still include them (the library keeps every article ever seen);
    `feed2book library export`, then a fresh library and `import`, starts over.

    Examples:

        feed2book remove https://dev.to/feed/ben

        feed2book remove examples/feeds/blogroll.opml
    """
    from feed2book.library.intake import normalise_spec

    env = Environment.of(ctx)
    with _session(env, library, ReportOptions(quiet=quiet, debug=debug)) as (messenger, path):
        spec = normalise_spec(source)
        with _existing(path, "nothing to remove", messenger) as store:
            kept = {info.spec: info.articles for info in store.sources()}
            if not store.remove_source(spec):
                raise UsageError(
                    f"{source}: not a source of the library",
                    hint="`feed2book sources` lists them",
                )
        messenger.info(
            f"removed {spec}; its {plural(kept.get(spec, 0), 'article', 'articles')} stay in"
            " the library"
        )


def _counts(result: SourceResult) -> str:
    stored = result.stored
    text = f"{stored.new} new, {stored.updated} updated, {stored.unchanged} unchanged"
    if result.not_modified:
        text += f", {plural(result.not_modified, 'feed', 'feeds')} not modified"
    return text


# --- the `library` sub-commands ----------------------------------------------------------------

library_app = typer.Typer(
    name="library",
    help="The library itself: what it holds (`stats`), whether it is sound (`check`), and "
    "moving it between machines (`export`, `import`).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",
)


@library_app.command("stats")
def stats_command(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """What the library holds: totals, and articles per author, feed and month.

    Examples:

        feed2book library stats

        feed2book library stats --json | jq '.by_author[:5]'
    """
    from feed2book.cli.tables import stats_text

    env = Environment.of(ctx)
    with _session(env, library, ReportOptions(quiet=quiet, debug=debug)) as (messenger, path):
        with _existing(path, "no statistics", messenger, read_only=True) as store:
            stats = store.stats()
            posts = counted_once(store)
        if as_json:
            document = {"library": str(path), **stats.as_dict(), "articles_counted_once": posts}
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        else:
            text = stats_text(path, stats, posts)
        env.stdout.write(text.encode("utf-8"))
        env.stdout.flush()


@library_app.command("export")
def export_command(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead of stdout (`-`). Example: `-o library.jsonl`.",
        ),
    ] = "-",
    library: LibraryOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write every stored article as JSON Lines (the `feed2book jsonl` layout).

    Any feed2book command reads the file back as a source; `feed2book library import` stores
    it in another library. The current revision of each article travels; revision history,
    remembered sources and build records do not.

    Examples:

        feed2book library export -o library.jsonl

        feed2book library export | gzip > library.jsonl.gz

        feed2book library export | jq -r .title | sort | uniq -d
    """
    env = Environment.of(ctx)
    with _session(env, library, ReportOptions(quiet=quiet, debug=debug)) as (messenger, path):
        with _existing(path, "nothing to export", messenger, read_only=True) as store:

            def damaged(damage: Damage) -> None:
                messenger.warning(damaged_message(damage))

            if output == "-":
                count = store.export_jsonl(
                    lambda line: env.stdout.write(line.encode("utf-8")), on_damage=damaged
                )
                env.stdout.flush()
            else:
                with atomic_writer(Path(output)) as handle:
                    count = store.export_jsonl(
                        lambda line: handle.write(line.encode("utf-8")), on_damage=damaged
                    )
        messenger.info(f"exported {plural(count, 'article', 'articles')} from {path}")
        if not count:
            raise typer.Exit(ExitStatus.NOTHING)


@library_app.command("check")
def check_command(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    library: LibraryOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check the library: SQLite's integrity_check and foreign_key_check, and every stored
    record read back. Lists each damaged record (article id, revision, what is wrong).

    Reading commands leave damaged records out (with a warning each) and read the rest;
    `library export` saves every readable record. Exit status 0 when all is well, 1 when
    damage was found. The library is only read.

    Examples:

        feed2book library check

        feed2book library check --json | jq -r '.damaged[].article_id'

        feed2book library check || feed2book library export -o rescued.jsonl
    """
    from feed2book.library.check import check_text

    env = Environment.of(ctx)
    with _session(env, library, ReportOptions(quiet=quiet, debug=debug)) as (messenger, path):
        with _existing(path, "nothing to check", messenger, read_only=True) as store:
            report = store.check()
        if as_json:
            document = {"library": str(path), **report.as_dict()}
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        else:
            text = check_text(report)
        env.stdout.write(text.encode("utf-8"))
        env.stdout.flush()
        if not report.ok:
            raise typer.Exit(ExitStatus.SOURCES_FAILED)


@library_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="feed2book JSON Lines (from `library export` or `feed2book jsonl`), "
            "or `-` for stdin. Example: `library.jsonl`.",
            show_default=False,
        ),
    ],
    library: LibraryOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Store the articles of a JSON Lines file in the library (HTML is cleaned again).

    Examples:

        feed2book library import library.jsonl

        gunzip -c library.jsonl.gz | feed2book library import -

        feed2book jsonl examples/feeds --tag rust | feed2book library import -
    """
    from feed2book.library import Library
    from feed2book.library.intake import normalise_spec
    from feed2book.sources.resolver import STDIN

    env = Environment.of(ctx)
    with _session(env, library, ReportOptions(quiet=quiet, debug=debug)) as (messenger, path):
        name = "import:<stdin>" if file == STDIN else f"import:{normalise_spec(file)}"
        with Library.open(path, on_wait=messenger.info) as store:
            if file == STDIN:
                result = store.import_jsonl(env.stdin, name)
            else:
                try:
                    with open(file, "rb") as handle:
                        result = store.import_jsonl(handle, name)
                except OSError as error:
                    raise UsageError(f"{file}: cannot read ({error.strerror})") from None
        for problem in result.problems:
            messenger.problem(problem)
        stored = result.stored
        messenger.info(
            f"imported {plural(result.read, 'article', 'articles')} into {path}: {stored.new} new, "
            f"{stored.updated} updated, {stored.unchanged} unchanged"
        )
        if not result.read:
            raise typer.Exit(ExitStatus.SOURCES_FAILED if result.problems else ExitStatus.NOTHING)


def register(app: typer.Typer) -> None:
    """Add the library commands to ``app`` (the ``feed2book`` command)."""

    app.command("add")(add_command)
    app.command("sync")(sync_command)
    app.command("sources")(sources_command)
    app.command("remove")(remove_command)
    app.add_typer(library_app, name="library")


def _width(env: Environment) -> int:
    if not env.stderr_isatty:
        return 120
    from rich.console import Console  # 25 ms: only for a terminal's width

    return Console(file=env.stderr).width
