"""Parse: fetched bytes into ``Article`` objects (RSS, Atom, JSON Feed, JSON Lines).

``feed`` is the entry point (``parse_source``) and the feedparser/JSON Feed/JSON Lines readers;
``charsets`` decodes, ``json_text`` reads JSON strictly, ``enclosures`` reads attached media,
``pool`` runs the per-article cleaning in helper processes, ``_fast`` holds the optional fast
paths that give feedparser's result sooner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.parse.feed import (
        ParsedSource,
        article_from_record,
        is_web_url,
        parse_feed,
        parse_json_feed,
        parse_jsonl,
        parse_source,
    )

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "ParsedSource": "feed2book.parse.feed",
    "article_from_record": "feed2book.parse.feed",
    "is_web_url": "feed2book.parse.feed",
    "parse_feed": "feed2book.parse.feed",
    "parse_json_feed": "feed2book.parse.feed",
    "parse_jsonl": "feed2book.parse.feed",
    "parse_source": "feed2book.parse.feed",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "ParsedSource",
    "article_from_record",
    "is_web_url",
    "parse_feed",
    "parse_json_feed",
    "parse_jsonl",
    "parse_source",
]
