"""The ``feed2book`` command: options, messages, progress and exit codes; no logic of its own.

Every command reads SOURCES (files, globs, directories, URLs, OPML, ``-``) through
``feed2book.pipeline`` and hands the selected articles to a writer.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal

import typer

from feed2book import __version__
from feed2book.atomic import atomic_writer, write_bytes_atomically
from feed2book.cli import library as cli_library
from feed2book.cli.console import Environment, ExitStatus, Messenger, Progress, Verbosity
from feed2book.cli.delivery import register as register_delivery
from feed2book.cli.delivery_options import DeviceOpt, SendOpt, SeriesInTitleOpt
from feed2book.cli.listing import render_listing, summary, summary_line, terminal_width
from feed2book.cli.options import (
    AuthorOpt,
    BookTitleOpt,
    CacheDirOpt,
    CookiesOpt,
    CoverFileOpt,
    CoverThemeOpt,
    DebugOpt,
    ForceOpt,
    FullTextOpt,
    GrayscaleOpt,
    GroupByOpt,
    ImageMaxPxOpt,
    ImagesOpt,
    InsecureOpt,
    LanguageOpt,
    LibraryOpt,
    LimitOpt,
    ListDeadlineOpt,
    MaxBookMbOpt,
    MaxSourcesOpt,
    NewestFirstOpt,
    NewOpt,
    NoCoverOpt,
    QuietOpt,
    RefetchOpt,
    RevisionsOpt,
    SaveOpt,
    SectionsOpt,
    SeriesOpt,
    SinceOpt,
    SourcesArg,
    TagModeOpt,
    TagOpt,
    TimeoutOpt,
    TitleOpt,
    UntilOpt,
    VerboseOpt,
)
from feed2book.cli.session import (
    Common,
    Digest,
    digest,
    edge,
    exit_status,
    nothing_message,
    reading,
    session,
)
from feed2book.defaults import IMAGE_MAX_PX, LANGUAGE, TIMEOUT
from feed2book.errors import OutputError, UsageError
from feed2book.group import BookOptions, GroupBy, Sections, TagMode, group_articles
from feed2book.i18n import plural
from feed2book.images.options import ImageMode
from feed2book.models import Article, Book
from feed2book.pipeline import Collection
from feed2book.sources.limits import DEFAULT_LIST_DEADLINE, DEFAULT_MAX_SOURCES
from feed2book.writers.jsonl import Content, article_record, choose_fields, write_jsonl

if TYPE_CHECKING:  # imported where they are used, so that `feed2book list` starts fast
    from feed2book.cli.image_warnings import ImageWarnings
    from feed2book.fulltext.stage import FullText
    from feed2book.images import ImageResolver
    from feed2book.output.books import CoverChoice
    from feed2book.output.build import BuildSettings
    from feed2book.parse.summary import FullTextMode

app = typer.Typer(
    name="feed2book",
    help="Turn blog feeds (RSS, Atom, JSON Feed, OPML) into EPUB books, Markdown bundles and "
    "JSON Lines.\n\nWith no SOURCES, commands read the library (`feed2book add`); while it is "
    "empty, the bundled example feeds when no selector (`--author`, `--tag`…) is given.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",
)


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
    full_text: FullTextOpt = None,
    refetch: RefetchOpt = False,
    cookies: CookiesOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = TIMEOUT,
    max_sources: MaxSourcesOpt = DEFAULT_MAX_SOURCES,
    list_deadline: ListDeadlineOpt = DEFAULT_LIST_DEADLINE,
    library: LibraryOpt = None,
    save: SaveOpt = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write one JSON object per article (JSON Lines), streamed to stdout.

    The record layout is `feed2book/schema/article.schema.json`.

    Examples:

        feed2book jsonl examples/feeds/*.xml | jq -r .title

        feed2book jsonl https://dev.to/feed/ben --content markdown -o ben.jsonl

        feed2book jsonl ../shared/seeds/*.txt --series "AI System Design in Seconds"
    """
    from feed2book.fulltext.stage import counts_line

    with session(locals()) as (env, messenger, common):
        keys = choose_fields(fields, content)
        with (
            reading(env, common, messenger) as collection,
            page_texts(env, common, messenger, collection, full_text, refetch, cookies) as pages,
        ):
            articles = pages.complete(collection.select(common.selection))
            if output == "-":
                written = write_jsonl(articles, env.stdout, keys, flush=True)
            else:
                with atomic_writer(Path(output)) as handle:
                    written = write_jsonl(articles, handle, keys)
            for problem in pages.take_problems():  # before the summary line
                messenger.problem(problem)
            if pages.outcomes:
                messenger.info(f"full text: {counts_line(pages.outcomes.values())}")
            if written == 0:
                messenger.error(nothing_message(collection, common.selection))
            else:
                messenger.info(summary_line(summary(collection, written)))
            raise typer.Exit(exit_status(collection, written))


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
    timeout: TimeoutOpt = TIMEOUT,
    max_sources: MaxSourcesOpt = DEFAULT_MAX_SOURCES,
    list_deadline: ListDeadlineOpt = DEFAULT_LIST_DEADLINE,
    library: LibraryOpt = None,
    save: SaveOpt = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show what the sources hold: date, author, title and tags of every article, then a summary.

    Examples:

        feed2book list examples/feeds

        feed2book list examples/feeds/blogroll.opml --since 2026-05-10

        feed2book list ../shared/seeds/*.txt --author matt_frank_usa --json
    """
    with (
        session(locals()) as (env, messenger, common),
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
            env.stdout.write(render_listing(articles, facts, terminal_width()).encode("utf-8"))
        env.stdout.flush()
        if not articles:
            messenger.error(nothing_message(collection, common.selection))
        raise typer.Exit(exit_status(collection, len(articles)))


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
    tag_mode: TagModeOpt = TagMode.ALL,
    sections: SectionsOpt = Sections.AUTO,
    newest_first: NewestFirstOpt = False,
    title: BookTitleOpt = None,
    language: LanguageOpt = None,
    cover_theme: CoverThemeOpt = None,
    cover: CoverFileOpt = None,
    no_cover: NoCoverOpt = False,
    images: ImagesOpt = ImageMode.EMBED,
    image_max_px: ImageMaxPxOpt = IMAGE_MAX_PX,
    grayscale: GrayscaleOpt = False,
    cache_dir: CacheDirOpt = None,
    max_book_mb: MaxBookMbOpt = None,
    force: ForceOpt = False,
    author: AuthorOpt = None,
    tag: TagOpt = None,
    series: SeriesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    title_match: TitleOpt = None,
    limit: LimitOpt = None,
    all_revisions: RevisionsOpt = False,
    full_text: FullTextOpt = None,
    refetch: RefetchOpt = False,
    cookies: CookiesOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = TIMEOUT,
    max_sources: MaxSourcesOpt = DEFAULT_MAX_SOURCES,
    list_deadline: ListDeadlineOpt = DEFAULT_LIST_DEADLINE,
    library: LibraryOpt = None,
    save: SaveOpt = False,
    new: NewOpt = False,
    device: DeviceOpt = None,
    series_in_title: SeriesInTitleOpt = False,
    send: SendOpt = None,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Build EPUB 3 books (valid, reproducible, with covers, series metadata and a real TOC).

    Examples:

        feed2book epub examples/feeds -o books/

        feed2book epub ../shared/seeds/*.txt --author matt_frank_usa -o matt.epub

        feed2book epub ../shared/seeds/*.txt --group-by series -o books/

        feed2book epub examples/feeds -g none --title "May notes" -o may.epub

        feed2book epub -g none --send me@kindle.com -o sent/  # cron: what is new
    """
    from feed2book.cli.delivery import Outbox, device_bytes
    from feed2book.delivery.devices import series_in_title as with_series_title
    from feed2book.delivery.options import Device
    from feed2book.fulltext.stage import with_note, with_notes
    from feed2book.output.books import write_book_files
    from feed2book.output.build import epub_volumes, write_epub_file

    with session(locals()) as (env, messenger, common):
        refuse_stdout(output, "a directory or a .epub file")
        refuse_file_as_directory(
            output, (".epub",), "a directory, or a .epub name when one book results"
        )
        settings = build_settings(locals(), common)
        image_warnings = grouped_image_warnings(messenger)
        library_read = None if common.sources else common.library_path
        outbox = Outbox.open(send, library_read) if send else None
        if outbox is not None:  # one message per volume
            limit = outbox.largest_book(settings.max_book_bytes)
            settings = dataclasses.replace(settings, max_book_bytes=limit)
            device = device or (Device.KINDLE if outbox.kindle else None)
        options = BookOptions(group_by, sections, newest_first, title, language, tag_mode)
        undelivered = 0
        with (
            reading(env, common, messenger) as collection,
            digest(common, messenger, send) as fresh,
            page_texts(
                env, common, messenger, collection, full_text, refetch, cookies, cache_dir
            ) as pages,
        ):
            books = grouped_books(collection, common, options, messenger, fresh, pages.complete)
            if series_in_title:
                books = tuple(with_series_title(book) for book in books)
            with (
                messenger.progress("Building books", _articles(books), "articles") as bar,
                image_resolver(settings) as resolver,
            ):

                def volumes(book: Book) -> list[tuple[Book, bytes]]:
                    bar.label(f"Building {book.title}")
                    with image_progress(bar, book, resolver) as advance:
                        parts = epub_volumes(
                            with_notes(book),
                            settings,
                            resolver,
                            on_problem=image_warnings,
                            on_progress=advance,
                        )
                    if device is None:
                        return parts
                    return [(v, device_bytes(d, device, messenger, v.title)) for v, d in parts]

                paths: list[Path] = []  # of the book being written, for --send

                def written(book: Book, path: Path, replaced: list[Path]) -> None:
                    note = "".join(f"; replaced {old.name}" for old in replaced)
                    count = plural(len(book.articles), "article", "articles")
                    messenger.info(f"wrote {path} ({count}){note}")
                    if (line := pages.book_line(book)) is not None:
                        messenger.info(line)
                    bar.advance(steps=len(book.articles))
                    paths.append(path)
                    if settings.max_book_bytes is None:
                        fresh.record(book)  # volumes: recorded as their whole book below

                def write(book: Book, out: IO[bytes]) -> None:
                    if device is not None:  # the device pass reads and rewrites the whole book
                        out.write(volumes(book)[0][1])
                        return
                    bar.label(f"Building {book.title}")
                    with image_progress(bar, book, resolver) as advance:
                        write_epub_file(
                            book,
                            settings,
                            resolver,
                            out,
                            note=with_note,  # on each page as it is made: the book is not copied
                            on_problem=image_warnings,
                            on_progress=advance,
                        )

                if settings.max_book_bytes is None:
                    write_book_files(books, output, write, force=force, on_written=written)
                else:
                    for book in books:
                        paths.clear()
                        write_parts(volumes(book), output, force=force, on_written=written)
                        fresh.record(book)
                        if outbox is not None and not outbox.deliver_book(
                            book, paths, messenger, common.library_path
                        ):
                            undelivered += 1
            image_warnings.flush()
            report_images(resolver, messenger)
            status = exit_status(collection, len(books))
            raise typer.Exit(ExitStatus.SOURCES_FAILED if undelivered else status)


@app.command("markdown")
def markdown_command(
    sources: SourcesArg = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="A directory for the bundles (created if needed), or a file name ending in "
            ".zip (with --zip) or .md (with --single-file) when one book results. "
            "Example: `-o site/content/`.",
        ),
    ] = Path("."),
    as_zip: Annotated[
        bool, typer.Option("--zip", help="Write each bundle as a .zip instead of a folder.")
    ] = False,
    single_file: Annotated[
        bool,
        typer.Option(
            "--single-file",
            help="Write each book as one Markdown document with a table of contents "
            "(for pandoc or printing; images inlined).",
        ),
    ] = False,
    group_by: GroupByOpt = GroupBy.AUTHOR,
    tag_mode: TagModeOpt = TagMode.ALL,
    sections: SectionsOpt = Sections.AUTO,
    newest_first: NewestFirstOpt = False,
    title: BookTitleOpt = None,
    language: LanguageOpt = None,
    cover_theme: CoverThemeOpt = None,
    cover: CoverFileOpt = None,
    no_cover: NoCoverOpt = False,
    images: ImagesOpt = ImageMode.EMBED,
    image_max_px: ImageMaxPxOpt = IMAGE_MAX_PX,
    grayscale: GrayscaleOpt = False,
    cache_dir: CacheDirOpt = None,
    force: ForceOpt = False,
    author: AuthorOpt = None,
    tag: TagOpt = None,
    series: SeriesOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    title_match: TitleOpt = None,
    limit: LimitOpt = None,
    all_revisions: RevisionsOpt = False,
    full_text: FullTextOpt = None,
    refetch: RefetchOpt = False,
    cookies: CookiesOpt = None,
    insecure: InsecureOpt = False,
    timeout: TimeoutOpt = TIMEOUT,
    max_sources: MaxSourcesOpt = DEFAULT_MAX_SOURCES,
    list_deadline: ListDeadlineOpt = DEFAULT_LIST_DEADLINE,
    library: LibraryOpt = None,
    save: SaveOpt = False,
    new: NewOpt = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write Markdown bundles: per book a folder with README.md, SUMMARY.md and book.toml
    (mdBook), one front-mattered file per article (Hugo, Jekyll, Obsidian), images and a cover.

    Examples:

        feed2book markdown examples/feeds -o bundles/

        feed2book markdown ../shared/seeds/*.txt -g series --zip -o bundles/

        feed2book markdown examples/feeds --tag rust --single-file -o rust.md

        cd bundles/priya-raman-2026-05-02--2026-05-06 && mdbook build
    """
    from feed2book.fulltext.stage import with_notes
    from feed2book.output.build import markdown_files
    from feed2book.output.bundles import BundleFormat, write_bundles

    with session(locals()) as (env, messenger, common):
        if as_zip and single_file:
            raise UsageError("--zip and --single-file cannot be used together")
        refuse_stdout(output, "a directory, or a .zip or .md file")
        single = (".zip",) if as_zip else (".md",) if single_file else ()
        refuse_file_as_directory(
            output,
            single,
            "a directory, or with --zip a .zip name, or with --single-file a .md name",
        )
        settings = build_settings(locals(), common)
        image_warnings = grouped_image_warnings(messenger)
        form = BundleFormat.FOLDER
        if as_zip or single_file:
            form = BundleFormat.ZIP if as_zip else BundleFormat.SINGLE
        options = BookOptions(group_by, sections, newest_first, title, language, tag_mode)
        with (
            reading(env, common, messenger) as collection,
            digest(common, messenger) as fresh,
            page_texts(
                env, common, messenger, collection, full_text, refetch, cookies, cache_dir
            ) as pages,
        ):
            books = grouped_books(collection, common, options, messenger, fresh, pages.complete)
            with (
                messenger.progress("Writing bundles", _articles(books), "articles") as bar,
                image_resolver(settings) as resolver,
            ):

                def build(book: Book) -> dict[str, bytes]:
                    bar.label(f"Writing {book.title}")
                    with image_progress(bar, book, resolver) as advance:
                        return markdown_files(
                            with_notes(book),
                            settings,
                            resolver,
                            single_file=single_file,
                            on_problem=image_warnings,
                            on_progress=advance,
                        )

                def written(book: Book, path: Path, replaced: list[Path]) -> None:
                    note = "".join(f"; replaced {old.name}" for old in replaced)
                    count = plural(len(book.articles), "article", "articles")
                    messenger.info(f"wrote {path} ({count}){note}")
                    if (line := pages.book_line(book)) is not None:
                        messenger.info(line)
                    bar.advance(steps=len(book.articles))
                    fresh.record(book)

                write_bundles(books, output, build, form, force=force, on_written=written)
            image_warnings.flush()
            report_images(resolver, messenger)
            raise typer.Exit(exit_status(collection, len(books)))


# --- helpers of the building commands --------------------------------------------------------


def refuse_stdout(output: Path, instead: str) -> None:
    """``-o -`` means stdout elsewhere; books and bundles are files, so it is refused rather
    than taken for a directory named ``-``."""
    if str(output) == "-":
        raise UsageError(f"-o - (stdout) cannot hold books and bundles; give {instead}")


def refuse_file_as_directory(output: Path, single: tuple[str, ...], instead: str) -> None:
    """``-o notes.txt`` where notes.txt is an existing file: books would go *inside* it, as if
    it were a directory; say so before anything is read."""
    if output.suffix.lower() in single:
        return  # names the one book's file
    if output.exists() and not output.is_dir():
        raise UsageError(
            f"-o {output} is an existing file, not a directory", hint=f"give {instead}"
        )


def _articles(books: tuple[Book, ...]) -> int:
    """What the building progress bar counts: the articles of every book."""
    return sum(len(book.articles) for book in books)


def grouped_image_warnings(messenger: Messenger) -> ImageWarnings:
    """Image failures told once per (host, cause) at the end; each one with --verbose."""
    from feed2book.cli.image_warnings import ImageWarnings

    each = messenger.verbosity >= Verbosity.VERBOSE
    return ImageWarnings(messenger.problem, messenger.warning, each=each)


def build_settings(options: dict[str, Any], common: Common) -> BuildSettings:
    """Images, cover and size limit, from a building command's options."""
    from feed2book.images import ImageOptions, default_cache_dir
    from feed2book.output.build import BuildSettings

    cache_dir = options.get("cache_dir")
    images = ImageOptions(
        mode=options.get("images", ImageMode.EMBED),
        max_px=int(options.get("image_max_px", IMAGE_MAX_PX)),
        grayscale=bool(options.get("grayscale", False)),
        cache_dir=default_cache_dir({"FEED2BOOK_CACHE_DIR": str(cache_dir)}) if cache_dir else None,
        timeout=common.limits.timeout,
        insecure=common.limits.insecure,
    )
    max_mb = options.get("max_book_mb")
    return BuildSettings(
        images=images,
        cover=cover_choice(options["cover_theme"], options["cover"], options["no_cover"]),
        max_book_bytes=int(max_mb * 1_000_000) if max_mb else None,
    )


def grouped_books(
    collection: Collection,
    common: Common,
    options: BookOptions,
    messenger: Messenger,
    new: Digest,
    complete: Callable[[Iterable[Article]], Iterable[Article]] = lambda articles: articles,
) -> tuple[Book, ...]:
    """The selected articles grouped into books (with ``--new``, only what no earlier build of
    the same book held); exits (status 3 or 1) when there are none."""
    selected = complete(collection.select(common.selection))  # full text: feed2book.fulltext
    grouping = new.only_new(group_articles(selected, options), options)
    if grouping.left_out:
        messenger.info(
            f"{plural(grouping.left_out, 'article', 'articles')} outside any series left out"
        )
    if not grouping.books:
        messenger.error(nothing_message(collection, common.selection))
        raise typer.Exit(exit_status(collection, 0))
    return tuple(grouping.books)


@contextmanager
def page_texts(
    env: Environment,
    common: Common,
    messenger: Messenger,
    collection: Collection,
    mode: FullTextMode | None,
    refetch: bool,
    cookies: Path | None,
    cache_dir: Path | None = None,
) -> Iterator[FullText]:
    """The full-text stage of a building command (``--full-text``, ``--refetch``,
    ``--cookies``); its failures are told once per host when it ends."""
    from feed2book.cli.session import came_from_library
    from feed2book.fulltext.run import full_text_stage

    stage = full_text_stage(
        mode,
        now=env.now,
        refetch=refetch,
        cookies=cookies,
        cache_dir=cache_dir or _cache_dir_option(),
        timeout=common.limits.timeout,
        insecure=common.limits.insecure,
        library=common.library_path if came_from_library(collection) else None,
    )
    with stage as pages:
        try:
            yield pages
        finally:
            for problem in pages.take_problems():
                messenger.problem(problem)


def _cache_dir_option() -> Path | None:
    import os

    value = os.environ.get("FEED2BOOK_CACHE_DIR")
    return Path(value) if value else None


@contextmanager
def image_resolver(settings: BuildSettings) -> Iterator[ImageResolver | None]:
    """A resolver shared by every book of the run (one cache, one connection pool), or None
    when images are not embedded."""
    from feed2book.images import ImageResolver

    if settings.images.mode is not ImageMode.EMBED:
        yield None
        return
    with ImageResolver(settings.images) as resolver:
        yield resolver


@contextmanager
def image_progress(
    bar: Progress, book: Book, resolver: ImageResolver | None
) -> Iterator[Callable[[str], None]]:
    """A second progress line over ``book``'s images while they are fetched."""
    from feed2book.output.build import count_images

    total = count_images(book) if resolver is not None else 0
    if not total:
        yield lambda url: None
        return
    line = bar.task(f"Images: {book.title}", total=total, unit="images")
    try:
        yield lambda url: line.advance()
    finally:
        line.finish()


def report_images(resolver: ImageResolver | None, messenger: Messenger) -> None:
    if resolver is not None and (
        resolver.stats.downloaded or resolver.stats.cached or resolver.stats.failed
    ):
        messenger.info(resolver.stats.summary_line())


def write_parts(
    parts: list[tuple[Book, bytes]],
    output: Path,
    *,
    force: bool,
    on_written: Callable[[Book, Path, list[Path]], None],
) -> None:
    """Write a book's volumes (already built) as files."""
    from feed2book.output.books import write_book_files

    built = {volume.key: data for volume, data in parts}
    volumes = [volume for volume, _ in parts]
    write_book_files(
        volumes, output, lambda v, out: out.write(built[v.key]), force=force, on_written=on_written
    )


def cover_choice(theme: str | None, cover: Path | None, no_cover: bool) -> CoverChoice:
    from feed2book.covers.render import load_cover_file, theme_names
    from feed2book.output.books import CoverChoice

    if theme is not None and theme not in theme_names():
        raise UsageError(
            f"unknown cover theme {theme!r}", hint="choose from: " + ", ".join(theme_names())
        )
    return CoverChoice(
        enabled=not no_cover, theme=theme, image=load_cover_file(cover) if cover else None
    )


@app.command("cover")
def cover_command(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The image to write (.png or .jpg; `-`: a PNG to stdout), or a "
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
    ] = LANGUAGE,
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

        feed2book cover --title "Rust, Day by Day" --subtitle "Days 1–4" -o c.png

        feed2book cover --gallery -o gallery/
    """
    from feed2book.covers.render import CoverSpec, cover_bytes, render_gallery, theme_names

    env = Environment()
    messenger = Messenger(env, Verbosity.NORMAL)
    with edge(env, messenger):
        to_stdout = str(output) == "-"
        if gallery:
            if to_stdout:
                raise UsageError("--gallery writes many files: -o must name a directory")
            for path in render_gallery(output):
                messenger.info(f"wrote {path}")
            raise typer.Exit(ExitStatus.OK)
        if not title:
            raise UsageError("--title is needed (or --gallery)")
        if theme is not None and theme not in theme_names():
            raise UsageError(
                f"unknown cover theme {theme!r}", hint="choose from: " + ", ".join(theme_names())
            )
        if to_stdout and env.stdout_isatty:
            raise UsageError(
                "-o - writes a PNG image to stdout, which is a terminal",
                hint="redirect stdout to a file or a program, or give -o FILE",
            )
        if not to_stdout and output.exists() and not force:
            raise OutputError(f"{output}: exists; not overwritten", hint="use --force")
        spec = CoverSpec(key or f"cover:{title}|{author}", title, author, subtitle, count, language)
        fmt: Literal["JPEG", "PNG"] = (
            "JPEG" if output.suffix.lower() in (".jpg", ".jpeg") else "PNG"
        )
        image = cover_bytes(spec, theme, fmt)
        if to_stdout:
            env.stdout.write(image)
            env.stdout.flush()
            return
        write_bytes_atomically(output, image)
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


cli_library.register(app)
register_delivery(app)


def main() -> None:
    # Pillow warns about odd but readable images (TIFF tags, PNG palettes); the image stage
    # already reports what it could not use, one line per image.
    warnings.filterwarnings("ignore", module="PIL")
    app()
