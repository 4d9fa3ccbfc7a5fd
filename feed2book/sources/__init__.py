"""Sources: what the user names (paths, globs, directories, URLs, OPML, ``-``) turned into bytes.

``resolver`` resolves and sniffs sources (OPML expansion, autodiscovery), ``fetch`` is the HTTP
client, ``limits`` bounds how many sources and how long a run reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.sources.fetch import Fetch, Fetched, FetchLimits, HttpFetcher
    from feed2book.sources.limits import Budget, SourceLimits
    from feed2book.sources.resolver import (
        STDIN,
        Kind,
        Reference,
        SourceContext,
        Trust,
        display,
        is_url,
        refusal,
        resolve,
        sniff,
    )

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "Fetch": "feed2book.sources.fetch",
    "FetchLimits": "feed2book.sources.fetch",
    "Fetched": "feed2book.sources.fetch",
    "HttpFetcher": "feed2book.sources.fetch",
    "Budget": "feed2book.sources.limits",
    "SourceLimits": "feed2book.sources.limits",
    "Kind": "feed2book.sources.resolver",
    "Reference": "feed2book.sources.resolver",
    "STDIN": "feed2book.sources.resolver",
    "SourceContext": "feed2book.sources.resolver",
    "Trust": "feed2book.sources.resolver",
    "display": "feed2book.sources.resolver",
    "is_url": "feed2book.sources.resolver",
    "refusal": "feed2book.sources.resolver",
    "resolve": "feed2book.sources.resolver",
    "sniff": "feed2book.sources.resolver",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "STDIN",
    "Budget",
    "Fetch",
    "FetchLimits",
    "Fetched",
    "HttpFetcher",
    "Kind",
    "Reference",
    "SourceContext",
    "SourceLimits",
    "Trust",
    "display",
    "is_url",
    "refusal",
    "resolve",
    "sniff",
]
