"""Getting bytes over HTTP: the one place feed2book talks to the network.

``HttpFetcher`` is the default ``Fetch`` function; tests and library users may pass any callable
with the same signature (``url -> Fetched``). Limits live in ``FetchLimits``: a connect/read
timeout, a *total* deadline (so a server trickling a byte a second cannot hold a run hostage), a
redirect cap and a size cap applied to the decoded body.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from feed2book.defaults import DEADLINE, MAX_FEED_BYTES, MAX_REDIRECTS, TIMEOUT, USER_AGENT
from feed2book.errors import FetchError

if TYPE_CHECKING:  # httpx is imported when a fetcher is made: reading files needs no network
    import httpx

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "text/html;q=0.5, */*;q=0.1"
)


_DEADLINE_GRACE = 1.0  # seconds past the deadline before a request is abandoned


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout: float = TIMEOUT  # connect / read / write, per operation
    deadline: float = DEADLINE  # the whole request, body included
    max_redirects: int = MAX_REDIRECTS
    max_bytes: int = MAX_FEED_BYTES
    insecure: bool = False  # accept TLS certificates that do not verify


@dataclass(frozen=True, slots=True)
class Fetched:
    """Bytes and where they came from.

    ``origin`` is what to call the source in messages (the path or URL the user gave, or the URL
    an OPML list named); ``url`` is the final address after redirects, against which relative links
    resolve (``None`` for stdin); ``headers`` are the HTTP response headers, lower-case keys.
    ``status`` is the HTTP status: 304 (Not Modified, an answer to a conditional GET) comes with
    no data; local files and stdin count as 200.
    """

    origin: str
    data: bytes
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    is_local: bool = False
    status: int = 200

    @property
    def not_modified(self) -> bool:
        return self.status == NOT_MODIFIED


Fetch = Callable[[str], Fetched]
NOT_MODIFIED = 304


class HttpFetcher:
    """Fetch ``http(s)://`` URLs with httpx, enforcing ``FetchLimits``."""

    def __init__(
        self,
        limits: FetchLimits | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.limits = limits or FetchLimits()
        self._headers = {"User-Agent": USER_AGENT, "Accept": FEED_ACCEPT}
        self._headers.update(extra_headers or {})
        self._transport = transport
        # Made on the first request: a run over local files never imports httpx nor loads the
        # system's certificates (~0.3 s of start-up).
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(
                    headers=self._headers,
                    timeout=httpx.Timeout(self.limits.timeout),
                    follow_redirects=True,
                    max_redirects=self.limits.max_redirects,
                    verify=not self.limits.insecure,
                    transport=self._transport,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, url: str) -> Fetched:
        return self.get(url)

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Fetched:
        """GET ``url``; raise ``FetchError`` naming it on any failure or non-2xx/304 answer.

        ``headers`` are sent as well: ``If-None-Match`` / ``If-Modified-Since`` make it a
        conditional GET, answered by a ``Fetched`` with ``status`` 304 and no data.

        The request runs in a daemon thread so that the total deadline holds even while a
        server trickles its status line or headers (httpx's timeouts are per read, and the
        body loop can only check the clock between chunks); a request past its deadline is
        abandoned, never waited for.
        """
        outcome: list[Fetched | BaseException] = []

        def work() -> None:
            try:
                outcome.append(self._get(url, headers))
            except BaseException as error:  # handed over to the calling thread
                outcome.append(error)

        worker = threading.Thread(target=work, name="feed2book-fetch", daemon=True)
        worker.start()
        worker.join(self.limits.deadline + _DEADLINE_GRACE)
        if not outcome:
            raise FetchError(url, f"took longer than {self.limits.deadline:g} s in total")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _get(self, url: str, headers: Mapping[str, str] | None) -> Fetched:
        import httpx

        started = time.monotonic()
        try:
            with self.client.stream("GET", url, headers=dict(headers or {})) as response:
                if response.status_code == NOT_MODIFIED:
                    return Fetched(
                        url, b"", str(response.url), _lower(response.headers), status=NOT_MODIFIED
                    )
                if response.status_code >= 400:
                    raise FetchError(url, _status_message(response))
                body = self._read_body(url, response, started)
                return Fetched(
                    url,
                    body,
                    str(response.url),
                    _lower(response.headers),
                    status=response.status_code,
                )
        except httpx.InvalidURL as error:
            raise FetchError(url, f"not a valid URL ({error})") from None
        except httpx.TooManyRedirects:
            raise FetchError(
                url, f"too many redirects (more than {self.limits.max_redirects})"
            ) from None
        except httpx.TimeoutException:
            raise FetchError(url, f"timed out after {self.limits.timeout:g} s") from None
        except httpx.ConnectError as error:
            raise FetchError(url, _connect_message(error), hint=_tls_hint(error)) from None
        except httpx.HTTPError as error:
            raise FetchError(url, f"network error: {error}") from None

    def _read_body(self, url: str, response: httpx.Response, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        # iter_bytes decodes gzip/deflate/br, so the cap applies to what we would hold in memory.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise FetchError(url, f"larger than the size limit ({_megabytes(self.limits)})")
            if time.monotonic() - started > self.limits.deadline:
                raise FetchError(url, f"took longer than {self.limits.deadline:g} s in total")
            chunks.append(chunk)
        return b"".join(chunks)


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _megabytes(limits: FetchLimits) -> str:
    return f"{limits.max_bytes / 1024 / 1024:g} MB"


def _status_message(response: httpx.Response) -> str:
    message = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    retry_after = response.headers.get("retry-after")
    if response.status_code in (429, 503) and retry_after:
        message += f" (the server asks to retry after {retry_after})"
    return message


def _connect_message(error: httpx.ConnectError) -> str:
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return "TLS certificate did not verify"
    if "refused" in text.lower():
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "host not found"
    return f"could not connect ({text})"


def _tls_hint(error: httpx.ConnectError) -> str:
    if "CERTIFICATE_VERIFY_FAILED" in str(error):
        return "use --insecure to accept a certificate that does not verify"
    return ""
