"""Article pages over HTTP, with the images' client and politeness, and an on-disk cache.

Pages are fetched by ``images.fetch.Downloader``: at most ``per_host`` requests at once per host,
a total ``deadline`` per page, a size cap, retries on 429/5xx honouring Retry-After, feed2book's
User-Agent, and the internal-address rule of ``images.addresses`` (a page linked from a feed on
a public host may not reach this machine or its network; a feed read from a file or served
from such an address itself may). Bodies are kept in an ``ImageCache`` under the cache root's
``pages/`` folder and trusted as they are, so a warm rebuild makes no request; ``refetch`` asks
the server again, with If-None-Match/If-Modified-Since, so an unchanged page costs a 304.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import httpx

from feed2book.errors import FetchError
from feed2book.fulltext.cookies import cookie_header, load_cookies
from feed2book.fulltext.options import PAGE_ACCEPT, PAGES_FOLDER, PageOptions
from feed2book.images.addresses import InternalAddressError, Resolve, system_resolve
from feed2book.images.cache import ImageCache
from feed2book.images.fetch import Downloader
from feed2book.images.options import default_cache_dir

_HTML_TYPES: Final = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "")


@dataclass(frozen=True, slots=True)
class Page:
    """A page's bytes as the server sent them (decoded from gzip), and whether they came from
    the cache without a request (``cached``) or after a 304 (``revalidated``)."""

    url: str
    body: bytes
    content_type: str
    fetched: datetime  # when it was fetched: now, or when its cache entry was stored
    cached: bool = False
    revalidated: bool = False


def default_pages_dir() -> Path:
    return default_cache_dir().parent / PAGES_FOLDER


class PageFetcher:
    """GETs article pages; a context manager owning its HTTP client. Thread-safe."""

    def __init__(
        self,
        options: PageOptions,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.options = options
        self._downloader = Downloader(
            options.politeness, sleep=sleep, clock=clock, transport=transport, resolve=resolve
        )
        self.cache = ImageCache(options.cache_dir or default_pages_dir())
        self._jar = load_cookies(options.cookies) if options.cookies is not None else None

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._downloader.close()

    def get(self, url: str, *, internal_ok: bool, now: datetime) -> Page:
        """The page at ``url``; ``FetchError`` names the URL and why it could not be had.
        ``now`` (whole seconds) is when a page fetched now is said to be fetched, and is kept
        as its cache entry's time, so the same page read from the cache later says the same."""
        now = now.replace(microsecond=0)
        if not internal_ok:  # before the cache, too: a cached answer is no excuse
            try:
                self._downloader.hosts.check_url(url)
            except InternalAddressError as error:
                raise FetchError(url, str(error)) from None
        cached = self.cache.get(url)
        if cached is not None and not self.options.refetch:
            body = cached.path.read_bytes()
            return Page(url, body, cached.content_type, _stamp(cached.path, now), cached=True)
        headers = {"Accept": PAGE_ACCEPT}
        if self._jar is not None and (cookie := cookie_header(self._jar, url)):
            headers["Cookie"] = cookie
        folder = self.cache.download_dir()
        target = _temporary(folder) if folder is not None else None
        try:
            download = self._downloader.get(
                url,
                cached.validators if cached is not None else None,
                internal_ok=internal_ok,
                into=target,
                headers=headers,
            )
            if download.not_modified and cached is not None:
                body = cached.path.read_bytes()
                _restamp(cached.path, now)
                return Page(url, body, cached.content_type, now, revalidated=True)
            content_type = download.headers.get("content-type", "")
            if content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
                raise FetchError(url, f"not an HTML page ({content_type.split(';')[0]})")
            body = target.read_bytes() if target is not None else download.body
            if target is not None:
                self.cache.put(url, target, download.sha256, dict(download.headers))
                _restamp(self.cache.blob_path(download.sha256), now)
            return Page(url, body, content_type, now)
        finally:
            if target is not None:
                target.unlink(missing_ok=True)


def _stamp(path: Path, fallback: datetime) -> datetime:
    """When a cache entry was stored (its file's modification time)."""
    try:
        return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    except OSError:
        return fallback


def _restamp(path: Path, moment: datetime) -> None:
    with contextlib.suppress(OSError):  # a read-only cache: a later build says when it read it
        os.utime(path, (moment.timestamp(), moment.timestamp()))


def _temporary(folder: Path) -> Path:
    handle, name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".page")
    os.close(handle)
    return Path(name)

