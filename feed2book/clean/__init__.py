"""The clean stage: any feed HTML in, a safe and well-formed XHTML fragment out.

``html`` is the walk (``clean_html``); ``rules`` its allow-lists and limits, ``structure`` lists
and tables, ``embeds``, ``codeblocks`` and ``mathml`` the special content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.clean.html import clean_html, prefix_ids

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "clean_html": "feed2book.clean.html",
    "prefix_ids": "feed2book.clean.html",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "clean_html",
    "prefix_ids",
]
