"""The values of the full-text stage: how pages are fetched. No I/O, no heavy imports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from feed2book.defaults import DEADLINE, PER_HOST, RETRIES, TIMEOUT
from feed2book.defaults import MAX_PAGE_BYTES as MAX_PAGE_BYTES
from feed2book.sources.politeness import Politeness

PAGE_ACCEPT: Final = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
PAGES_FOLDER: Final = "pages"  # inside the cache root, beside "images"


@dataclass(frozen=True, slots=True)
class PageOptions:
    """How article pages are fetched. ``cache_dir`` ``None``: ``$FEED2BOOK_CACHE_DIR/pages``
    (else the user cache dir's). ``cookies``: a Netscape cookie file."""

    cache_dir: Path | None = None
    refetch: bool = False
    cookies: Path | None = None
    timeout: float = TIMEOUT
    deadline: float = DEADLINE
    retries: int = RETRIES
    per_host: int = PER_HOST
    concurrency: int = 4
    max_bytes: int = MAX_PAGE_BYTES
    insecure: bool = False

    @property
    def politeness(self) -> Politeness:
        """How page downloads treat their servers (the images' rules, the pages' limits)."""
        return Politeness.of(self)
