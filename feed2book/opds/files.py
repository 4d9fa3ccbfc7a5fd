"""The files a catalogue offers, built on first request and kept: books, covers, thumbnails.

A book is built by the code ``feed2book epub`` runs (``output.build``: images, cover, EPUB
writer), into ``ROOT/books/NAME.epub``, where NAME ends in the digest of the book's content
(``catalogue.BookEntry``): a file that exists is the right one, and a library that changed gives
new names, so nothing is ever served stale. Every file is written atomically; two requests for
the same book build it once. Paths come only from catalogue entries, never from a request.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from PIL import Image

from feed2book.atomic import atomic_writer, write_bytes_atomically
from feed2book.images import ImageMode, ImageResolver
from feed2book.opds import layout
from feed2book.opds.catalogue import DIGEST_CHARS, BookEntry
from feed2book.opds.layout import Format
from feed2book.output.books import CoverChoice, make_cover
from feed2book.output.build import BuildSettings, write_epub_file

THUMBNAIL_WIDTH = 240  # pixels: what OPDS readers show in a list (1:1.6 like the cover)
THUMBNAIL_QUALITY = 85
# What ``BookEntry.file_name`` ends in, then a book's or a cover's suffix.
_OUR_NAME = re.compile(
    rf"-[0-9a-f]{{{DIGEST_CHARS}}}(\.[a-z.]+|{re.escape(layout.THUMBNAIL_SUFFIX)})$"
)


class BookFiles:
    """Books, covers and thumbnails of catalogue entries under ``root``."""

    def __init__(self, root: Path, settings: BuildSettings) -> None:
        self.root = root
        self.settings = settings
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def book(self, entry: BookEntry, download: Format = layout.EPUB) -> Path:
        """The book's file in ``download`` format, built now if it is not there yet."""
        return self._kept(
            layout.book_href(entry, download), lambda path: self._build(entry, download, path)
        )

    def cover(self, entry: BookEntry) -> Path:
        """The cover feed2book draws for the book (the one inside its EPUB), as JPEG."""
        return self._kept(
            layout.cover_href(entry),
            lambda path: write_bytes_atomically(path, self._cover_jpeg(entry)),
        )

    def thumbnail(self, entry: BookEntry) -> Path:
        """The cover, ``THUMBNAIL_WIDTH`` pixels wide."""
        return self._kept(
            layout.thumbnail_href(entry),
            lambda path: write_bytes_atomically(path, self._thumbnail_jpeg(entry)),
        )

    def _kept(self, href: str, make: Callable[[Path], None]) -> Path:
        """The file at ``href`` under the root, made by ``make`` (once, however many requests
        ask at the same time) if it is not there yet."""
        path = self.root / href
        with self._lock(path.name):
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                make(path)
        return path

    def remove_others(self, entries: Iterable[BookEntry], formats: tuple[Format, ...]) -> int:
        """Delete the files under ``books/`` and ``covers/`` named as this module names them
        that no entry names (the builds of books whose content changed); returns how many.
        Other files there (a user's own) are left alone."""
        keep = set()
        for entry in entries:
            keep |= {layout.book_href(entry, download) for download in formats}
            keep |= {layout.cover_href(entry), layout.thumbnail_href(entry)}
        removed = 0
        for folder in (layout.BOOKS, layout.COVERS):
            directory = self.root / folder
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                ours = _OUR_NAME.search(path.name) is not None
                if ours and path.is_file() and f"{folder}/{path.name}" not in keep:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def _build(self, entry: BookEntry, download: Format, path: Path) -> None:
        if download.transform is None:
            self._build_epub(entry, path)
        else:  # made from the EPUB, itself built once
            epub = self.book(entry, layout.EPUB).read_bytes()
            write_bytes_atomically(path, download.transform(epub))

    def _build_epub(self, entry: BookEntry, path: Path) -> None:
        embedding = self.settings.images.mode is ImageMode.EMBED
        resolving: AbstractContextManager[ImageResolver | None] = (
            ImageResolver(self.settings.images) if embedding else nullcontext(None)
        )
        with resolving as resolver, atomic_writer(path) as out:
            write_epub_file(entry.book, self.settings, resolver, out)

    def _cover_jpeg(self, entry: BookEntry) -> bytes:
        # Covers switched off for the books: the catalogue still shows the drawn one.
        cover = make_cover(entry.book, self.settings.cover) or make_cover(entry.book, CoverChoice())
        assert cover is not None  # a drawn cover always exists
        return cover

    def _thumbnail_jpeg(self, entry: BookEntry) -> bytes:
        with Image.open(self.cover(entry)) as cover:
            height = round(cover.height * THUMBNAIL_WIDTH / cover.width)
            small = cover.convert("RGB").resize((THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
        return buffer.getvalue()

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())
