"""A real HTTP server on 127.0.0.1 for network tests: routes map a path to a canned answer.

server.route("/feed.xml", body=FEED, headers={"Content-Type": "application/rss+xml"})
server.route("/slow", body=b"...", delay=5)        # answers after 5 s
server.route("/old", status=301, headers={"Location": "/feed.xml"})
server.fallback = lambda path: Route(body=make(path))  # answers every path no route names
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between body bytes
    responder: Callable[[BaseHTTPRequestHandler], Route] | None = None


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up early (a timeout, a cancelled download) is what these tests make
    happen: not an error for the server to print a traceback about into the test's stderr."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.fallback: Callable[[str], Route] | None = None
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                path = self.path.split("?")[0]
                route = server.routes.get(path) or (
                    server.fallback(path) if server.fallback else Route(404, b"not found")
                )
                if route.responder is not None:
                    route = route.responder(self)
                if route.delay and server._stop.wait(route.delay):
                    return
                self.send_response(route.status)
                headers = {"Content-Length": str(len(route.body)), **route.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    if route.trickle:
                        for index in range(len(route.body)):
                            if server._stop.wait(route.trickle):
                                return
                            self.wfile.write(route.body[index : index + 1])
                            self.wfile.flush()
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, **kwargs: object) -> str:
        self.routes[path] = Route(**kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False
