"""From a grouped ``Book`` to the bytes of its files: images, cover, size limit, writer.

Every format goes the same way: ``with_images`` (the book with its images embedded, and the
files to ship), then ``written`` (a cover as the ``Writer`` wants it, and the writer's bytes);
EPUBs may be split to fit a size (``fitted_volumes``) or streamed (``write_epub_file``). The
CLI's ``epub`` and ``markdown`` commands and library users share these steps::

    with ImageResolver(options) as resolver:
        for book in grouping.books:
            for volume, data in epub_volumes(book, settings, resolver):
                ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING

from feed2book import parallel
from feed2book.images import ImageMode, ImageOptions, embed_book_images, fit_book, image_urls
from feed2book.images.rewrite import unembedded
from feed2book.models import Article, Book, Problem
from feed2book.output.books import CoverChoice, cover_aside, drawn_aside, make_cover
from feed2book.writers.base import WRITERS, Writer, Written
from feed2book.writers.epub.book import CoverToCome, write_epub

if TYPE_CHECKING:  # HTTP (httpx) is imported only when images are embedded
    from feed2book.images import ImageResolver

Resources = Mapping[str, tuple[str, bytes]]
ProblemHandler = Callable[[Problem], None]
ProgressHandler = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """How books are built: images, cover, and an optional size limit (EPUB only)."""

    images: ImageOptions = field(default_factory=ImageOptions)
    cover: CoverChoice = field(default_factory=CoverChoice)
    max_book_bytes: int | None = None


def count_images(book: Book) -> int:
    """Distinct image addresses in ``book`` (for a progress bar's total)."""
    return len({url for a in book.articles for url in image_urls(a.content_html)})


def with_images(
    book: Book,
    settings: BuildSettings,
    resolver: ImageResolver | None,
    *,
    on_problem: ProblemHandler | None = None,
    on_progress: ProgressHandler | None = None,
) -> tuple[Book, Resources]:
    """``book`` with its images embedded (or linked, or dropped) and the files to ship."""
    options = settings.images
    if options.mode is ImageMode.EMBED and resolver is None:
        raise ValueError("embedding images needs an ImageResolver")
    return embed_book_images(
        book, resolver, options, on_problem=on_problem, on_progress=on_progress
    )


def written(
    book: Book,
    resources: Resources,
    writer: Writer,
    cover: CoverChoice,
    drawn: Callable[[], bytes | None] | None = None,
) -> Written:
    """What ``writer`` makes of a book whose images are done (``with_images``): with a cover
    in the format it wants, when it has a place for one (``drawn``: that cover, already being
    made by ``cover_aside``)."""
    if drawn is None and writer.cover_format:
        drawn = functools.partial(make_cover, book, cover, writer.cover_format)
    return writer.write(book, cover=drawn() if drawn else None, resources=resources)


def fitted_volumes(
    book: Book,
    resources: Resources,
    settings: BuildSettings,
    *,
    on_problem: ProblemHandler | None = None,
) -> list[tuple[Book, bytes]]:
    """The EPUB of a book whose images are done, or its volumes when it exceeds
    ``max_book_bytes``."""

    def build(volume: Book, files: Resources) -> bytes:
        data = written(volume, files, WRITERS["epub"], settings.cover)
        assert isinstance(data, bytes)  # an EPUB is one file
        return data

    if settings.max_book_bytes is None:
        return [(book, build(book, resources))]
    return fit_book(book, resources, settings.max_book_bytes, build, on_problem=on_problem)


def epub_volumes(
    book: Book,
    settings: BuildSettings,
    resolver: ImageResolver | None,
    *,
    on_problem: ProblemHandler | None = None,
    on_progress: ProgressHandler | None = None,
) -> list[tuple[Book, bytes]]:
    """The EPUB of ``book`` as bytes, or its volumes when it exceeds ``max_book_bytes``."""
    prepared, resources = with_images(
        book, settings, resolver, on_problem=on_problem, on_progress=on_progress
    )
    return fitted_volumes(prepared, resources, settings, on_problem=on_problem)


def write_epub_file(
    book: Book,
    settings: BuildSettings,
    resolver: ImageResolver | None,
    out: IO[bytes],
    *,
    note: Callable[[Article], Article] | None = None,
    on_problem: ProblemHandler | None = None,
    on_progress: ProgressHandler | None = None,
) -> None:
    """``book``'s EPUB (no size limit: one file) written straight into ``out``, never held in
    memory whole. ``note``: an article with what its page says of where its text came from
    (the full-text stage's ``with_note``), before its images are seen to.

    Unless images are embedded (fetched for the whole book first), both are done to each
    article as its page is made: the book is never held a second time, changed."""
    note = note or _as_it_is
    if settings.images.mode is ImageMode.EMBED:
        prepared, resources = with_images(
            book.with_each_article(note),
            settings,
            resolver,
            on_problem=on_problem,
            on_progress=on_progress,
        )
        cover = _epub_cover(prepared, settings.cover)
        write_epub(prepared, out, cover_jpeg=cover, resources=resources)
        return
    page_article = _PageArticle(note, unembedded(settings.images.mode))
    write_epub(book, out, cover_jpeg=_epub_cover(book, settings.cover), page_article=page_article)


def _epub_cover(book: Book, choice: CoverChoice) -> bytes | CoverToCome | None:
    """The cover as ``write_epub`` takes it: a drawn one is drawn by a helper meanwhile."""
    if not choice.drawn:
        return make_cover(book, choice)
    return CoverToCome("JPEG", functools.partial(_drawn_cover, cover_aside(book, choice, "JPEG")))


def _as_it_is(article: Article) -> Article:
    return article


@dataclass(frozen=True, slots=True)
class _PageArticle:
    """An article as its page shows it: noted, then its images seen to. A value rather than a
    closure, so that the pages can be made in helper processes (``writers.epub.ahead``)."""

    note: Callable[[Article], Article]
    images: Callable[[str], str]

    def __call__(self, article: Article) -> Article:
        noted = self.note(article)
        content = self.images(noted.content_html)
        return noted if content == noted.content_html else replace(noted, content_html=content)


def markdown_files(
    book: Book,
    settings: BuildSettings,
    resolver: ImageResolver | None,
    *,
    single_file: bool = False,
    on_problem: ProblemHandler | None = None,
    on_progress: ProgressHandler | None = None,
) -> dict[str, bytes]:
    """The files of ``book``'s Markdown bundle (or ``{"book.md": …}`` for one document)."""
    # Imported here: the Markdown converter (markdownify, bs4) would cost every EPUB ~0.2 s.

    prepare_markdown([book])
    writer = WRITERS["markdown-file" if single_file else "markdown"]
    # The cover says nothing of the articles' content: drawn while their images are seen to.
    drawn = cover_aside(book, settings.cover, writer.cover_format) if writer.cover_format else None
    prepared, resources = with_images(
        book, settings, resolver, on_problem=on_problem, on_progress=on_progress
    )
    return as_files(written(prepared, resources, writer, settings.cover, drawn), writer)


def late_cover(book: Book, choice: CoverChoice) -> Callable[[], bytes] | None:
    """A drawn PNG cover started now in a helper (``cover_aside``) for a writer that takes its
    bytes only after the pages (a streamed Markdown bundle): the pages are made meanwhile.
    None when there is nothing to draw aside (no cover, the user's image, a small book): the
    writer is then given the cover itself."""
    if not drawn_aside(book, choice):
        return None
    return functools.partial(_drawn_cover, cover_aside(book, choice, "PNG"))


def _drawn_cover(drawn: Callable[[], bytes | None]) -> bytes:
    image = drawn()
    if image is None:  # cannot be: a cover that is enabled and not the user's is drawn
        raise ValueError("the cover was not drawn")
    return image


def prepare_markdown(books: Sequence[Book]) -> None:
    """Start the helpers that convert the articles of ``books`` to Markdown (``parallel``):
    they import the converter while this process embeds images and draws covers."""
    most = max((len(book.articles) for book in books), default=0)
    parallel.preload(most, "feed2book.writers.markdown")


def as_files(data: Written, writer: Writer) -> dict[str, bytes]:
    """A writer's output as files by relative path (one file: ``book`` plus its suffix)."""
    if isinstance(data, bytes):
        return {f"book{writer.suffix}": data}
    return data if isinstance(data, dict) else dict(data)
