"""The clean stage: any feed HTML in, a safe and well-formed XHTML fragment out.

``html`` is the walk (``clean_html``); ``rules`` its allow-lists and limits, ``structure`` lists
and tables, ``embeds``, ``codeblocks`` and ``mathml`` the special content.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feed2book.clean.html import clean_html, prefix_ids

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "clean_html": "feed2book.clean.html",
    "prefix_ids": "feed2book.clean.html",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "clean_html",
    "prefix_ids",
]
