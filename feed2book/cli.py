"""The ``feed2book`` command: options, messages, progress and exit codes; no logic of its own.

Every command reads SOURCES (files, globs, directories, URLs, OPML, ``-``) through
``feed2book.pipeline`` and hands the selected articles to a writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from feed2book import __version__
from feed2book.books import CoverChoice, make_cover, write_book_files
from feed2book.console import Environment, ExitStatus, Messenger, Verbosity
from feed2book.covers import (
    CoverSpec,
    cover_bytes,
    load_cover_file,
    render_gallery,
    theme_names,
)
from feed2book.errors import Feed2BookError, NothingToOutput, OutputError, UsageError
from feed2book.fetch import FetchLimits, HttpFetcher
from feed2book.group import BookOptions, GroupBy, Sections, group_articles
from feed2book.listing import render_listing, summary, summary_line
from feed2book.models import Article, Book
from feed2book.output import atomic_writer, write_bytes_atomically
from feed2book.pipeline import Collection, collect
from feed2book.select import Selection, compile_title_match, parse_when
from feed2book.sources import SourceContext
from feed2book.writers.epub import build_epub
from feed2book.writers.jsonl import Content, article_record, choose_fields, dumps

app = typer.Typer(
    name="feed2book",
    help="Turn blog feeds (RSS, Atom, JSON Feed, OPML) into EPUB books, Markdown bundles and "
    "JSON Lines.\n\nWith no SOURCES, commands read the bundled example feeds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",
)

# --- options shared by every building command --------------------------------------------------

SourcesArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Feeds to read: files (any extension; the content is sniffed), globs, directories, "
        "http(s) URLs, OPML lists, `-` for stdin, or feed2book JSON Lines. "
        "Example: `feeds/*.xml https://dev.to/feed/ben`.",
        show_default=False,
    ),
]
AuthorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--author",
        "-a",
        help="Only this author: handle or display name, any case "
        "(repeatable). Example: `--author matt_frank_usa`.",
        show_default=False,
    ),
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        help="Only articles with this tag (repeatable). Example: `--tag python`.",
        show_default=False,
    ),
]
SeriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        help="Only this series (as detected from titles; repeatable). "
        'Example: `--series "AI System Design in Seconds"`.',
        show_default=False,
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Published on or after: ISO date or a span back from now "
        "(`30d`, `2w`, `6m`, `1y`). Example: `--since 2026-01-01`.",
        show_default=False,
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Published on or before (a bare date includes that day). "
        "Example: `--until 2026-05-31`.",
        show_default=False,
    ),
]
TitleOpt = Annotated[
    str | None,
    typer.Option(
        "--title-match",
        help="Only titles matching this regular expression "
        "(case-insensitive). Example: `--title-match '^Day \\d+'`.",
        show_default=False,
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        min=1,
        help="At most this many articles: the newest that match. Example: `--limit 20`.",
        show_default=False,
    ),
]
RevisionsOpt = Annotated[
    bool,
    typer.Option(
        "--all-revisions",
        help="Keep every republished copy of a post, not just the "
        "newest. Example: `--all-revisions`.",
    ),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also say what each source gave.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only errors on stderr; no progress.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback when something fails.")]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="Accept HTTPS certificates that do not verify.")
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Network timeout per request, in seconds.")
]


@dataclass(frozen=True)
class Common:
    """What every building command shares, gathered from its options."""

    sources: tuple[str, ...]
    selection: Selection
    verbosity: Verbosity
    debug: bool
    limits: FetchLimits


def _common(
    env: Environment,
    sources: list[str] | None,
    *,
    author: list[str] | None,
    tag: list[str] | None,
    series: list[str] | None,
    since: str | None,
    until: str | None,
    title_match: str | None,
    limit: int | None,
    all_revisions: bool,
    verbose: bool,
    quiet: bool,
    debug: bool,
    insecure: bool = False,
    timeout: float = 15.0,
) -> Common:
    if verbose and quiet:
        raise UsageError("--verbose and --quiet cannot be used together")
    selection = Selection(
        authors=tuple(author or ()),
        tags=tuple(tag or ()),
        series=tuple(series or ()),
        since=parse_when(since, env.now) if since else None,
        until=parse_when(until, env.now, end_of_day=True) if until else None,
        title_match=compile_title_match(title_match) if title_match else None,
        limit=limit,
        all_revisions=all_revisions,
    )
    verbosity = Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL
    limits = FetchLimits(timeout=timeout, insecure=insecure)
    return Common(tuple(sources or ()), selection, verbosity, debug, limits)


_SHARED_OPTIONS = (
    "author",
    "tag",
    "series",
    "since",
    "until",
    "title_match",
    "limit",
    "all_revisions",
    "verbose",
    "quiet",
    "debug",
    "insecure",
    "timeout",
)


@contextmanager
def _session(options: dict[str, Any]) -> Iterator[tuple[Environment, Messenger, Common]]:
    """What every building command starts with: the environment, a messenger, the shared
    options read (usage errors included) and the exception edge around the command's body."""
    env = Environment()
    quiet, debug = bool(options["quiet"]), bool(options["debug"])
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with _edge(env, messenger):
        shared = {name: options[name] for name in _SHARED_OPTIONS}
        common = _common(env, options["sources"], **shared)
        messenger.verbosity = common.verbosity
        yield env, messenger, common


def bundled_examples() -> str:
    """The path of the example feeds shipped inside the package."""
    return str(resources.files("feed2book.examples").joinpath("feeds"))


@contextmanager
def reading(env: Environment, common: Common, messenger: Messenger) -> Iterator[Collection]:
    """Read the sources (or the bundled examples), reporting problems as they come."""
    specs = common.sources
    if not specs:
        messenger.info("no SOURCES given; reading the bundled example feeds")
        specs = (bundled_examples(),)
    with HttpFetcher(common.limits) as fetcher, messenger.progress("Reading feeds") as bar:
        context = SourceContext(fetch=fetcher, stdin=env.stdin)

        def on_source(origin: str, count: int) -> None:
            messenger.detail(f"{origin}: {count} article(s)")
            bar.advance(f"Reading feeds: {Path(origin).name or origin}")

        collection = collect(
            specs, context, on_problem=messenger.problem, on_source=on_source, debug=common.debug
        )
    with collection:
        collection.finish(all_revisions=common.selection.all_revisions)
        yield collection


def _status(collection: Collection, written: int) -> ExitStatus:
    if collection.report.failed_sources:
        return ExitStatus.SOURCES_FAILED
    if written == 0:
        return ExitStatus.NOTHING
    return ExitStatus.OK


def _nothing_message(collection: Collection) -> str:
    if len(collection) == 0:
        return "no articles found in the sources"
    return f"no article matches the selection ({len(collection)} read)"


@contextmanager
def _edge(env: Environment, messenger: Messenger) -> Iterator[None]:
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
        messenger.error(
            f"unexpected {type(error).__name__}: {error}", "run with --debug for the traceback"
        )
        raise typer.Exit(ExitStatus.SOURCES_FAILED) from None


# --- commands ----------------------------------------------------------------------------------


@app.command("jsonl")
def jsonl_command(
    sources: SourcesArg = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead of stdout (`-`). Example: `-o articles.jsonl`.",
        ),
    ] = "-",
    content: Annotated[
        Content,
        typer.Option(
            "--content", help="Which article bodies to include. Example: `--content all`."
        ),
    ] = Content.HTML,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            help="Comma-separated keys to keep, in schema "
            "order. Example: `--fields id,title,published`.",
            show_default=False,
        ),
    ] = None,
    author: AuthorOpt = None,
    tag: TagOpt = None,
    series: SeriesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    title_match: TitleOpt = None,
    limit: LimitOpt = None,
    all_revisions: RevisionsOpt = False,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = 15.0,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write one JSON object per article (JSON Lines), streamed to stdout.

    The record layout is `feed2book/schema/article.schema.json`.

    Examples:

        feed2book jsonl feeds/*.xml | jq -r .title

        feed2book jsonl https://dev.to/feed/ben --content markdown -o ben.jsonl

        feed2book jsonl feeds/ --fields id,title,series --series "AI System Design in Seconds"
    """
    with _session(locals()) as (env, messenger, common):
        keys = choose_fields(fields, content)
        with reading(env, common, messenger) as collection:
            articles = collection.select(common.selection)
            if output == "-":
                written = _stream_jsonl(articles, keys, env)
            else:
                with atomic_writer(Path(output)) as handle:
                    written = _write_jsonl(articles, keys, handle.write, lambda: None)
            if written == 0:
                messenger.error(_nothing_message(collection))
            else:
                messenger.info(summary_line(summary(collection, written)))
            raise typer.Exit(_status(collection, written))


def _stream_jsonl(articles: Iterator[Article], keys: tuple[str, ...], env: Environment) -> int:
    return _write_jsonl(articles, keys, env.stdout.write, env.stdout.flush)


def _write_jsonl(
    articles: Iterator[Article],
    keys: tuple[str, ...],
    write: Callable[[bytes], object],
    flush: Callable[[], object],
) -> int:
    written = 0
    for article in articles:
        write((dumps(article_record(article, keys)) + "\n").encode("utf-8"))
        flush()
        written += 1
    return written


@app.command("list")
def list_command(
    sources: SourcesArg = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the articles and the summary as one JSON "
            "object instead of a table. Example: `--json | jq .summary`.",
        ),
    ] = False,
    author: AuthorOpt = None,
    tag: TagOpt = None,
    series: SeriesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    title_match: TitleOpt = None,
    limit: LimitOpt = None,
    all_revisions: RevisionsOpt = False,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = 15.0,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show what the sources hold: date, author, title and tags of every article, then a summary.

    Examples:

        feed2book list feeds/

        feed2book list blogroll.opml --since 30d

        feed2book list feeds/*.xml --author matt_frank_usa --json | jq '.articles[].title'
    """
    with (
        _session(locals()) as (env, messenger, common),
        reading(env, common, messenger) as collection,
    ):
        articles = list(collection.select(common.selection))
        facts = summary(collection, len(articles), articles)
        if as_json:
            keys = choose_fields(
                "id,url,title,authors,published,updated,tags,series,feed,"
                "language,word_count,reading_minutes",
                Content.HTML,
            )
            document = {
                "articles": [article_record(a, keys) for a in articles],
                "summary": facts,
            }
            env.stdout.write(json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n")
        else:
            env.stdout.write(render_listing(articles, facts).encode("utf-8"))
        env.stdout.flush()
        if not articles:
            messenger.error(_nothing_message(collection))
        raise typer.Exit(_status(collection, len(articles)))


GroupByOpt = Annotated[
    GroupBy,
    typer.Option(
        "--group-by",
        "-g",
        help="One book per author, series, month, week, year, "
        "first tag or feed, or `none` for a single book. Example: `--group-by series`.",
    ),
]
SectionsOpt = Annotated[
    Sections,
    typer.Option(
        "--sections",
        help="First level of each book's table of contents; `auto` "
        "uses series when there are some, else months. Example: `--sections month`.",
    ),
]
NewestFirstOpt = Annotated[
    bool, typer.Option("--newest-first", help="Newest articles first instead of reading order.")
]
BookTitleOpt = Annotated[
    str | None,
    typer.Option(
        "--title",
        help="The book title (instead of the group's name). "
        'Example: `--title "Rust, Day by Day"`.',
        show_default=False,
    ),
]
LanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="The book language as a BCP 47 tag (instead of the "
        "articles' most common one). Example: `--language fr`.",
        show_default=False,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", "-f", help="Replace existing files even when feed2book did not write them."
    ),
]
CoverThemeOpt = Annotated[
    str | None,
    typer.Option(
        "--cover-theme",
        help="Cover theme (see `feed2book cover --help`); default: "
        "chosen from the book. Example: `--cover-theme geometric`.",
        show_default=False,
    ),
]
CoverFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--cover",
        help="Use this image as the cover. Example: `--cover me.jpg`.",
        show_default=False,
        exists=True,
        dir_okay=False,
    ),
]
NoCoverOpt = Annotated[bool, typer.Option("--no-cover", help="Build books without a cover.")]


@app.command("epub")
def epub_command(
    sources: SourcesArg = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="A directory for the books (created if "
            "needed), or a file name ending in .epub when one book results. "
            "Example: `-o books/`.",
        ),
    ] = Path("."),
    group_by: GroupByOpt = GroupBy.AUTHOR,
    sections: SectionsOpt = Sections.AUTO,
    newest_first: NewestFirstOpt = False,
    title: BookTitleOpt = None,
    language: LanguageOpt = None,
    cover_theme: CoverThemeOpt = None,
    cover: CoverFileOpt = None,
    no_cover: NoCoverOpt = False,
    force: ForceOpt = False,
    author: AuthorOpt = None,
    tag: TagOpt = None,
    series: SeriesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    title_match: TitleOpt = None,
    limit: LimitOpt = None,
    all_revisions: RevisionsOpt = False,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = 15.0,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Build EPUB 3 books (valid, reproducible, with covers, series metadata and a real TOC).

    Examples:

        feed2book epub examples/feeds -o books/

        feed2book epub feeds/*.xml --author matt_frank_usa -o matt.epub

        feed2book epub feeds/ --group-by series --series "AI System Design in Seconds" -o books/

        feed2book epub blogroll.opml --since 7d --group-by none --title "This week" -o week.epub
    """
    with _session(locals()) as (env, messenger, common):
        if cover_theme is not None and cover_theme not in theme_names():
            raise UsageError(
                f"unknown cover theme {cover_theme!r}",
                hint="choose from: " + ", ".join(theme_names()),
            )
        choice = CoverChoice(
            enabled=not no_cover, theme=cover_theme, image=load_cover_file(cover) if cover else None
        )
        options = BookOptions(group_by, sections, newest_first, title, language)
        with reading(env, common, messenger) as collection:
            grouping = group_articles(collection.select(common.selection), options)
            if grouping.left_out:
                messenger.info(f"{grouping.left_out} article(s) outside any series left out")
            if not grouping.books:
                messenger.error(_nothing_message(collection))
                raise typer.Exit(_status(collection, 0))

            def build(book: Book) -> bytes:
                return build_epub(book, cover_jpeg=make_cover(book, choice))

            def written(book: Book, path: Path, replaced: list[Path]) -> None:
                note = "".join(f"; replaced {old.name}" for old in replaced)
                messenger.info(f"wrote {path} ({len(book.articles)} articles){note}")
                bar.advance(f"Building books: {book.title}")

            with messenger.progress("Building books", total=len(grouping.books)) as bar:
                write_book_files(grouping.books, output, build, force=force, on_written=written)
            raise typer.Exit(_status(collection, len(grouping.books)))


@app.command("cover")
def cover_command(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The image to write (.png or .jpg), or a "
            "directory with --gallery. Example: `-o cover.png`.",
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            help='The book title. Example: `--title "Rust, Day by Day"`.',
            show_default=False,
        ),
    ] = None,
    author: Annotated[str, typer.Option("--author", help="The author line.")] = "",
    subtitle: Annotated[
        str,
        typer.Option(
            "--subtitle", help='A date or series range. Example: `--subtitle "Days 19–49"`.'
        ),
    ] = "",
    count: Annotated[
        int, typer.Option("--count", min=0, help="Articles in the book (0: not shown).")
    ] = 0,
    language: Annotated[
        str, typer.Option("--language", help="Language of the title (picks CJK glyph forms).")
    ] = "en",
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="Seed for colours and motif (default: title and author).",
            show_default=False,
        ),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme",
            help="typographic, geometric or series (default: chosen from the book).",
            show_default=False,
        ),
    ] = None,
    gallery: Annotated[
        bool,
        typer.Option(
            "--gallery", help="Render every theme for the example books into the -o directory."
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Render a cover alone, or a gallery of every theme.

    Examples:

        feed2book cover --title "Rust, Day by Day" --subtitle "Days 1–4" -o cover.png

        feed2book cover --gallery -o gallery/
    """
    env = Environment()
    messenger = Messenger(env, Verbosity.NORMAL)
    with _edge(env, messenger):
        if gallery:
            for path in render_gallery(output):
                messenger.info(f"wrote {path}")
            raise typer.Exit(ExitStatus.OK)
        if not title:
            raise UsageError("--title is needed (or --gallery)")
        if theme is not None and theme not in theme_names():
            raise UsageError(
                f"unknown cover theme {theme!r}", hint="choose from: " + ", ".join(theme_names())
            )
        if output.exists() and not force:
            raise OutputError(f"{output}: exists; not overwritten", hint="use --force")
        spec = CoverSpec(key or f"cover:{title}|{author}", title, author, subtitle, count, language)
        fmt: Literal["JPEG", "PNG"] = (
            "JPEG" if output.suffix.lower() in (".jpg", ".jpeg") else "PNG"
        )
        write_bytes_atomically(output, cover_bytes(spec, theme, fmt))
        messenger.info(f"wrote {output}")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"feed2book {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Turn blog feeds into EPUB books, Markdown bundles and JSON Lines."""


def main() -> None:
    app()
