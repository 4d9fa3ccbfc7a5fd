"""Generated book covers.

``render`` lays a cover out and draws it (``cover_bytes``); ``theme`` loads the TOML themes,
``typeset`` sets the text, ``fonts`` picks a face per character, ``motifs`` draws the
decoration, ``colour`` derives the palette from the book's key. The themes and their fonts are
package data in ``themes/`` (a data folder next to ``fonts.py``, so no name clash).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.covers.render import (
        COVER_SIZE,
        EXAMPLE_SPECS,
        SUPERSAMPLE,
        CoverLayout,
        CoverSpec,
        cover_bytes,
        default_theme,
        draw_layout,
        draw_texts,
        layout_cover,
        load_cover_file,
        render_cover,
        render_gallery,
    )
    from feed2book.covers.theme import theme_names

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "COVER_SIZE": "feed2book.covers.render",
    "CoverLayout": "feed2book.covers.render",
    "CoverSpec": "feed2book.covers.render",
    "EXAMPLE_SPECS": "feed2book.covers.render",
    "SUPERSAMPLE": "feed2book.covers.render",
    "cover_bytes": "feed2book.covers.render",
    "default_theme": "feed2book.covers.render",
    "draw_layout": "feed2book.covers.render",
    "draw_texts": "feed2book.covers.render",
    "layout_cover": "feed2book.covers.render",
    "load_cover_file": "feed2book.covers.render",
    "render_cover": "feed2book.covers.render",
    "render_gallery": "feed2book.covers.render",
    "theme_names": "feed2book.covers.theme",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "COVER_SIZE",
    "EXAMPLE_SPECS",
    "SUPERSAMPLE",
    "CoverLayout",
    "CoverSpec",
    "cover_bytes",
    "default_theme",
    "draw_layout",
    "draw_texts",
    "layout_cover",
    "load_cover_file",
    "render_cover",
    "render_gallery",
    "theme_names",
]
