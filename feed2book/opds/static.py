"""``feed2book opds -o DIR``: the catalogue as plain files, for any web server or WebDAV folder.

The same layout and documents as the server (``layout``), less what needs one: no search, no
"new since your last visit". Every book, cover and thumbnail is built; a book whose content did
not change since the last run keeps its file (its name carries the content digest) and is not
built again; files of books that changed or left the library are removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from feed2book.atomic import write_bytes_atomically
from feed2book.opds import atom, layout, opds2
from feed2book.opds.catalogue import Catalogue
from feed2book.opds.files import BookFiles
from feed2book.opds.layout import Format
from feed2book.output.build import BuildSettings

ProgressHandler = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StaticResult:
    books: int  # distinct books offered
    built: int  # of which built in this run (the others were there already)
    documents: int  # catalogue documents written (OPDS 1.2 and 2.0)
    removed: int  # files of earlier runs no longer offered


def write_static(
    catalogue: Catalogue,
    output: Path,
    settings: BuildSettings,
    *,
    formats: tuple[Format, ...] = layout.FORMATS,
    on_book: ProgressHandler | None = None,
) -> StaticResult:
    """Write ``catalogue`` under ``output``: documents, then every book and its covers."""
    output.mkdir(parents=True, exist_ok=True)
    files = BookFiles(output, settings)
    entries = catalogue.books()
    built = 0
    for _, entry in sorted(entries.items()):
        fresh = all((output / layout.book_href(entry, f)).is_file() for f in formats)
        if on_book is not None:
            on_book(entry.book.title)
        for download in formats:
            files.book(entry, download)
        files.cover(entry)
        files.thumbnail(entry)
        built += not fresh
    documents = {
        layout.shelf_href(layout.ROOT, "xml"): atom.navigation_feed(catalogue, live=False),
        layout.shelf_href(layout.ROOT, "json"): opds2.navigation_feed(catalogue, live=False),
    }
    for shelf in catalogue.shelves:
        documents[layout.shelf_href(shelf.name, "xml")] = atom.acquisition_feed(
            catalogue, shelf, live=False, formats=formats
        )
        documents[layout.shelf_href(shelf.name, "json")] = opds2.publications_feed(
            catalogue, shelf, live=False, formats=formats
        )
    for name, data in documents.items():
        write_bytes_atomically(output / name, data)
    removed = files.remove_others(entries.values(), formats)
    return StaticResult(len(entries), built, len(documents), removed)
