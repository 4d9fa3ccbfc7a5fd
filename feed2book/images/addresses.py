"""Internal addresses: content from a public source may not make feed2book fetch them.

An image in an article from a feed on a public host must not reach this machine, the local
network or a cloud metadata service: its host is resolved, and every address must be public
(not loopback, private, link-local, multicast, reserved or unspecified, IPv4-mapped IPv6
included). The check is made twice: before the cache is consulted (``check_url``) and when the
connection is opened (``GuardedBackend``, which connects to the very address it checked, so a
name that resolves differently the second time, or a redirect, cannot slip through).

A source on such an address itself, or a local file (the user typed it), may reach them:
people run feed servers on localhost (``source_is_internal``).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import typing
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpcore

from feed2book.errors import Feed2BookError

# host name -> its IP addresses (strings); injectable so tests can map a public-looking name
# to 127.0.0.1, which is exactly what DNS rebinding does.
Resolve = Callable[[str], Sequence[str]]


class InternalAddressError(Feed2BookError):
    """A fetch would reach an internal address on behalf of content from a public source."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is an internal address ({address}); refused for a public source")
        self.host = host
        self.address = address


def system_resolve(host: str) -> list[str]:
    """The IP addresses ``getaddrinfo`` gives for ``host``, in its order, each once."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> str | None:
    """``host`` as an IP address when it is one in any notation the C library accepts
    (``[::1]``, ``0x7f000001``, ``2130706433``, ``127.1``, ``0177.0.0.1``), else None."""
    host = host.strip().strip("[]").split("%")[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))  # the legacy IPv4 spellings
    except (OSError, UnicodeError, ValueError):
        return None


def is_internal(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved, unspecified and other
    non-global addresses (an IPv4-mapped or 6to4 IPv6 address is judged by its IPv4 one)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            address.split("%")[0]
        )
    except ValueError:
        return True  # not an address we understand: not one we will connect to for others
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def addresses_of(host: str, resolve: Resolve) -> list[str]:
    """The addresses a connection to ``host`` may use: the literal itself, or what resolves."""
    literal = literal_address(host)
    return [literal] if literal is not None else list(resolve(host))


def internal_address(host: str, resolve: Resolve) -> str | None:
    """The first internal address ``host`` resolves to, or None when all are public."""
    return next((a for a in addresses_of(host, resolve) if is_internal(a)), None)


def source_is_internal(source: str, resolve: Resolve) -> bool:
    """Whether a feed at ``source`` (its URL, or a file path) may have its content fetch
    internal addresses: a local file or stdin (anything not http(s)), or an http(s) URL
    whose host is itself internal."""
    parts = urlsplit(source)
    if parts.scheme.lower() not in ("http", "https"):
        return True
    host = parts.hostname or ""
    return bool(host) and internal_address(host, resolve) is not None


class HostCheck:
    """``check_url`` with the answer per host remembered for the run (thread-safe)."""

    def __init__(self, resolve: Resolve) -> None:
        self.resolve = resolve
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def check_url(self, url: str) -> None:
        """Raise ``InternalAddressError`` when ``url``'s host is internal."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            known = host in self._known
            address = self._known.get(host)
        if not known:
            address = internal_address(host, self.resolve)
            with self._lock:
                self._known[host] = address
        if address is not None:
            raise InternalAddressError(host, address)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend resolving with ``resolve`` and connecting to the very address
    it checked; unless ``allow_internal``, an internal address is refused at connect time."""

    def __init__(self, resolve: Resolve, *, allow_internal: bool = False) -> None:
        self._resolve = resolve
        self._allow_internal = allow_internal
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = addresses_of(host, self._resolve)
        if not addresses:
            raise httpcore.ConnectError(f"[Errno -2] Name or service not known ({host})")
        for address in addresses:
            if not self._allow_internal and is_internal(address):
                raise InternalAddressError(host, address)
        error = httpcore.ConnectError(f"cannot connect to {host}")
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as failure:
                error = failure
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for images")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
