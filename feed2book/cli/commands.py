"""The ``feed2book`` command: options, messages, progress and exit codes; no logic of its own.

Every command reads SOURCES (files, globs, directories, URLs, OPML, ``-``) through
``feed2book.pipeline`` and hands the selected articles to a writer.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import typer

from feed2book import __version__
from feed2book.atomic import atomic_writer, write_bytes_atomically
from feed2book.cli import library as cli_library
from feed2book.cli.building import (
    build,
    build_settings,
    page_texts,
    refuse_file_as_directory,
    refuse_stdout,
)
from feed2book.cli.console import Environment, ExitStatus, Messenger, Verbosity
from feed2book.cli.delivery import register as register_delivery
from feed2book.cli.delivery_options import DeviceOpt, MaxMbOpt, SendOpt, SeriesInTitleOpt
from feed2book.cli.listing import render_listing, summary, summary_line, terminal_width
from feed2book.cli.opds import register as register_opds
from feed2book.cli.options import (
    BookLayout,
    BookReading,
    CoverOptions,
    ForceOpt,
    ImageChoices,
    LibraryOpt,
    MaxBookMbOpt,
    NetworkOptions,
    PageTextOptions,
    ReportOptions,
    SaveOpt,
    SelectionOptions,
    SourcesArg,
)
from feed2book.cli.params import command
from feed2book.cli.session import edge, exit_status, nothing_message, reading, session
from feed2book.defaults import LANGUAGE
from feed2book.errors import OutputError, UsageError
from feed2book.writers.jsonl import Content, article_record, choose_fields, write_jsonl

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


@dataclass(frozen=True, slots=True)
class JsonlOptions:
    sources: SourcesArg = None
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead of stdout (`-`). Example: `-o articles.jsonl`.",
        ),
    ] = "-"
    content: Annotated[
        Content,
        typer.Option(
            "--content", help="Which article bodies to include. Example: `--content all`."
        ),
    ] = Content.HTML
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            help="Comma-separated keys to keep, in schema "
            "order. Example: `--fields id,title,published`.",
            show_default=False,
        ),
    ] = None
    selection: SelectionOptions = field(default_factory=SelectionOptions)
    pages: PageTextOptions = field(default_factory=PageTextOptions)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    library: LibraryOpt = None
    save: SaveOpt = False
    report: ReportOptions = field(default_factory=ReportOptions)
    new = False  # not an option of this command: no --new


@app.command("jsonl")
@command
def jsonl_command(env: Environment, options: JsonlOptions) -> None:
    """Write one JSON object per article (JSON Lines), streamed to stdout.

    The record layout is `feed2book/schema/article.schema.json`.

    Examples:

        feed2book jsonl examples/feeds/*.xml | jq -r .title

        feed2book jsonl https://dev.to/feed/ben --content markdown -o ben.jsonl

        feed2book jsonl ../shared/seeds/*.txt --series "AI System Design in Seconds"
    """
    from feed2book.fulltext.stage import counts_line

    with session(env, options.sources, options, options.report) as (messenger, common):
        keys = choose_fields(options.fields, options.content)
        with (
            reading(env, common, messenger) as collection,
            page_texts(env, common, messenger, collection, options.pages) as pages,
        ):
            articles = pages.complete(collection.select(common.selection))
            if options.output == "-":
                written = write_jsonl(articles, env.stdout, keys, flush=True)
            else:
                with atomic_writer(Path(options.output)) as handle:
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


@dataclass(frozen=True, slots=True)
class ListOptions:
    sources: SourcesArg = None
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the articles and the summary as one JSON "
            "object instead of a table. Example: `--json | jq .summary`.",
        ),
    ] = False
    selection: SelectionOptions = field(default_factory=SelectionOptions)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    library: LibraryOpt = None
    save: SaveOpt = False
    report: ReportOptions = field(default_factory=ReportOptions)
    new = False  # not an option of this command: no --new


@app.command("list")
@command
def list_command(env: Environment, options: ListOptions) -> None:
    """Show what the sources hold: date, author, title and tags of every article, then a summary.

    Examples:

        feed2book list examples/feeds

        feed2book list examples/feeds/blogroll.opml --since 2026-05-10

        feed2book list ../shared/seeds/*.txt --author matt_frank_usa --json
    """
    with (
        session(env, options.sources, options, options.report) as (messenger, common),
        reading(env, common, messenger) as collection,
    ):
        articles = list(collection.select(common.selection))
        facts = summary(collection, len(articles), articles)
        if options.as_json:
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
            width = terminal_width(env.environ)
            env.stdout.write(render_listing(articles, facts, width).encode("utf-8"))
        env.stdout.flush()
        if not articles:
            messenger.error(nothing_message(collection, common.selection))
        raise typer.Exit(exit_status(collection, len(articles)))


@dataclass(frozen=True, slots=True)
class EpubOptions:
    sources: SourcesArg = None
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="A directory for the books (created if "
            "needed), or a file name ending in .epub when one book results. "
            "Example: `-o books/`.",
        ),
    ] = Path(".")
    layout: BookLayout = field(default_factory=BookLayout)
    cover: CoverOptions = field(default_factory=CoverOptions)
    images: ImageChoices = field(default_factory=ImageChoices)
    max_book_mb: MaxBookMbOpt = None
    force: ForceOpt = False
    reading: BookReading = field(default_factory=BookReading)
    device: DeviceOpt = None
    series_in_title: SeriesInTitleOpt = False
    send: SendOpt = None
    max_mb: MaxMbOpt = None
    report: ReportOptions = field(default_factory=ReportOptions)


@app.command("epub")
@command
def epub_command(env: Environment, options: EpubOptions) -> None:
    """Build EPUB 3 books (valid, reproducible, with covers, series metadata and a real TOC).

    Examples:

        feed2book epub examples/feeds -o books/

        feed2book epub ../shared/seeds/*.txt --author matt_frank_usa -o matt.epub

        feed2book epub ../shared/seeds/*.txt --group-by series -o books/

        feed2book epub examples/feeds -g none --title "May notes" -o may.epub

        feed2book epub examples/feeds --device kobo -o kobo/  # .kepub.epub files

        feed2book epub -g none --send me@kindle.com -o sent/  # cron: what is new
    """
    raise typer.Exit(build_epub(env, options))


def build_epub(env: Environment, options: EpubOptions) -> int:
    """``feed2book epub``: the exit status (or ``typer.Exit`` from the edge)."""
    from feed2book.cli.delivery import Outbox
    from feed2book.cli.targets import EpubTarget
    from feed2book.delivery.options import Device

    with session(env, options.sources, options.reading, options.report) as (messenger, common):
        refuse_stdout(options.output, "a directory or a .epub file")
        refuse_file_as_directory(
            options.output, (".epub",), "a directory, or a .epub name when one book results"
        )
        if options.max_mb is not None and options.send is None:
            raise UsageError("--max-mb needs --send", hint="--max-book-mb splits any book")
        library_read = None if common.sources else common.library_path
        outbox = None
        if options.send:
            outbox = Outbox.open(options.send, library_read, env.environ, options.max_mb)
        kindle = outbox is not None and outbox.kindle
        device = options.device or (Device.KINDLE if kindle else None)
        settings = build_settings(options, common, device)
        target = EpubTarget(
            options.output,
            messenger,
            common.library_path if outbox is not None else None,  # opened only to --send
            options.max_book_mb,
            device,
            options.series_in_title,
            outbox,
        )
        return build(env, messenger, common, options, target, settings, options.send)


@dataclass(frozen=True, slots=True)
class MarkdownOptions:
    sources: SourcesArg = None
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="A directory for the bundles (created if needed), or a file name ending in "
            ".zip (with --zip) or .md (with --single-file) when one book results. "
            "Example: `-o site/content/`.",
        ),
    ] = Path(".")
    as_zip: Annotated[
        bool, typer.Option("--zip", help="Write each bundle as a .zip instead of a folder.")
    ] = False
    single_file: Annotated[
        bool,
        typer.Option(
            "--single-file",
            help="Write each book as one Markdown document with a table of contents "
            "(for pandoc or printing; images inlined).",
        ),
    ] = False
    layout: BookLayout = field(default_factory=BookLayout)
    cover: CoverOptions = field(default_factory=CoverOptions)
    images: ImageChoices = field(default_factory=ImageChoices)
    force: ForceOpt = False
    reading: BookReading = field(default_factory=BookReading)
    report: ReportOptions = field(default_factory=ReportOptions)


@app.command("markdown")
@command
def markdown_command(env: Environment, options: MarkdownOptions) -> None:
    """Write Markdown bundles: per book a folder with README.md, SUMMARY.md and book.toml
    (mdBook), one front-mattered file per article (Hugo, Jekyll, Obsidian), images and a cover.

    Examples:

        feed2book markdown examples/feeds -o bundles/

        feed2book markdown ../shared/seeds/*.txt -g series --zip -o bundles/

        feed2book markdown examples/feeds --tag rust --single-file -o rust.md

        cd bundles/priya-raman-2026-05-02--2026-05-06 && mdbook build
    """
    from feed2book.cli.targets import BundleTarget
    from feed2book.output.bundles import BundleFormat

    with session(env, options.sources, options.reading, options.report) as (messenger, common):
        as_zip, single_file = options.as_zip, options.single_file
        if as_zip and single_file:
            raise UsageError("--zip and --single-file cannot be used together")
        refuse_stdout(options.output, "a directory, or a .zip or .md file")
        single = (".zip",) if as_zip else (".md",) if single_file else ()
        refuse_file_as_directory(
            options.output,
            single,
            "a directory, or with --zip a .zip name, or with --single-file a .md name",
        )
        settings = build_settings(options, common)
        form = BundleFormat.FOLDER
        if as_zip or single_file:
            form = BundleFormat.ZIP if as_zip else BundleFormat.SINGLE
        target = BundleTarget(options.output, form)
        raise typer.Exit(build(env, messenger, common, options, target, settings))


@app.command("cover")
def cover_command(
    ctx: typer.Context,
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

    env = Environment.of(ctx)
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
register_opds(app)


def main() -> None:
    # Pillow warns about odd but readable images (TIFF tags, PNG palettes); the image stage
    # already reports what it could not use, one line per image.
    warnings.filterwarnings("ignore", module="PIL")
    app()
