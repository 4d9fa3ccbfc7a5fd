"""EPUB 3 writer: a ``Book`` in, the bytes of a valid, reproducible EPUB out.

feed2book makes the files (pages, nav document, NCX, stylesheet, cover page: ``epub_pages``,
``epub_package.toc_ncx``); ebooklib packages them (``epub_package.epub_book``): it writes
``container.xml``, the OPF (metadata, manifest, spine, guide) and the zip. Pages go in as plain
``EpubItem``s, so ebooklib never re-serialises them. What ebooklib would otherwise add is kept out:
its clock (``dcterms:modified`` comes from the ``mtime`` option: the newest article's date), its
generator ``<meta>`` and random uuid (``epub_book`` removes and replaces them), and the clock and
``rw-------`` mode of every zip entry (``_ReproducibleWriter`` below). The same ``Book`` therefore
always gives the same bytes, with ``mimetype`` first and stored.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from ebooklib import epub
from PIL import Image, UnidentifiedImageError

from feed2book.defaults import EPUB_ZIP_TIME
from feed2book.models import Book
from feed2book.writers.epub.package import CONTENT_DIR, Content, epub_book, toc_ncx
from feed2book.writers.epub.pages import (
    article_page,
    cover_page,
    nav_document,
    title_page,
    toc_page,
)
from feed2book.writers.epub.plan import (
    NAV_FILE,
    NCX_FILE,
    STYLESHEET_FILE,
    TITLE_PAGE_FILE,
    TOC_PAGE_FILE,
    BookPlan,
    Resource,
    make_plan,
    utc,
)
from feed2book.writers.epub.style import STYLESHEET
from feed2book.xhtml.content import externalise_remote_images

__all__ = ["build_epub", "externalise_remote_images", "write_epub"]

_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_UNIX = 3
_DEFLATE_LEVEL = 6  # zlib level 6: 0.02 % larger than 9 on article XHTML and 30 % less time
_COVER_FORMATS = {"JPEG": ("image/jpeg", "cover.jpg"), "PNG": ("image/png", "cover.png")}
_ALREADY_COMPRESSED = ("image/jpeg", "image/png", "image/gif", "image/webp", "font/woff2")
# ebooklib's writer options: no nav or page list of its own (ours is a file), the EPUB 2 guide,
# right-to-left books declared on both package and spine.
_WRITER_OPTIONS = {
    "epub2_guide": True,
    "epub3_landmark": False,
    "epub3_pages": False,
    "spine_direction": True,
    "package_direction": True,
}


@dataclass(frozen=True, slots=True)
class _Cover:
    resource: Resource
    width: int
    height: int


def build_epub(
    book: Book,
    *,
    cover_jpeg: bytes | None = None,
    resources: Mapping[str, tuple[str, bytes]] | None = None,
) -> bytes:
    """The EPUB file for ``book``, as bytes; the same arguments always give the same bytes.

    ``cover_jpeg``: the cover image (JPEG, or PNG); without it the book has no cover page.
    ``resources``: extra files that the articles' content already references by a relative
    path, as ``{"images/x.jpg": ("image/jpeg", data)}``. Raises ``ValueError`` for a book
    without articles, an unreadable cover or an unsafe resource name.
    """
    buffer = io.BytesIO()
    write_epub(book, buffer, cover_jpeg=cover_jpeg, resources=resources)
    return buffer.getvalue()


def write_epub(
    book: Book,
    out: IO[bytes],
    *,
    cover_jpeg: bytes | None = None,
    resources: Mapping[str, tuple[str, bytes]] | None = None,
) -> None:
    """``build_epub`` written straight into ``out``: each article page is made, compressed and
    let go in turn, so a book of 380,000 articles never holds its pages (or its zip) in memory."""
    cover = _cover(cover_jpeg) if cover_jpeg is not None else None
    plan = make_plan(book, cover.resource if cover else None, resources or {})
    files: dict[str, Content] = {
        NAV_FILE: nav_document(plan).encode(),
        NCX_FILE: toc_ncx(plan).encode(),
        STYLESHEET_FILE: STYLESHEET.encode(),
        TITLE_PAGE_FILE: title_page(plan).encode(),
        TOC_PAGE_FILE: toc_page(plan).encode(),
    }
    files.update(
        (chapter.file_name, functools.partial(article_page, plan, chapter))
        for chapter in plan.chapters
    )
    cover_files = None
    if cover is not None:
        page = cover_page(plan, cover.resource, cover.width, cover.height).encode()
        cover_files = (cover.resource, page)
    _write(epub_book(plan, files, cover_files), plan, out)


def _cover(data: bytes) -> _Cover:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format or "", image.size
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"the cover is not a readable image: {error}") from error
    if image_format not in _COVER_FORMATS:
        raise ValueError(f"the cover must be a JPEG or PNG image, not {image_format or 'unknown'}")
    media_type, file_name = _COVER_FORMATS[image_format]
    # "cover-img": the manifest id ebooklib's set_cover gives the image (epub_package.epub_book)
    return _Cover(Resource(file_name, "cover-img", media_type, data), width, height)


def _write(book: epub.EpubBook, plan: BookPlan, out: IO[bytes]) -> None:
    compressed = [r for r in plan.resources if r.media_type in _ALREADY_COMPRESSED]
    if plan.cover is not None:
        compressed.append(plan.cover)
    stored = frozenset(f"{CONTENT_DIR}/{resource.file_name}" for resource in compressed)
    options = {**_WRITER_OPTIONS, "mtime": utc(plan.last_modified)}
    writer = _ReproducibleWriter(out, book, options, stored)
    writer.process()
    writer.write()


class _ReproducibleWriter(epub.EpubWriter):  # type: ignore[misc]  # ebooklib has no type hints
    """ebooklib's writer with one override, ``write``. ``EpubWriter.write`` opens a ``ZipFile``
    and its ``_write_*`` steps call ``writestr(name, data)``, which stamps the clock and mode
    ``rw-------`` on every entry and deflates everything but ``mimetype`` (JPEG and PNG too). The
    override takes the same steps (mimetype, container, OPF, items) through ``_FixedEntries``."""

    def __init__(
        self,
        target: IO[bytes],
        book: epub.EpubBook,
        options: Mapping[str, object],
        stored: frozenset[str],
    ) -> None:
        super().__init__(target, book, dict(options))
        self._stored = stored

    def write(self) -> None:
        self.out = _FixedEntries(self.file_name, self._stored)
        try:
            self.out.writestr("mimetype", "application/epub+zip")
            self._write_container()
            self._write_opf()
            self._write_items()
        except BaseException:
            self.out.abandon()  # a full disk, Ctrl-C: the caller removes the partial file
            raise
        self.out.close()


class _FixedEntries:
    """The ``writestr``/``close`` of a ``ZipFile`` that ebooklib's writer calls, with fixed entry
    metadata: the 1980 timestamp, ``rw-r--r--``, and ``mimetype`` and already-compressed files
    (``stored``) left uncompressed, everything else deflated."""

    def __init__(self, target: IO[bytes], stored: frozenset[str]) -> None:
        self._zip = zipfile.ZipFile(target, "w")
        self._stored = stored

    def writestr(self, name: str, data: str | bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=EPUB_ZIP_TIME)
        info.create_system = _UNIX
        info.external_attr = _FILE_MODE
        stored = name == "mimetype" or name in self._stored
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data, compresslevel=None if stored else _DEFLATE_LEVEL)

    def close(self) -> None:
        self._zip.close()

    def abandon(self) -> None:
        """Let go of a zip that failed half-way without writing its directory: otherwise the
        ``ZipFile`` tries again when it is collected, on a file already closed, and prints a
        traceback."""
        self._zip.fp = None
