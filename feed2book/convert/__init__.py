"""Clean XHTML converted to other text forms: ``markdown`` (Markdown) and ``text`` (plain text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.convert.markdown import escape_braces, to_markdown, url_text
    from feed2book.convert.text import text_as_html, to_text, xhtml_word_count

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "escape_braces": "feed2book.convert.markdown",
    "to_markdown": "feed2book.convert.markdown",
    "url_text": "feed2book.convert.markdown",
    "text_as_html": "feed2book.convert.text",
    "to_text": "feed2book.convert.text",
    "xhtml_word_count": "feed2book.convert.text",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "escape_braces",
    "text_as_html",
    "to_markdown",
    "to_text",
    "url_text",
    "xhtml_word_count",
]
