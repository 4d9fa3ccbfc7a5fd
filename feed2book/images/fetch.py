"""Getting image bytes: over HTTP (politely, with retries and hard limits) or from a data: URI.

One ``Downloader`` serves many threads: httpx's client is thread-safe, and a semaphore per
host keeps at most ``per_host`` requests at any one server. Each image has a total
``deadline`` covering every attempt, wait and byte; bodies are inflated here, in bounded
steps, so a gzip bomb is stopped at ``max_bytes`` instead of after it filled the memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import httpx

from feed2book.errors import FetchError
from feed2book.images.addresses import (
    GuardedBackend,
    HostCheck,
    InternalAddressError,
    Resolve,
    system_resolve,
)
from feed2book.images.options import (
    BACKOFF_BASE,
    IMAGE_ACCEPT,
    MAX_REDIRECTS,
    MAX_RETRY_WAIT,
    RETRY_STATUSES,
)
from feed2book.sources.politeness import Politeness

_NAME_NOT_FOUND = ("Name or service not known", "nodename nor servname", "No address associated")
_INFLATE_STEP = 64 * 1024  # bytes of decoded output produced per step
_DATA_URI = re.compile(
    r"data:(?P<type>[^,;]*)(?P<params>(?:;[^,;]*)*?),(?P<data>.*)\Z", re.S | re.I
)


@dataclass(frozen=True, slots=True)
class Download:
    """A body and its response headers (lower-case keys); ``not_modified`` for a 304.

    Fetched ``into`` a file, ``body`` is empty and the file holds it; ``sha256`` and ``size``
    describe the body either way."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    not_modified: bool = False
    sha256: str = ""
    size: int = 0


class _Retryable(Exception):
    def __init__(
        self, reason: str, retry_after: float | None = None, *, unreachable: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable  # the host could not be connected to at all


class Downloader:
    """GET images (and pages) within ``Politeness``; raise ``FetchError`` naming the URL.

    ``get(..., internal_ok=False)`` (the default) refuses hosts on internal addresses (see
    ``addresses``): before the request, and again at connect time, after every redirect, with
    the host resolved by ``resolve``.
    """

    def __init__(
        self,
        politeness: Politeness,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.politeness = politeness
        self.hosts = HostCheck(resolve)
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()
        # Hosts that could not be connected to even after retries, and why: the other images
        # from a dead host fail at once instead of each waiting through its own retries.
        self._unreachable: dict[str, str] = {}
        self._client = self._make_client(politeness, transport, resolve, allow_internal=False)
        self._open_client = self._make_client(politeness, transport, resolve, allow_internal=True)

    @staticmethod
    def _make_client(
        politeness: Politeness,
        transport: httpx.BaseTransport | None,
        resolve: Resolve,
        *,
        allow_internal: bool,
    ) -> httpx.Client:
        if transport is None:
            own = httpx.HTTPTransport(
                verify=not politeness.insecure,
                limits=httpx.Limits(max_connections=politeness.concurrency),
            )
            # Every connection of this client resolves and checks its host itself (proxies,
            # mounted separately by httpx from the environment, keep the default backend).
            own._pool._network_backend = GuardedBackend(resolve, allow_internal=allow_internal)
            transport = own
        return httpx.Client(
            headers={
                "User-Agent": politeness.user_agent,
                "Accept": IMAGE_ACCEPT,
                "Accept-Encoding": "gzip, deflate",  # the encodings _inflate understands
            },
            timeout=httpx.Timeout(politeness.timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            verify=not politeness.insecure,
            transport=transport,
            limits=httpx.Limits(max_connections=politeness.concurrency),
        )

    def close(self) -> None:
        self._client.close()
        self._open_client.close()

    def get(
        self,
        url: str,
        validators: Mapping[str, str] | None = None,
        *,
        internal_ok: bool = False,
        into: Path | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Download:
        """The image at ``url``; ``validators`` (If-None-Match...) make a 304 possible;
        ``internal_ok`` lets it (and its redirects) reach internal addresses; with ``into``,
        the body is streamed to that file instead of memory; ``headers`` are sent as well
        (another Accept, a Cookie: article pages use this downloader too)."""
        started = self._clock()
        client = self._open_client if internal_ok else self._client
        if not internal_ok:
            try:
                self.hosts.check_url(url)
            except InternalAddressError as error:
                raise FetchError(url, str(error)) from None
        host = urlsplit(url).netloc.lower()
        attempt = 0
        while True:
            try:
                with self._host_slot(host):
                    if host in self._unreachable:
                        why = self._unreachable[host]
                        raise FetchError(url, f"{why} (an earlier image from this host too)")
                    sent = {**(headers or {}), **(validators or {})}
                    return self._attempt(client, url, sent, started, into)
            except _Retryable as error:
                wait = BACKOFF_BASE * 2**attempt if error.retry_after is None else error.retry_after
                wait = min(wait, MAX_RETRY_WAIT)
                if attempt >= self.politeness.retries:
                    reason = error.reason
                elif self._clock() - started + wait > self.politeness.deadline:
                    reason = f"{error.reason}; a retry would pass the {self._limit()} limit"
                else:
                    self._sleep(wait)  # outside the host slot: others may use it meanwhile
                    attempt += 1
                    continue
                if error.unreachable:
                    self._unreachable.setdefault(host, error.reason)
                raise FetchError(url, reason) from None

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        with self._hosts_lock:
            per_host = self.politeness.per_host
            slot = self._hosts.setdefault(host, threading.BoundedSemaphore(per_host))
        with slot:
            yield

    def _attempt(
        self,
        client: httpx.Client,
        url: str,
        headers: dict[str, str],
        started: float,
        into: Path | None,
    ) -> Download:
        remaining = self.politeness.deadline - (self._clock() - started)
        if remaining <= 0:
            raise FetchError(url, f"took longer than {self._limit()} in total")
        seconds = min(self.politeness.timeout, remaining)
        try:
            timeout = httpx.Timeout(seconds)
            with client.stream("GET", url, headers=headers, timeout=timeout) as response:
                status = response.status_code
                if status == 304 and any(k.startswith("If-") for k in headers):
                    return Download(b"", _lower(response.headers), not_modified=True)
                if status in RETRY_STATUSES:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    raise _Retryable(_status_message(response), retry_after)
                if not 200 <= status < 300:
                    raise FetchError(url, _status_message(response))
                body, digest, size = self._read_body(url, response, started, into)
                return Download(body, _lower(response.headers), sha256=digest, size=size)
        except InternalAddressError as error:  # at connect time: a redirect, or DNS changed
            raise FetchError(url, str(error)) from None
        except httpx.TooManyRedirects:
            raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})") from None
        except httpx.TimeoutException:
            if seconds < self.politeness.timeout:  # the deadline, not the timeout, cut it short
                raise FetchError(url, f"took longer than {self._limit()} in total") from None
            raise _Retryable(f"timed out after {seconds:g} s") from None
        except httpx.ConnectError as error:
            text = str(error)
            if "CERTIFICATE_VERIFY_FAILED" in text:
                raise FetchError(url, "TLS certificate did not verify") from None
            if any(sign in text for sign in _NAME_NOT_FOUND):
                self._unreachable.setdefault(urlsplit(url).netloc.lower(), "host not found")
                raise FetchError(url, "host not found") from None
            raise _Retryable(f"could not connect ({text})", unreachable=True) from None
        except httpx.TransportError as error:
            raise _Retryable(f"network error ({error})") from None
        except httpx.HTTPError as error:  # an invalid URL, say: retrying will not help
            raise FetchError(url, f"cannot be fetched ({error})") from None

    def _read_body(
        self, url: str, response: httpx.Response, started: float, into: Path | None
    ) -> tuple[bytes, str, int]:
        """The body (empty when written ``into`` a file), its sha256 and its size."""
        limit = self.politeness.max_bytes
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        declared = response.headers.get("content-length", "")
        if encoding == "identity" and declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"larger than the size limit ({_megabytes(limit)})")
        body = bytearray()
        digest = hashlib.sha256()
        size = 0
        with into.open("wb") if into is not None else nullcontext() as stream:
            for piece in _inflate(url, encoding, response.iter_raw()):
                size += len(piece)
                if size > limit:
                    raise FetchError(url, f"larger than the size limit ({_megabytes(limit)})")
                if self._clock() - started > self.politeness.deadline:
                    raise FetchError(url, f"took longer than {self._limit()} in total")
                digest.update(piece)
                if stream is None:
                    body += piece
                else:
                    stream.write(piece)
        return bytes(body), digest.hexdigest(), size

    def _limit(self) -> str:
        return f"{self.politeness.deadline:g} s"


def _inflate(url: str, encoding: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decode ``chunks`` per Content-Encoding, never more than ``_INFLATE_STEP`` at once."""
    if encoding in ("identity", ""):
        yield from chunks
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(url, f"unsupported content encoding {encoding!r}")
    # gzip: a gzip header; deflate: zlib-wrapped (32 also accepts gzip), raw as a fallback.
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else 32 + zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    started = False
    try:
        for chunk in chunks:
            if not started and encoding == "deflate" and chunk and not _zlib_or_gzip(chunk):
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            started = started or bool(chunk)
            data = chunk
            while data:
                yield inflater.decompress(data, _INFLATE_STEP)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error as error:
        raise FetchError(url, f"the {encoding} body is corrupt ({error})") from None


def _zlib_or_gzip(head: bytes) -> bool:
    return head[0] == 0x1F or (head[0] & 0x0F) == 8  # gzip magic, or zlib's "deflate" method


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def decode_data_uri(uri: str, max_bytes: int) -> bytes:
    """The bytes of a ``data:`` URI (base64 or percent-encoded); ``ValueError`` explains why not."""
    match = _DATA_URI.match(uri.strip())
    if match is None:
        raise ValueError("not a data: URI")
    payload = match.group("data")
    if ";base64" in match.group("params").lower():
        compact = re.sub(r"\s+", "", unquote_to_bytes(payload).decode("ascii", "replace"))
        if len(compact) * 3 // 4 > max_bytes:
            raise ValueError(f"larger than the size limit ({_megabytes(max_bytes)})")
        try:
            return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the base64 data is corrupt") from None
    data = unquote_to_bytes(payload)
    if len(data) > max_bytes:
        raise ValueError(f"larger than the size limit ({_megabytes(max_bytes)})")
    return data


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.3g} MB"


def _status_message(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
