"""Placing books and bundles on disk.

``build`` turns a grouped ``Book`` into the bytes of its files (images, cover, size limit,
writer); ``books`` names and writes book files, ``bundles`` Markdown bundle folders and zips;
every file is written atomically (``feed2book.atomic``: a temporary file renamed into place).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.atomic import (
        TEMP_SUFFIX,
        atomic_writer,
        remove_stale_temporaries,
        write_bytes_atomically,
    )

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "TEMP_SUFFIX": "feed2book.atomic",
    "atomic_writer": "feed2book.atomic",
    "remove_stale_temporaries": "feed2book.atomic",
    "write_bytes_atomically": "feed2book.atomic",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "TEMP_SUFFIX",
    "atomic_writer",
    "remove_stale_temporaries",
    "write_bytes_atomically",
]
