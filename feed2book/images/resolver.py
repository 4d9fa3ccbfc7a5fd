"""URLs in, book-ready images out: cache, download, convert, concurrently and politely.

``ImageResolver.resolve`` never raises for an image: each one that cannot be used maps to
``None`` and is reported once as a ``Problem``. Callbacks run on the calling thread, in the
order images finish, so a progress bar needs no locking.

The raw cache is trusted without asking the server (an image at a URL practically never
changes), so a rebuild with a warm cache makes no request at all; ``revalidate`` asks with
If-None-Match/If-Modified-Since instead. Only bodies that converted are cached, so a soft
error (an HTML page served with 200) is retried next time. Converted images are cached too,
keyed by the raw bytes and the conversion options: a warm rebuild decodes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import PIL

from feed2book.errors import FetchError
from feed2book.images.addresses import (
    InternalAddressError,
    Resolve,
    source_is_internal,
    system_resolve,
)
from feed2book.images.cache import ImageCache
from feed2book.images.convert import (
    CONVERTER_VERSION,
    MEDIA_TYPES,
    Converted,
    convert_image,
    decode_pixels,
)
from feed2book.images.errors import ConversionError
from feed2book.images.fetch import Downloader, decode_data_uri
from feed2book.images.options import (
    DECODE_PIXEL_BUDGET,
    IMAGES_FOLDER,
    NAME_HASH_LENGTH,
    EmbeddedImage,
    ImageOptions,
    ImageStats,
    default_cache_dir,
)
from feed2book.models import Problem, Severity

_DOWNLOADED, _CACHED, _INLINE = "downloaded", "cached", "data"
_SOURCE_MAX = 60  # characters of a data: URI shown in a message


@dataclass(frozen=True, slots=True)
class _Outcome:
    url: str
    image: EmbeddedImage | None = None
    origin: str = ""
    dropped: bool = False
    problem: str = ""
    bytes_in: int = 0
    changed: bool = False


class ImageResolver:
    """Fetches and converts images; a context manager owning its HTTP client and cache.

    ``sleep`` and ``clock`` are injectable so tests of backoff and deadlines need not wait;
    ``transport`` is handed to httpx; ``resolve`` maps a host name to its IP addresses (the
    internal-address rule, see ``addresses``).
    """

    def __init__(
        self,
        options: ImageOptions,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.options = options
        self.stats = ImageStats()
        self.cache = ImageCache(options.cache_dir or default_cache_dir())
        self._resolve_host = resolve
        self._downloader = Downloader(
            options.politeness, sleep=sleep, clock=clock, transport=transport, resolve=resolve
        )
        self._internal_sources: dict[str, bool] = {}
        # Decoding is CPU- and memory-heavy: no more at once than there are processors, and
        # no more pixels at once than DECODE_PIXEL_BUDGET (one large image, or several small).
        self._decoding = threading.BoundedSemaphore(os.cpu_count() or 1)
        self._pixels = PixelBudget(DECODE_PIXEL_BUDGET)
        # Per content (raw sha256 + conversion options): converted once, one shared image.
        self._by_content: dict[str, Converted | str] = {}
        self._images: dict[str, EmbeddedImage] = {}
        self._content_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._downloads: Path | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._results: dict[str, EmbeddedImage | None] = {}
        self._dropped: set[str] = set()

    def __enter__(self) -> ImageResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._downloader.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    def source_is_internal(self, source: str) -> bool:
        """Whether content from the feed at ``source`` (URL or file path) may fetch internal
        addresses: it is a local file, or its own host is internal (remembered per source)."""
        known = self._internal_sources.get(source)
        if known is None:
            known = self._internal_sources[source] = source_is_internal(source, self._resolve_host)
        return known

    @property
    def dropped(self) -> frozenset[str]:
        """URLs resolved so far that were tracking pixels (``None`` in results, not failures)."""
        return frozenset(self._dropped)

    def resolve(
        self,
        urls: Iterable[str],
        *,
        on_progress: Callable[[str], None] | None = None,
        on_problem: Callable[[Problem], None] | None = None,
        internal_ok: Collection[str] | None = None,
    ) -> dict[str, EmbeddedImage | None]:
        """Each distinct URL (in first-seen order) -> its image, or None (failed or dropped).

        ``on_progress`` is called once per distinct URL, as each is done. A URL resolved by an
        earlier call is not fetched, counted or reported again. ``internal_ok`` are the URLs
        that may reach internal addresses (their article's source is itself internal); the
        others are refused there, cached copies included. ``None`` trusts every URL: the
        caller vouches for them (addresses a user typed); ``embed_book_images`` always
        passes the set its articles' sources allow.
        """
        wanted = list(dict.fromkeys(urls))
        todo = _interleave_hosts([url for url in wanted if url not in self._results])
        if on_progress is not None:
            for url in wanted:
                if url in self._results:
                    on_progress(url)
        if todo:
            pool = ThreadPoolExecutor(min(self.options.concurrency, len(todo)), "image")
            try:
                futures: list[Future[_Outcome]] = [
                    pool.submit(self._one, url, internal_ok is None or url in internal_ok)
                    for url in todo
                ]
                for future in as_completed(futures):
                    outcome = future.result()
                    self._record(outcome, on_problem)
                    if on_progress is not None:
                        on_progress(outcome.url)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        return {url: self._results[url] for url in wanted}

    def _record(self, outcome: _Outcome, on_problem: Callable[[Problem], None] | None) -> None:
        self._results[outcome.url] = outcome.image
        stats = self.stats
        if outcome.problem:
            stats.failed += 1
            if on_problem is not None:
                on_problem(Problem(_source(outcome.url), outcome.problem, Severity.WARNING))
            return
        if outcome.origin == _DOWNLOADED:
            stats.downloaded += 1
        elif outcome.origin == _CACHED:
            stats.cached += 1
        if outcome.dropped:
            stats.dropped += 1
            self._dropped.add(outcome.url)
        elif outcome.image is not None:
            stats.converted += int(outcome.changed)
            stats.bytes_in += outcome.bytes_in
            stats.bytes_out += len(outcome.image.data)

    def _one(self, url: str, internal_ok: bool) -> _Outcome:
        try:
            return self._fetch_and_convert(url, internal_ok)
        except Exception as error:  # a bug must not cost the book: report it as this image's
            return _Outcome(url, problem=f"image not included: unexpected error ({error!r})")

    def _fetch_and_convert(self, url: str, internal_ok: bool) -> _Outcome:
        if url[:5].lower() == "data:":
            try:
                raw = decode_data_uri(url, self.options.max_bytes)
            except ValueError as error:
                return _Outcome(url, problem=f"image not included: {error}")
            digest = hashlib.sha256(raw).hexdigest()
            return self._convert(url, (digest, len(raw)), lambda: raw, _INLINE, cache=False)
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return _Outcome(url, problem="image not included: not an http(s) or data: address")
        if not internal_ok:  # before the cache: a copy fetched for a local feed stays there
            try:
                self._downloader.hosts.check_url(url)
            except InternalAddressError as error:
                return _Outcome(url, problem=f"image not included: {error}")
        cached = self.cache.get(url)
        if cached is not None and not self.options.revalidate:
            return self._convert(url, (cached.sha256, cached.size), cached.path.read_bytes, _CACHED)
        validators = cached.validators if cached is not None else None
        download_file = self._download_file()
        try:
            try:
                download = self._downloader.get(
                    url, validators, internal_ok=internal_ok, into=download_file
                )
            except FetchError as error:
                if cached is not None:  # revalidation failed: the copy we have is still good
                    return self._convert(
                        url, (cached.sha256, cached.size), cached.path.read_bytes, _CACHED
                    )
                return _Outcome(url, problem=f"image not included: {error.reason}")
            if download.not_modified and cached is not None:
                return self._convert(
                    url, (cached.sha256, cached.size), cached.path.read_bytes, _CACHED
                )
            body = (download.sha256, download.size)
            outcome = self._convert(url, body, download_file.read_bytes, _DOWNLOADED)
            if not outcome.problem:
                self.cache.put(url, download_file, download.sha256, dict(download.headers))
            return outcome
        finally:
            download_file.unlink(missing_ok=True)

    def _download_file(self) -> Path:
        """A new, empty file to stream one download into (in the cache, else a temporary
        folder of this resolver's own)."""
        with self._lock:
            if self._downloads is None:
                folder = self.cache.download_dir()
                if folder is None:
                    self._scratch = tempfile.TemporaryDirectory(prefix="feed2book-images-")
                    folder = Path(self._scratch.name)
                self._downloads = folder
            folder = self._downloads
        handle, name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".download")
        os.close(handle)
        return Path(name)

    def _convert(
        self,
        url: str,
        raw: tuple[str, int],
        read: Callable[[], bytes],
        origin: str,
        *,
        cache: bool = True,
    ) -> _Outcome:
        """The image whose bytes (``read()``) have the sha256 and size ``raw``: converted once
        per content and run, however many URLs serve it (the bytes are not read again)."""
        raw_sha256, size = raw
        key = hashlib.sha256(bytes.fromhex(raw_sha256) + self._conversion_key.encode()).hexdigest()
        with self._content_lock(key):
            done = self._by_content.get(key)
            if done is None:
                done = self._by_content[key] = self._convert_content(key, read, cache=cache)
        if isinstance(done, str):
            return _Outcome(url, origin=origin, problem=f"image not included: {done}")
        if done.tracking_pixel:
            return _Outcome(url, origin=origin, dropped=True)
        image = self._images[key]
        return _Outcome(url, image, origin, bytes_in=size, changed=done.changed)

    def _convert_content(
        self, key: str, read: Callable[[], bytes], *, cache: bool
    ) -> Converted | str:
        """What the bytes become (the reason as a string when they cannot be used)."""
        converted = self.cache.get_converted(key) if cache else None
        if converted is None:
            raw = read()
            try:
                cost = min(decode_pixels(raw, self.options.max_px), DECODE_PIXEL_BUDGET)
                with self._decoding, self._pixels.reserve(cost):
                    converted = convert_image(raw, self.options)
            except ConversionError as error:
                return str(error)
            if cache:
                self.cache.put_converted(key, converted)
        if not converted.tracking_pixel:
            self._images[key] = _embedded(converted)  # one object shared by every URL
        # the bytes live on in the shared image: the Converted keeps only what stats need
        return dataclasses.replace(converted, data=b"")

    @contextmanager
    def _content_lock(self, key: str) -> Iterator[None]:
        with self._lock:
            lock = self._content_locks.setdefault(key, threading.Lock())
        with lock:
            yield

    @property
    def _conversion_key(self) -> str:
        return f"v{CONVERTER_VERSION};pillow={PIL.__version__};{self.options.conversion_key}"


class PixelBudget:
    """At most ``total`` pixels decoded at once across threads; a reservation larger than
    the total waits until it is alone."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._condition = threading.Condition()

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        pixels = min(max(pixels, 0), self.total)
        with self._condition:
            self._condition.wait_for(lambda: self._free >= pixels)
            self._free -= pixels
        try:
            yield
        finally:
            with self._condition:
                self._free += pixels
                self._condition.notify_all()


def _embedded(converted: Converted) -> EmbeddedImage:
    digest = hashlib.sha256(converted.data).hexdigest()[:NAME_HASH_LENGTH]
    name = f"{IMAGES_FOLDER}/{digest}.{MEDIA_TYPES[converted.media_type]}"
    return EmbeddedImage(
        name, converted.media_type, converted.data, converted.width, converted.height
    )


def _interleave_hosts(urls: list[str]) -> list[str]:
    """One URL per host in turn, so workers are not all queued behind one busy host."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(urlsplit(url).netloc.lower() if "://" in url else "", []).append(url)
    queues = list(by_host.values())
    ordered: list[str] = []
    for index in range(max((len(queue) for queue in queues), default=0)):
        ordered += [queue[index] for queue in queues if index < len(queue)]
    return ordered


def _source(url: str) -> str:
    """How a message names an image: a data: URI cut short."""
    if url[:5].lower() == "data:" and len(url) > _SOURCE_MAX:
        return url[: _SOURCE_MAX - 3] + "..."
    return url
