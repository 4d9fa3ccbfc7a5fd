"""Language and writing direction.

``detect`` guesses a text's language from its writing system (for feeds that declare none);
``tags`` normalises what feeds declare into BCP 47 tags and tells the writing direction. Two
modules rather than one ``lang.py``: both were moved whole from ``language.py`` and
``writers/epub_lang.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.lang.detect import detect_language, language_of
    from feed2book.lang.tags import DEFAULT_LANGUAGE, normalise_language, text_direction

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "detect_language": "feed2book.lang.detect",
    "language_of": "feed2book.lang.detect",
    "DEFAULT_LANGUAGE": "feed2book.lang.tags",
    "normalise_language": "feed2book.lang.tags",
    "text_direction": "feed2book.lang.tags",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "DEFAULT_LANGUAGE",
    "detect_language",
    "language_of",
    "normalise_language",
    "text_direction",
]
