"""The EPUB 3 writer: ``build_epub`` (in ``book``) assembles the zip.

``plan`` decides the files and their names, ``pages`` writes the XHTML pages, ``package`` the
OPF, NCX and container, ``style`` holds the stylesheet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.writers.epub.book import build_epub
    from feed2book.xhtml.content import externalise_remote_images

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "build_epub": "feed2book.writers.epub.book",
    "externalise_remote_images": "feed2book.xhtml.content",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "build_epub",
    "externalise_remote_images",
]
