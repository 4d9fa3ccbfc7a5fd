"""What every building command shares: reading options, the session, the exception edge.

``session`` turns the shared options into a ``Common`` (usage errors included), ``reading`` reads
the sources (or, without SOURCES, the library) into a ``Collection``, ``digest`` opens the
``library.digest.Digest`` of ``--new``, and ``edge`` turns exceptions into one-line messages and
exit statuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Protocol
from weakref import WeakSet

import typer

from feed2book.api import bundled_examples
from feed2book.cli.console import Environment, ExitStatus, Messenger, Verbosity
from feed2book.cli.options import NetworkOptions, ReportOptions, SelectionOptions
from feed2book.errors import Feed2BookError, NothingToOutput, UsageError, describe
from feed2book.i18n import plural
from feed2book.library.digest import Digest
from feed2book.pipeline import Collection, collect
from feed2book.select import Selection, compile_title_match, parse_when
from feed2book.sources.fetch import FetchLimits
from feed2book.sources.limits import SourceLimits


@dataclass(frozen=True)
class Common:
    """What every building command shares, gathered from its options."""

    sources: tuple[str, ...]
    selection: Selection
    verbosity: Verbosity
    debug: bool
    limits: FetchLimits
    library: Path | None = None  # --library (None: the default library)
    save: bool = False  # --save: also store what SOURCES gave in the library
    new: bool = False  # --new: only articles no earlier build of the same book held
    source_limits: SourceLimits = field(default_factory=SourceLimits)  # --max-sources…

    @property
    def library_path(self) -> Path:
        from feed2book.library import default_library_path

        return self.library or default_library_path()


class Reads(Protocol):
    """What a reading command's options say about reading: which articles, how sources are
    fetched, which library and whether to write to it (``--save``, ``--new``)."""

    @property
    def selection(self) -> SelectionOptions: ...
    @property
    def network(self) -> NetworkOptions: ...
    @property
    def library(self) -> Path | None: ...
    @property
    def save(self) -> bool: ...
    @property
    def new(self) -> bool: ...


def common_options(
    env: Environment, sources: list[str] | None, options: Reads, report: ReportOptions
) -> Common:
    """The shared options read: usage errors are raised here, before anything is read."""
    chosen, network = options.selection, options.network
    if report.verbose and report.quiet:
        raise UsageError("--verbose and --quiet cannot be used together")
    if any(not spec.strip() for spec in sources or ()):
        raise UsageError(
            "an empty SOURCE names nothing",
            hint="give a file, directory, glob or URL; `.` is the current directory",
        )
    selection = Selection(
        authors=tuple(chosen.author or ()),
        tags=tuple(chosen.tag or ()),
        series=tuple(chosen.series or ()),
        since=parse_when(chosen.since, env.now) if chosen.since else None,
        until=parse_when(chosen.until, env.now, end_of_day=True) if chosen.until else None,
        title_match=compile_title_match(chosen.title_match) if chosen.title_match else None,
        limit=chosen.limit,
        all_revisions=chosen.all_revisions,
    )
    if options.save and not sources:
        raise UsageError(
            "--save needs SOURCES to save",
            hint="without SOURCES the library itself is read; `feed2book sync` refreshes it",
        )
    return Common(
        tuple(sources or ()),
        selection,
        verbosity(report),
        report.debug,
        network.fetch_limits(),
        library=options.library,
        save=options.save,
        new=options.new,
        source_limits=network.source_limits(),
    )


def verbosity(report: ReportOptions) -> Verbosity:
    if report.quiet:
        return Verbosity.QUIET
    return Verbosity.VERBOSE if report.verbose else Verbosity.NORMAL


@contextmanager
def session(
    env: Environment, sources: list[str] | None, options: Reads, report: ReportOptions
) -> Iterator[tuple[Messenger, Common]]:
    """What every reading command starts with: a messenger, the shared options read (usage
    errors included) and the exception edge around the command's body."""
    quiet, debug = report.quiet, report.debug
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with edge(env, messenger):
        common = common_options(env, sources, options, report)
        messenger.verbosity = common.verbosity
        yield messenger, common


@contextmanager
def reading(env: Environment, common: Common, messenger: Messenger) -> Iterator[Collection]:
    """Read the sources; without SOURCES, the library (or, while it is empty and no selector
    such as ``--author`` is given, the bundled examples: a tour, never a silent stand-in for
    what the user asked for). With ``--save``, what SOURCES gave is also stored in the library."""
    if common.sources:
        collection = _read_sources(common.sources, env, common, messenger)
    else:
        from_library = _read_library(common, messenger)
        if from_library is None:
            if _selects(common.selection):
                raise empty_library(common.selection, common.library_path)
            messenger.info(
                "no SOURCES given; reading the bundled example feeds (the library holds no "
                "articles yet: `feed2book add FEED…` adds feeds to it)"
            )
            from_library = _read_sources((bundled_examples(),), env, common, messenger)
        collection = from_library
    with collection:
        collection.finish(all_revisions=common.selection.all_revisions)
        _tell_dropped(collection, messenger)
        yield collection


def _tell_dropped(collection: Collection, messenger: Messenger) -> None:
    """Every item left out is accounted for: one line by reason, one per item with -v."""
    from feed2book.cli.listing import dropped_detail, dropped_summary

    dropped = collection.report.dropped
    if dropped:
        messenger.info(dropped_summary(dropped))
    for item in dropped:
        messenger.detail(dropped_detail(item))


_FROM_LIBRARY: WeakSet[Collection] = WeakSet()  # for messages that name where articles were


def came_from_library(collection: Collection) -> bool:
    """Whether ``collection`` was read from the library (not from SOURCES)."""
    return collection in _FROM_LIBRARY


def _read_library(common: Common, messenger: Messenger) -> Collection | None:
    from feed2book.library import Library
    from feed2book.library.reading import collect_library

    path = common.library_path
    if path.is_file():
        with Library.open(path, create=False, read_only=True) as library:
            if not library.is_empty():
                messenger.info(f"no SOURCES given; reading the library {path}")
                collection = collect_library(
                    library,
                    common.selection,
                    debug=common.debug,
                    on_damage=lambda damage: messenger.warning(damaged_message(damage)),
                )
                _FROM_LIBRARY.add(collection)
                return collection
    return None


_DEV_TO_HANDLE = re.compile(r"@?[A-Za-z0-9_]{2,30}")


def _selects(selection: Selection) -> bool:
    """Whether the user asked for particular articles (rather than "whatever there is")."""
    return bool(
        selection.authors
        or selection.tags
        or selection.series
        or selection.since
        or selection.until
        or selection.title_match
    )


def empty_library(selection: Selection, path: Path) -> NothingToOutput:
    """The library holds nothing to choose from: say so and give the next step, the feed of
    the wanted author on dev.to when the name looks like a dev.to handle."""
    handles = [a for a in selection.authors if _DEV_TO_HANDLE.fullmatch(a.strip())]
    handle = handles[0].strip().lstrip("@").lower() if handles else ""
    feed = f"https://dev.to/feed/{handle}" if handle else "URL"
    return NothingToOutput(
        f"the library {path} is empty: no SOURCES given and no articles to select from",
        hint=f"add a feed first: `feed2book add {feed}`; or name SOURCES, "
        "e.g. `feed2book epub examples/feeds` for the bundled examples",
    )


def closest_authors(collection: Collection, wanted: tuple[str, ...]) -> list[str]:
    """The handles and names in ``collection`` nearest to the ``--author`` values (difflib)."""
    known: dict[str, str] = {}
    for article in collection.select():
        for author in article.authors:
            for name in (author.handle, author.name):
                if name:
                    known.setdefault(name.casefold(), name)
    close: list[str] = []
    for value in wanted:
        for match in get_close_matches(value.strip().lstrip("@").casefold(), known, 3, 0.5):
            if known[match] not in close:
                close.append(known[match])
    return close


def damaged_message(damage: object) -> str:
    """The warning for a damaged library record (``records.Damage``): one line, and where to
    see them all."""
    return f"{damage} (`feed2book library check` lists every damaged record)"


def _read_sources(
    specs: tuple[str, ...], env: Environment, common: Common, messenger: Messenger
) -> Collection:
    from feed2book.sources.fetch import HttpFetcher  # httpx: only when a URL is read
    from feed2book.sources.limits import Budget
    from feed2book.sources.resolver import SourceContext

    with HttpFetcher(common.limits) as fetcher, messenger.progress("Reading feeds") as bar:
        budget = Budget(common.source_limits)
        context = SourceContext(fetch=fetcher, stdin=env.stdin, budget=budget)

        read = [0]  # articles parsed and cleaned so far, for the progress line

        def on_source(origin: str, count: int) -> None:
            messenger.detail(f"{origin}: {plural(count, 'article', 'articles')}")
            read[0] += count
            name = Path(origin).name or origin
            bar.advance(f"Reading feeds: {plural(read[0], 'article', 'articles')} ({name})")

        if not common.save:
            return collect(
                specs,
                context,
                on_problem=messenger.problem,
                on_source=on_source,
                debug=common.debug,
            )
        from feed2book.library import Library  # sqlite3 and the store: only with --save
        from feed2book.library.reading import collect_and_save

        with Library.open(common.library_path, on_wait=messenger.info) as library:
            collection = collect_and_save(
                specs,
                context,
                library,
                on_problem=messenger.problem,
                on_source=on_source,
                debug=common.debug,
            )
            messenger.info(f"saved what SOURCES gave in the library {library.path}")
            return collection


@contextmanager
def digest(common: Common, messenger: Messenger, send_to: str | None = None) -> Iterator[Digest]:
    """A ``Digest`` over the library with ``--new``; one that changes nothing without. With
    ``send_to`` (``--send``), "earlier" means delivered to that address."""
    if not common.new and send_to is None:
        yield Digest(None, messenger.info)
        return
    from feed2book.library import Library  # sqlite3 and the store: only with --new or --send

    with Library.open(common.library_path, on_wait=messenger.info) as library:
        if send_to is None:
            yield Digest(library, messenger.info)
            return
        from feed2book.delivery.ledger import delivered_article_ids

        delivered = delivered_article_ids(library, send_to)
        yield Digest(library, messenger.info, lambda key: delivered)


def exit_status(collection: Collection, written: int) -> ExitStatus:
    if collection.report.failed_sources:
        return ExitStatus.SOURCES_FAILED
    if written == 0:
        return ExitStatus.NOTHING
    return ExitStatus.OK


def nothing_message(collection: Collection, selection: Selection | None = None) -> str:
    if collection in _FROM_LIBRARY:
        message = "no article in the library matches the selection"
    elif len(collection) == 0:
        return "no articles found in the sources"
    else:
        message = f"no article matches the selection ({len(collection)} read)"
    if selection is not None and selection.authors:
        unmatched = Selection(authors=selection.authors)
        if not any(True for _ in collection.select(unmatched)):
            close = closest_authors(collection, selection.authors)
            if close:
                message += "; closest authors: " + ", ".join(close)
    return message


@contextmanager
def edge(env: Environment, messenger: Messenger) -> Iterator[None]:
    """Turn exceptions into one-line messages and exit statuses."""
    try:
        yield
    except typer.Exit:
        raise
    except UsageError as error:
        messenger.failure(error)
        raise typer.Exit(ExitStatus.USAGE) from None
    except NothingToOutput as error:
        messenger.failure(error)
        raise typer.Exit(ExitStatus.NOTHING) from None
    except Feed2BookError as error:
        if messenger.debug:
            raise
        messenger.failure(error)
        raise typer.Exit(ExitStatus.SOURCES_FAILED) from None
    except KeyboardInterrupt:
        messenger.error("interrupted")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except BrokenPipeError:
        raise typer.Exit(ExitStatus.OK) from None
    except Exception as error:
        if messenger.debug:
            raise
        messenger.error(describe(error), "run with --debug for the traceback")
        raise typer.Exit(ExitStatus.SOURCES_FAILED) from None


# --- commands ----------------------------------------------------------------------------------
