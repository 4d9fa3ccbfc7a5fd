"""The library: every article feed2book has seen, in SQLite, so books can outgrow a feed's window.

``Library`` stores and loads articles (``store``), ``sync`` re-reads remembered sources with
conditional GET, ``stats`` and ``transfer`` describe and move a library. See ``store`` for the
reliability rules and ``query`` for how reading the library stays identical to reading files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.library.connection import LibraryError
    from feed2book.library.digest import Digest
    from feed2book.library.stats import LibraryStats
    from feed2book.library.store import FetchState, Library, SourceInfo, default_library_path
    from feed2book.library.transfer import ImportResult
    from feed2book.library.upsert import StoreResult

# Imported on first use (PEP 562), so `import feed2book.library` and the CLI start fast.
_LAZY = {
    "LibraryError": "feed2book.library.connection",
    "Digest": "feed2book.library.digest",
    "LibraryStats": "feed2book.library.stats",
    "FetchState": "feed2book.library.store",
    "Library": "feed2book.library.store",
    "SourceInfo": "feed2book.library.store",
    "default_library_path": "feed2book.library.store",
    "ImportResult": "feed2book.library.transfer",
    "StoreResult": "feed2book.library.upsert",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "Digest",
    "FetchState",
    "ImportResult",
    "Library",
    "LibraryError",
    "LibraryStats",
    "SourceInfo",
    "StoreResult",
    "default_library_path",
]
