"""The one build path of the book-making commands (``epub``, ``markdown``).

``build`` reads the sources, applies ``--new``, fetches full text, groups the articles into
books, embeds their images and writes every book through its format's ``Target``, with one
progress bar, one "wrote …" line per book and one exit status. A ``Target`` is what differs
between formats: which ``Writer`` makes the bytes and how they are placed on disk (EPUBs may be
streamed, split into volumes, tuned for a device and e-mailed; bundles are folders, zips or one
Markdown file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import typer

from feed2book.cli.console import Environment, ExitStatus, Messenger, Progress, Verbosity
from feed2book.cli.options import (
    BookLayout,
    BookReading,
    CoverOptions,
    ImageChoices,
    PageTextOptions,
)
from feed2book.cli.session import Common, digest, exit_status, nothing_message, reading
from feed2book.defaults import IMAGE_MAX_PX
from feed2book.errors import UsageError
from feed2book.group import BookOptions, group_articles
from feed2book.i18n import plural
from feed2book.images.options import ImageMode
from feed2book.library.digest import Digest
from feed2book.models import Article, Book
from feed2book.pipeline import Collection

if TYPE_CHECKING:  # imported where they are used, so that `feed2book list` starts fast
    from feed2book.cli.image_warnings import ImageWarnings
    from feed2book.delivery.options import Device
    from feed2book.fulltext.stage import FullText
    from feed2book.images import ImageResolver
    from feed2book.output.books import CoverChoice
    from feed2book.output.build import BuildSettings, Resources

Written = Callable[[Book, Path, list[Path]], None]  # a book's file is in place


class Builds(Protocol):
    """The options of a book-making command."""

    @property
    def reading(self) -> BookReading: ...
    @property
    def output(self) -> Path: ...
    @property
    def force(self) -> bool: ...
    @property
    def layout(self) -> BookLayout: ...
    @property
    def cover(self) -> CoverOptions: ...
    @property
    def images(self) -> ImageChoices: ...


@dataclass(frozen=True, slots=True)
class Prepare:
    """A book made ready for a writer: notes added, images embedded (with their progress
    line); what a ``Target`` calls for each book."""

    settings: BuildSettings
    resolver: ImageResolver | None
    bar: Progress
    verb: str  # "Building", "Writing": the progress label
    on_problem: ImageWarnings

    def __call__(self, book: Book) -> tuple[Book, Resources]:
        from feed2book.fulltext.stage import with_notes
        from feed2book.output.build import with_images

        self.bar.label(f"{self.verb} {book.title}")
        with image_progress(self.bar, book, self.resolver) as advance:
            return with_images(
                with_notes(book),
                self.settings,
                self.resolver,
                on_problem=self.on_problem,
                on_progress=advance,
            )

    def stream(self, book: Book, out: IO[bytes]) -> None:
        """``book``'s EPUB written straight into ``out``: each article's note (and, unless
        images are embedded, its image links) done as its page is made, so the book is
        never held a second time, changed."""
        from feed2book.fulltext.stage import with_note
        from feed2book.output.build import write_epub_file

        self.bar.label(f"{self.verb} {book.title}")
        with image_progress(self.bar, book, self.resolver) as advance:
            write_epub_file(
                book,
                self.settings,
                self.resolver,
                out,
                note=with_note,
                on_problem=self.on_problem,
                on_progress=advance,
            )


class Target(Protocol):
    """One format's part of the build path."""

    @property
    def progress(self) -> str:
        """The progress bar's description: "Building books"."""
        ...

    @property
    def verb(self) -> str:
        """The progress label's verb, before each book's title: "Building"."""
        ...

    def settings(self, settings: BuildSettings) -> BuildSettings:
        """The build settings as this target needs them (a size limit to fit a message)."""
        ...

    def books(self, books: tuple[Book, ...]) -> tuple[Book, ...]:
        """The grouped books as this target writes them (the series in the title)."""
        ...

    def place(
        self,
        books: Sequence[Book],
        prepare: Prepare,
        *,
        force: bool,
        on_written: Written,
        fresh: Digest,
    ) -> int:
        """Write every book under the output; record each in ``fresh``. Returns how many
        books could not be delivered (0 where nothing is delivered)."""
        ...


def build(
    env: Environment,
    messenger: Messenger,
    common: Common,
    options: Builds,
    target: Target,
    settings: BuildSettings,
    send_to: str | None = None,
) -> int:
    """Read, select, group and write the books of ``options`` through ``target``; the exit
    status. ``settings``: from ``build_settings`` (before anything else may fail);
    ``send_to``: "new" means not yet delivered to that address."""
    settings = target.settings(settings)
    image_warnings = grouped_image_warnings(messenger)
    with (
        reading(env, common, messenger) as collection,
        digest(common, messenger, send_to) as fresh,
        page_texts(
            env, common, messenger, collection, options.reading.pages, options.images
        ) as pages,
    ):
        grouped = grouped_books(
            collection, common, options.layout.book_options(), messenger, fresh, pages.complete
        )
        books = target.books(grouped)
        with (
            messenger.progress(target.progress, _articles(books), "articles") as bar,
            image_resolver(settings) as resolver,
        ):

            def written(book: Book, path: Path, replaced: list[Path]) -> None:
                note = "".join(f"; replaced {old.name}" for old in replaced)
                count = plural(len(book.articles), "article", "articles")
                messenger.info(f"wrote {path} ({count}){note}")
                if (line := pages.book_line(book)) is not None:
                    messenger.info(line)
                bar.advance(steps=len(book.articles))

            prepare = Prepare(settings, resolver, bar, target.verb, image_warnings)
            undelivered = target.place(
                books, prepare, force=options.force, on_written=written, fresh=fresh
            )
        image_warnings.flush()
        report_images(resolver, messenger)
        status = exit_status(collection, len(books))
        return ExitStatus.SOURCES_FAILED if undelivered else status


# --- the steps of the build path --------------------------------------------------------------


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


def build_settings(
    options: Builds, common: Common, device: Device | None = None
) -> BuildSettings:
    """Images and cover, from a building command's options (and the ``--device`` the books
    are made for)."""
    from feed2book.images import ImageOptions, default_cache_dir
    from feed2book.output.build import BuildSettings

    chosen = options.images
    cache_dir = chosen.cache_dir
    images = ImageOptions(
        mode=chosen.images,
        max_px=image_max_px(chosen.image_max_px, device),
        grayscale=chosen.grayscale,
        cache_dir=default_cache_dir({"FEED2BOOK_CACHE_DIR": str(cache_dir)}) if cache_dir else None,
        timeout=common.limits.timeout,
        insecure=common.limits.insecure,
    )
    return BuildSettings(images=images, cover=cover_choice(options.cover))


def image_max_px(given: int | None, device: Device | None) -> int:
    """``--image-max-px``, else the ``--device`` profile's, else the default."""
    if given is not None:
        return given
    if device is None:
        return IMAGE_MAX_PX
    from feed2book.delivery.devices import PROFILES

    return PROFILES[device].image_max_px


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
    options: PageTextOptions,
    images: ImageChoices | None = None,
) -> Iterator[FullText]:
    """The full-text stage of a reading command (``--full-text``, ``--refetch``,
    ``--cookies``; pages are cached beside the images); its failures are told once per host
    when it ends."""
    from feed2book.cli.session import came_from_library
    from feed2book.fulltext.run import full_text_stage
    from feed2book.images.options import CACHE_DIR_ENV

    cache_dir = images.cache_dir if images is not None else None
    if cache_dir is None and env.environ.get(CACHE_DIR_ENV):
        cache_dir = Path(env.environ[CACHE_DIR_ENV])
    stage = full_text_stage(
        options.full_text,
        now=env.now,
        refetch=options.refetch,
        cookies=options.cookies,
        cache_dir=cache_dir,
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


@contextmanager
def image_resolver(settings: BuildSettings) -> Iterator[ImageResolver | None]:
    """A resolver shared by every book of the run (one cache, one connection pool), or None
    when images are not embedded."""
    if settings.images.mode is not ImageMode.EMBED:
        yield None
        return
    from feed2book.images import ImageResolver  # HTTP (httpx): only to embed images

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


def cover_choice(options: CoverOptions) -> CoverChoice:
    from feed2book.covers.theme import theme_names  # not the renderer: --no-cover needs no PIL
    from feed2book.output.books import CoverChoice

    theme = options.cover_theme
    if theme is not None and theme not in theme_names():
        raise UsageError(
            f"unknown cover theme {theme!r}", hint="choose from: " + ", ".join(theme_names())
        )
    return CoverChoice(
        enabled=not options.no_cover,
        theme=theme,
        image=_cover_file(options.cover) if options.cover else None,
    )


def _cover_file(path: Path) -> bytes:
    from feed2book.covers.render import load_cover_file

    return load_cover_file(path)
