"""Placing books and bundles on disk.

``build`` turns a grouped ``Book`` into the bytes of its files (images, cover, size limit,
writer); ``books`` names and writes book files, ``bundles`` Markdown bundle folders and zips;
every file is written atomically (``feed2book.atomic``: a temporary file renamed into place).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "TEMP_SUFFIX",
    "atomic_writer",
    "remove_stale_temporaries",
    "write_bytes_atomically",
]
