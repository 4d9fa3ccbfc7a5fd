"""Fast paths to feedparser's own result: ``feed`` runs feedparser with expat's text buffering
on, ``rss`` reads the common plain RSS 2.0 shape directly; anything else falls back to
feedparser's handler.

Both lean on feedparser's internals (``feedparser.mixin._FeedParserMixin``'s helpers,
``feedparser.datetimes._parse_date``, ``feedparser.html._cp1252``, ``feedparser.urls._urljoin``,
the handlers in ``feedparser.api``), which a feedparser release may rename. So they are imported
lazily, on the first document: when one of those names is missing, ``parse`` reads every
document with feedparser's public ``parse()`` instead, which gives the same result, slower.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping
from typing import Any

import feedparser

__all__ = ["feedparser_parse", "parse", "require"]


def parse(
    data: bytes,
    response_headers: Mapping[str, str] | None = None,
    *,
    stream: bool = False,
    on_entry: Callable[[Any, Any], None] | None = None,
) -> Any:
    """``feedparser.parse(io.BytesIO(data), response_headers=…, sanitize_html=False,
    resolve_relative_uris=False)``, read by the fast path when this feedparser has it.
    ``stream``: entries the fast path does not keep but reads again when iterated (``len``
    works; see ``feed.Reread``); feedparser's own path always gives a list.
    ``on_entry``: see ``feed.parse``."""
    fast = fast_parse()
    if fast is None:
        return feedparser_parse(data, dict(response_headers or {}))
    return fast(data, response_headers, stream=stream, on_entry=on_entry)


def feedparser_parse(data: bytes, headers: dict[str, str]) -> Any:
    """feedparser's public ``parse``, with the options feed2book reads every feed with."""
    return feedparser.parse(
        io.BytesIO(data), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


@functools.cache
def fast_parse() -> Callable[..., Any] | None:
    """``feed.parse``, or ``None`` when this feedparser lacks an internal the fast path uses."""
    try:
        from feed2book.parse._fast import feed
    except ImportError:  # a renamed or removed internal: see ``require``
        return None
    return feed.parse


def require(owner: object, *names: str) -> None:
    """Raise ``ImportError`` unless ``owner`` (a feedparser module or class) has all of
    ``names``: a fast reader checks what it calls when it is imported, not halfway through a
    document."""
    missing = [name for name in names if not hasattr(owner, name)]
    if missing:
        raise ImportError(f"feedparser's {getattr(owner, '__name__', owner)} has no {missing}")
