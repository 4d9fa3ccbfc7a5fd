"""EPUB 3 writer: a ``Book`` in, the bytes of a valid, reproducible EPUB out.

feed2book makes the files (pages, nav document, NCX, stylesheet, cover page: ``epub_pages``,
``epub_package.toc_ncx_parts``); ebooklib packages them (``epub_package.epub_book``): it writes
``container.xml``, the OPF (metadata, manifest, spine, guide) and the zip. Pages go in as plain
``EpubItem``s, so ebooklib never re-serialises them. What ebooklib would otherwise add is kept out:
its clock (``dcterms:modified`` comes from the ``mtime`` option: the newest article's date), its
generator ``<meta>`` and random uuid (``epub_book`` removes and replaces them), and the clock and
``rw-------`` mode of every zip entry (``_ReproducibleWriter`` below). The same ``Book`` therefore
always gives the same bytes, with ``mimetype`` first and stored.
"""

from __future__ import annotations

import array
import functools
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO

from ebooklib import epub
from lxml import etree

from feed2book.defaults import EPUB_ZIP_TIME
from feed2book.models import Article, Book
from feed2book.writers.epub.ahead import page_maker
from feed2book.writers.epub.package import CONTENT_DIR, Content, epub_book, toc_ncx_parts
from feed2book.writers.epub.pages import (
    cover_page,
    nav_document_parts,
    title_page,
    toc_page_parts,
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

__all__ = ["CoverToCome", "build_epub", "externalise_remote_images", "write_epub"]

_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_UNIX = 3
_DEFLATE_LEVEL = 6  # zlib level 6: 0.02 % larger than 9 on article XHTML and 30 % less time
_STREAM_BUFFER = 64 * 1024  # bytes handed to the compressor at once when a file comes in pieces
_OPF_BATCH = 1024  # manifest items or spine entries ebooklib makes elements for at once
# Stands in the OPF tree for the manifest's items and the spine's entries, which are written as
# lines after it is serialised; pretty-printed at depth 2, like the lines that replace it.
_STREAMED = "feed2book-streamed"
_STREAMED_LINE = f"    <{_STREAMED}/>\n".encode()
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


@dataclass(frozen=True, slots=True)
class CoverToCome:
    """A cover still being drawn (``output.books.cover_aside``): its format now, its bytes
    (``made()``) when the writer comes to the image, after the OPF and the navigation files:
    the book is planned and those are written meanwhile."""

    image_format: str  # "JPEG" or "PNG"
    made: Callable[[], bytes]


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
    cover_jpeg: bytes | CoverToCome | None = None,
    resources: Mapping[str, tuple[str, bytes]] | None = None,
    page_article: Callable[[Article], Article] | None = None,
) -> None:
    """``build_epub`` written straight into ``out``: each article page is made, compressed and
    let go in turn, so a book of 380,000 articles never holds its pages (or its zip) in memory.
    ``page_article``: the article as its page shows it, made when the page is (only its
    ``content_html`` may differ from the book's: the plan, contents and metadata read the
    book's); made in the helper processes when it pickles (``writers.epub.ahead``).
    ``cover_jpeg`` may be a ``CoverToCome``: a cover whose bytes are wanted only then."""
    cover = _cover(cover_jpeg) if isinstance(cover_jpeg, bytes) else None
    if isinstance(cover_jpeg, CoverToCome):
        cover_resource: Resource | None = _cover_resource(cover_jpeg.image_format, b"")
    else:
        cover_resource = cover.resource if cover else None
    plan = make_plan(book, cover_resource, resources or {})
    # The navigation files grow with the book: made in pieces while they are written.
    files: dict[str, Content] = {
        NAV_FILE: functools.partial(_encoded, nav_document_parts, plan),
        NCX_FILE: functools.partial(_encoded, toc_ncx_parts, plan),
        STYLESHEET_FILE: STYLESHEET.encode(),
        TITLE_PAGE_FILE: title_page(plan).encode(),
        TOC_PAGE_FILE: functools.partial(_encoded, toc_page_parts, plan),
    }
    cover_files: tuple[Resource, Content, Content] | None = None
    if cover is not None:
        page = cover_page(plan, cover.resource, cover.width, cover.height).encode()
        cover_files = (cover.resource, cover.resource.data, page)
    elif isinstance(cover_jpeg, CoverToCome):
        cover_files = _cover_to_come(plan, cover_jpeg)

    with page_maker(plan, page_article) as made_page:
        packaged = epub_book(plan, files, cover_files, made_page)
        _write(packaged, plan, out)


def _encoded(parts: Callable[[BookPlan], Iterator[str]], plan: BookPlan) -> Iterator[bytes]:
    return (part.encode() for part in parts(plan))


def _cover_to_come(plan: BookPlan, cover: CoverToCome) -> tuple[Resource, Content, Content]:
    """The cover's image and page, made from its bytes when the writer asks for the image."""
    assert plan.cover is not None

    @functools.cache
    def drawn() -> _Cover:
        made = _cover(cover.made())
        if made.resource.file_name != plan.cover.file_name:  # type: ignore[union-attr]
            raise ValueError(f"the cover must be a {cover.image_format} image, as announced")
        return made

    def page() -> bytes:
        return cover_page(plan, drawn().resource, drawn().width, drawn().height).encode()

    return plan.cover, lambda: drawn().resource.data, page


def _cover_resource(image_format: str, data: bytes) -> Resource:
    media_type, file_name = _COVER_FORMATS[image_format]
    # "cover-img": the manifest id ebooklib's set_cover gives the image (epub_package.epub_book)
    return Resource(file_name, "cover-img", media_type, data)


def _cover(data: bytes) -> _Cover:
    from PIL import Image, UnidentifiedImageError  # a book without a cover never needs PIL

    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format or "", image.size
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"the cover is not a readable image: {error}") from error
    if image_format not in _COVER_FORMATS:
        raise ValueError(f"the cover must be a JPEG or PNG image, not {image_format or 'unknown'}")
    return _Cover(_cover_resource(image_format, data), width, height)


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
    """ebooklib's writer with two changes. ``write``: ``EpubWriter.write`` opens a ``ZipFile``
    and its ``_write_*`` steps call ``writestr(name, data)``, which stamps the clock and mode
    ``rw-------`` on every entry and deflates everything but ``mimetype`` (JPEG and PNG too); the
    override takes the same steps (mimetype, container, OPF, items) through ``_FixedEntries``.

    The OPF: ebooklib builds it as one lxml tree, two elements per page (half a gigabyte for
    380,000 pages). Here ebooklib still builds the package, metadata, guide and the manifest and
    spine elements themselves, with one placeholder each in place of their children; those are
    made by ebooklib's own ``_write_opf_manifest``/``_write_opf_spine`` a batch of items at a
    time while the file is written, as the lines its pretty-printed tree would hold."""

    def __init__(
        self,
        target: IO[bytes],
        book: epub.EpubBook,
        options: Mapping[str, object],
        stored: frozenset[str],
    ) -> None:
        super().__init__(target, book, dict(options))
        self._stored = stored
        self._ncx_id: str | None = None

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

    def _write_opf_manifest(self, root: etree._Element) -> str | None:
        etree.SubElement(etree.SubElement(root, "manifest"), _STREAMED)
        ncx = (item for item in self.book.get_items() if isinstance(item, epub.EpubNcx))
        return next((item.id for item in ncx), None)  # ebooklib's spine@toc

    def _write_opf_spine(self, root: etree._Element, ncx_id: str | None) -> None:
        self._ncx_id = ncx_id
        spine, self.book.spine = self.book.spine, []
        try:
            super()._write_opf_spine(root, ncx_id)  # <spine> and its attributes
        finally:
            self.book.spine = spine
        etree.SubElement(root[-1], _STREAMED)  # the <spine> just made

    def _write_opf_file(self, root: etree._Element) -> None:
        tree = etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=True)
        head, middle, tail = tree.split(_STREAMED_LINE)

        def pieces() -> Iterator[bytes]:
            yield head
            yield from self._opf_lines("items", self._manifest_batch)
            yield middle
            yield from self._opf_lines("spine", self._spine_batch)
            yield tail

        self.out.writestr(f"{self.book.FOLDER_NAME}/content.opf", pieces())

    def _opf_lines(
        self, field: str, batch_elements: Callable[[etree._Element], None]
    ) -> Iterator[bytes]:
        """``book.<field>`` as the lines of the pretty-printed OPF, ebooklib making the
        elements of a batch at a time (``batch_elements`` fills a parent with them)."""
        everything = getattr(self.book, field)
        try:
            for batch in _batched(everything, _OPF_BATCH):
                setattr(self.book, field, batch)
                parent = etree.Element("package")
                batch_elements(parent)
                yield b"".join(b"    " + etree.tostring(e) + b"\n" for e in parent[0])
        finally:
            setattr(self.book, field, everything)

    def _manifest_batch(self, parent: etree._Element) -> None:
        super()._write_opf_manifest(parent)

    def _spine_batch(self, parent: etree._Element) -> None:
        super()._write_opf_spine(parent, self._ncx_id)


def _batched(items: Iterable[epub.EpubItem], size: int) -> Iterator[list[epub.EpubItem]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class _FixedEntries:
    """The ``writestr``/``close`` of a ``ZipFile`` that ebooklib's writer calls, with fixed entry
    metadata: the 1980 timestamp, ``rw-r--r--``, and ``mimetype`` and already-compressed files
    (``stored``) left uncompressed, everything else deflated. ``data`` may come in pieces (an
    iterator of bytes): they are compressed and written as they come, never joined, and the
    entry's bytes are the same as if it had come whole."""

    def __init__(self, target: IO[bytes], stored: frozenset[str]) -> None:
        self._zip = zipfile.ZipFile(target, "w")
        self._zip.filelist = _Directory()  # type: ignore[assignment]
        # Only ever read to warn of a name given twice, which the plan rules out.
        self._zip.NameToInfo = _Unrecorded()
        self._stored = stored

    def writestr(self, name: str, data: str | bytes | Iterator[bytes]) -> None:
        info = zipfile.ZipInfo(name, date_time=EPUB_ZIP_TIME)
        info.create_system = _UNIX
        info.external_attr = _FILE_MODE
        stored = name == "mimetype" or name in self._stored
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        level = None if stored else _DEFLATE_LEVEL
        if isinstance(data, str | bytes):
            self._zip.writestr(info, data, compresslevel=level)
            return
        # What writestr(compresslevel=) sets and open() reads: no public way to hand it over.
        info._compresslevel = level  # type: ignore[attr-defined]
        with self._zip.open(info, "w") as entry:
            buffer = bytearray()
            for piece in data:
                buffer += piece
                if len(buffer) >= _STREAM_BUFFER:
                    entry.write(buffer)
                    buffer.clear()
            entry.write(buffer)

    def close(self) -> None:
        self._zip.close()

    def abandon(self) -> None:
        """Let go of a zip that failed half-way without writing its directory: otherwise the
        ``ZipFile`` tries again when it is collected, on a file already closed, and prints a
        traceback."""
        self._zip.fp = None


# What a ZipInfo holds beside its name, as the central directory reads it: per entry...
_ENTRY_NUMBERS = ("header_offset", "CRC", "compress_size", "file_size")
# ...and the same for most entries.
_ENTRY_SHAPE = (
    *("date_time", "compress_type", "comment", "extra", "create_system", "create_version"),
    *("extract_version", "reserved", "flag_bits", "volume", "internal_attr", "external_attr"),
)


class _Directory:
    """``ZipFile.filelist``, the entries written so far, kept compact: a ``ZipInfo`` with its
    numbers and name is ~500 bytes, 190 MB for 380,000 pages. Here an entry is its four numbers
    in an array, its name's bytes and the index of its shape (the fields most entries share);
    ``ZipFile`` only appends, counts and, when it writes the central directory, iterates, which
    gives each ``ZipInfo`` back as it was."""

    def __init__(self) -> None:
        self._numbers = array.array("Q")
        self._names = bytearray()
        self._name_ends = array.array("Q")
        self._shape_of = array.array("I")
        self._shapes: dict[tuple[object, ...], int] = {}

    def append(self, info: zipfile.ZipInfo) -> None:
        self._numbers.extend(getattr(info, field) for field in _ENTRY_NUMBERS)
        self._names += info.filename.encode()
        self._name_ends.append(len(self._names))
        shape = tuple(getattr(info, field) for field in _ENTRY_SHAPE)
        self._shape_of.append(self._shapes.setdefault(shape, len(self._shapes)))

    def __len__(self) -> int:
        return len(self._name_ends)

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        shapes = list(self._shapes)
        start = 0
        for number, end in enumerate(self._name_ends):
            info = zipfile.ZipInfo(self._names[start:end].decode())
            for field, value in zip(_ENTRY_SHAPE, shapes[self._shape_of[number]], strict=True):
                setattr(info, field, value)
            numbers = self._numbers[4 * number : 4 * number + 4]
            for field, value in zip(_ENTRY_NUMBERS, numbers, strict=True):
                setattr(info, field, value)
            start = end
            yield info


class _Unrecorded(dict[str, zipfile.ZipInfo]):
    """A ``ZipFile.NameToInfo`` that keeps nothing."""

    def __setitem__(self, name: str, info: zipfile.ZipInfo) -> None:
        pass
