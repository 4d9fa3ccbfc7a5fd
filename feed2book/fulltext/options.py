"""The values of the full-text stage: how pages are fetched. No I/O, no heavy imports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

PAGE_ACCEPT: Final = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
PAGES_FOLDER: Final = "pages"  # inside the cache root, beside "images"
MAX_PAGE_BYTES: Final = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PageOptions:
    """How article pages are fetched. ``cache_dir`` ``None``: ``$FEED2BOOK_CACHE_DIR/pages``
    (else the user cache dir's). ``cookies``: a Netscape cookie file."""

    cache_dir: Path | None = None
    refetch: bool = False
    cookies: Path | None = None
    timeout: float = 15.0
    deadline: float = 60.0
    retries: int = 3
    per_host: int = 2
    concurrency: int = 4
    max_bytes: int = MAX_PAGE_BYTES
    insecure: bool = False
