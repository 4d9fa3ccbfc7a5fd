"""One shape for every writer: a ``Book`` in, bytes (one file) or files (a folder) out.

The formats keep their own entry points (``build_epub``, ``build_bundle``, ``build_single_file``,
``write_jsonl``); the classes here only adapt them, so a caller can pick a writer by name::

    writer = WRITERS["epub"]
    data = writer.write(book, cover=jpeg, resources=images)
    Path(f"book{writer.suffix}").write_bytes(data)

``resources`` are the files the articles already reference by relative path (the images that
``feed2book.images`` embedded); ``cover`` is a JPEG or PNG image.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from feed2book.models import Book
from feed2book.writers.epub.book import build_epub
from feed2book.writers.jsonl import write_jsonl

Resources = Mapping[str, tuple[str, bytes]]
Streamed = Iterator[tuple[str, bytes]]  # a folder's files, each given as soon as it is made
Written = bytes | dict[str, bytes] | Streamed  # one file's bytes, or a folder's files
CoverFormat = Literal["JPEG", "PNG"]

_JPEG_MAGIC = b"\xff\xd8\xff"


class Writer(Protocol):
    @property
    def name(self) -> str:
        """The format's name, the key in ``WRITERS``."""
        ...

    @property
    def suffix(self) -> str:
        """The file name suffix of the output (``""`` for a folder)."""
        ...

    @property
    def cover_format(self) -> CoverFormat | None:
        """The format of a drawn cover the writer wants (None: it has no place for one)."""
        ...

    def write(
        self, book: Book, *, cover: bytes | None = None, resources: Resources | None = None
    ) -> Written: ...


@dataclass(frozen=True, slots=True)
class EpubWriter:
    name: str = "epub"
    suffix: str = ".epub"
    cover_format: CoverFormat | None = "JPEG"

    def write(
        self, book: Book, *, cover: bytes | None = None, resources: Resources | None = None
    ) -> Written:
        return build_epub(book, cover_jpeg=cover, resources=resources)


@dataclass(frozen=True, slots=True)
class MarkdownBundleWriter:
    """``streamed``: ``write`` gives the files as they are made (``bundle_files``), to be
    written meanwhile, rather than all of them at the end (``build_bundle``)."""

    name: str = "markdown"
    suffix: str = ""
    cover_format: CoverFormat | None = "PNG"
    streamed: bool = False

    def write(
        self,
        book: Book,
        *,
        cover: bytes | Callable[[], bytes] | None = None,
        resources: Resources | None = None,
    ) -> Written:
        """``cover`` may be what gives a drawn cover's bytes (in ``cover_format``), asked for
        once the pages are made (``output.build.late_cover``)."""
        # Imported here: the Markdown converter (markdownify, bs4) would cost every EPUB ~0.2 s.
        from feed2book.writers.markdown import Cover, bundle_files

        named = None
        if callable(cover):
            named = Cover("cover.png" if self.cover_format == "PNG" else "cover.jpg", cover)
        elif cover is not None:
            named = Cover("cover.jpg" if cover.startswith(_JPEG_MAGIC) else "cover.png", cover)
        files = bundle_files(book, cover=named, resources=resources)
        return files if self.streamed else dict(files)


@dataclass(frozen=True, slots=True)
class MarkdownFileWriter:
    """One Markdown document (pandoc's input); it has no cover, images are ``data:`` URIs."""

    name: str = "markdown-file"
    suffix: str = ".md"
    cover_format: CoverFormat | None = None

    def write(
        self, book: Book, *, cover: bytes | None = None, resources: Resources | None = None
    ) -> Written:
        from feed2book.writers.markdown import build_single_file

        return build_single_file(book, resources=resources)


@dataclass(frozen=True, slots=True)
class JsonLinesWriter:
    """One JSON object per article, every field; a cover and resources have no place in it."""

    name: str = "jsonl"
    suffix: str = ".jsonl"
    cover_format: CoverFormat | None = None

    def write(
        self, book: Book, *, cover: bytes | None = None, resources: Resources | None = None
    ) -> Written:
        out = io.BytesIO()
        write_jsonl(book.articles, out)
        return out.getvalue()


_ALL: tuple[Writer, ...] = (
    EpubWriter(),
    MarkdownBundleWriter(),
    MarkdownFileWriter(),
    JsonLinesWriter(),
)
WRITERS: dict[str, Writer] = {writer.name: writer for writer in _ALL}
