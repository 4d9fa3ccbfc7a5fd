"""The library: every article feed2book has seen, in SQLite, so books can outgrow a feed's window.

``Library`` stores and loads articles (``store``), ``sync`` re-reads remembered sources with
conditional GET, ``stats`` and ``transfer`` describe and move a library. See ``store`` for the
reliability rules and ``query`` for how reading the library stays identical to reading files.
"""

from feed2book.library.connection import LibraryError
from feed2book.library.stats import LibraryStats
from feed2book.library.store import FetchState, Library, SourceInfo, default_library_path
from feed2book.library.transfer import ImportResult
from feed2book.library.upsert import StoreResult

__all__ = [
    "FetchState",
    "ImportResult",
    "Library",
    "LibraryError",
    "LibraryStats",
    "SourceInfo",
    "StoreResult",
    "default_library_path",
]
