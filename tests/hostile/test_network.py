"""Broken and hostile servers on 127.0.0.1, through the command line.

``tests/test_sources.py`` covers the fetcher's own limits one by one (timeouts, trickled body,
redirect loop, size cap, 404/503, refused); here every case runs as a user would meet it: one
``feed2book jsonl URL examples/feeds`` run, one error line naming the URL, the example feeds still
read, exit code 1, well under 10 s. Plus what those tests leave out: gzip and deflate bombs, 429,
a 200 carrying an HTML error page, a lying Content-Type or charset, a self-signed certificate,
DTDs and external entities that must never be fetched, and a server that trickles its headers.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feed2book.errors import FetchError
from feed2book.sources.fetch import FetchLimits, HttpFetcher
from tests.conftest import EXAMPLES
from tests.hostile.corpus import LATIN_BODY, LATIN_TITLE, item, rss
from tests.hostile.runner import (
    MEMORY_LIMIT_MB,
    TIME_LIMIT,
    Run,
    assert_clean_stderr,
    example_sources,
    run_command,
)
from tests.httpserver import Server

pytestmark = pytest.mark.network

FEED = (EXAMPLES / "field-notes.atom").read_bytes()
BOMB_BYTES = 60 * 1024 * 1024  # decoded; a few tens of KB on the wire


def cli(url: str, *extra: str, measure: bool = False) -> Run:
    return run_command("jsonl", [url, *example_sources()], None, *extra, measure=measure)


def assert_failed_alone(run: Run, url: str, reason: str) -> None:
    """One error line naming ``url``; the example feeds of the same run still came out."""
    assert_clean_stderr(run)
    assert run.code == 1, run.stderr
    errors = [line for line in run.errors() if url in line]
    assert len(errors) == 1, run.stderr
    assert errors[0].startswith(f"feed2book: error: {url}: "), errors[0]
    assert reason in errors[0], errors[0]
    assert run.stdout.count(b"\n") >= 9  # the example articles
    assert run.seconds < TIME_LIMIT


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ({"delay": 30}, "timed out after 1 s"),
        ({"status": 302, "headers": {"Location": "/case"}}, "too many redirects"),
        ({"status": 302, "headers": {"Location": "file:///etc/passwd"}}, ""),
        ({"status": 302, "headers": {"Location": "javascript:alert(1)"}}, ""),
        (
            {"status": 429, "headers": {"Retry-After": "120"}},
            "HTTP 429 Too Many Requests (the server asks to retry after 120)",
        ),
        (
            {"status": 503, "headers": {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}},
            "HTTP 503 Service Unavailable (the server asks to retry after Wed, 21 Oct 2026",
        ),
        (
            {
                "body": b"<!DOCTYPE html><html><body><h1>Error</h1>Rate limited.</body></html>",
                "headers": {"Content-Type": "application/rss+xml"},
            },
            "an HTML page that advertises no feed",
        ),
        (
            {"body": b'{"error": "rate limited"}', "headers": {"Content-Type": "application/json"}},
            "not an RSS, Atom or JSON feed",
        ),
        ({"body": FEED[:100], "headers": {"Content-Length": "5000"}}, ""),
        ({"body": b"", "status": 204}, "empty file"),
    ],
    ids=[
        "never-answers",
        "redirect-loop",
        "redirect-to-file",
        "redirect-to-javascript",
        "429",
        "503-http-date",
        "200-html-error-page",
        "200-json-error",
        "short-body",
        "204-empty",
    ],
)
def test_a_broken_server_is_one_error_line(
    server: Server, route: dict[str, object], reason: str
) -> None:
    url = server.route("/case", **route)
    assert_failed_alone(cli(url, "--timeout", "1"), url, reason)


def test_connection_refused(server: Server) -> None:
    url = server.url("/feed.xml")
    server.stop()
    assert_failed_alone(cli(url), url, "connection refused")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_hits_the_size_cap_on_decoded_bytes(
    server: Server, encoding: str
) -> None:
    payload = b"<rss>" + b" " * BOMB_BYTES
    body = gzip.compress(payload, 9) if encoding == "gzip" else zlib.compress(payload, 9)
    assert len(body) < 200_000
    url = server.route("/bomb", body=body, headers={"Content-Encoding": encoding})
    run = cli(url, measure=True)
    assert_failed_alone(run, url, "larger than the size limit (50 MB)")
    assert run.peak_mb is not None and run.peak_mb < MEMORY_LIMIT_MB


@pytest.mark.parametrize(
    "content_type",
    ["image/png", "text/html", "application/octet-stream", "application/json", ""],
)
def test_a_wrong_content_type_does_not_matter(server: Server, content_type: str) -> None:
    url = server.route("/feed", body=FEED, headers={"Content-Type": content_type})
    run = cli(url)
    assert_clean_stderr(run)
    assert run.code == 0, run.stderr
    assert b"The jam-jar rain gauge" in run.stdout


def test_a_utf8_feed_served_as_latin_1_reads_as_utf8(server: Server) -> None:
    body = rss(item(LATIN_TITLE, f"<p>{LATIN_BODY}</p>")).encode()
    url = server.route("/feed", body=body, headers={"Content-Type": "text/xml; charset=ISO-8859-1"})
    run = cli(url)
    assert run.code == 0, run.stderr
    assert LATIN_TITLE in run.stdout.decode()


def test_dtds_and_external_entities_are_never_fetched(server: Server, tmp_path: Path) -> None:
    """Neither feedparser (the feed), lxml (OPML, HTML) nor the HTML cleaner loads a DTD or an
    entity: the server sees only the requests for the documents themselves."""
    dtd = server.url("/evil.dtd")
    prolog = (
        f'<!DOCTYPE rss SYSTEM "{dtd}" [<!ENTITY % remote SYSTEM "{server.url("/param.dtd")}">'
        f'%remote;<!ENTITY ext SYSTEM "{server.url("/entity.txt")}">]>\n'
    )
    body = f'<!DOCTYPE p SYSTEM "{server.url("/html.dtd")}"><p>inner</p>'
    feed = rss(item("Entities &ext;", body.replace("<", "&lt;"), slug="dtd"), prolog=prolog)
    server.route("/feed.xml", body=feed.encode())
    server.route(
        "/list.opml",
        body=(
            f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "{server.url("/opml.dtd")}">'
            '<opml version="2.0"><body><outline xmlUrl="feed.xml"/></body></opml>'
        ).encode(),
    )
    server.route(
        "/page.html",
        body=(
            f'<!DOCTYPE html SYSTEM "{server.url("/page.dtd")}"><html><head>'
            '<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
        ).encode(),
    )
    for start in ("/list.opml", "/page.html", "/feed.xml"):
        server.requests.clear()
        run = cli(server.url(start))
        assert run.code == 0, run.stderr
        fetched = {path for path, _ in server.requests}
        assert fetched <= {"/list.opml", "/page.html", "/feed.xml"}, fetched


# --- TLS --------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Server]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running = Server()
    running.httpd.socket = context.wrap_socket(running.httpd.socket, server_side=True)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_a_self_signed_certificate_is_a_clear_error_and_insecure_allows_it(
    tls_server: Server,
) -> None:
    tls_server.route("/feed.xml", body=FEED)
    url = tls_server.url("/feed.xml").replace("http://", "https://")
    failed = cli(url)
    assert_failed_alone(failed, url, "TLS certificate did not verify")
    assert "--insecure" in failed.errors()[0]
    allowed = cli(url, "--insecure")
    assert allowed.code == 0, allowed.stderr
    assert b"The jam-jar rain gauge" in allowed.stdout


# --- raw sockets: servers that do not speak proper HTTP -----------------------------------------


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each to ``behave(connection)`` in a thread."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.behave = behave
        self.connections: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/feed.xml"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            self.behave(connection)
        except OSError:
            pass

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    made: list[RawServer] = []

    def make(behave: Callable[[socket.socket], None]) -> RawServer:
        made.append(RawServer(behave))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def _garbage(connection: socket.socket) -> None:
    connection.sendall(b"\x00\xffSSH-2.0-not-http\r\n\r\n" * 10)
    connection.close()


def _huge_header(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")


def _reset_mid_body(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + FEED[:500])
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    connection.close()  # RST


def _endless_chunks(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"<" * 0x10000 + b"\r\n"
    while True:
        connection.sendall(chunk)


@pytest.mark.parametrize(
    ("behave", "reason"),
    [
        (_garbage, "network error"),
        (_huge_header, "network error"),
        (_reset_mid_body, "network error"),
        (_endless_chunks, "larger than the size limit (50 MB)"),
    ],
    ids=["not-http", "200-kb-header", "reset-mid-body", "endless-chunked-body"],
)
def test_a_server_that_does_not_speak_http_properly(
    raw_server: Callable[[Callable[[socket.socket], None]], RawServer],
    behave: Callable[[socket.socket], None],
    reason: str,
) -> None:
    server = raw_server(behave)
    run = cli(server.url, "--timeout", "2", measure=behave is _endless_chunks)
    assert_failed_alone(run, server.url, reason)
    if run.peak_mb is not None:
        assert run.peak_mb < MEMORY_LIMIT_MB


def _trickled_headers(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:
        connection.sendall(b"X")
        time.sleep(0.2)


def test_a_server_trickling_its_headers_hits_the_total_deadline(
    raw_server: Callable[[Callable[[socket.socket], None]], RawServer],
) -> None:
    server = raw_server(_trickled_headers)
    outcome: list[BaseException | None] = []

    def fetch() -> None:
        with HttpFetcher(FetchLimits(timeout=0.5, deadline=1)) as fetcher:
            try:
                fetcher(server.url)
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(timeout=4)
    server.stop()  # lets a still-blocked fetch end
    worker.join(timeout=5)
    assert outcome, "still waiting 4 s after a 1 s deadline"
    assert isinstance(outcome[0], FetchError)
    assert "took longer than 1 s in total" in str(outcome[0])


def test_an_opml_list_whose_feeds_fail_in_every_way_still_reads_the_good_one(
    server: Server,
) -> None:
    server.route("/good.xml", body=FEED)
    server.route("/gone.xml", status=404)
    server.route("/hang.xml", body=FEED, delay=30)
    server.route("/page.html", body=b"<!DOCTYPE html><html><body>no feed</body></html>")
    outlines = "".join(
        f'<outline xmlUrl="{name}"/>' for name in ("gone.xml", "hang.xml", "page.html", "good.xml")
    )
    url = server.route("/list.opml", body=f"<opml><body>{outlines}</body></opml>".encode())
    run = run_command("jsonl", [url], None, "--timeout", "1")
    assert_clean_stderr(run)
    assert run.code == 1
    assert len(run.errors()) == 3, run.stderr
    assert b"The jam-jar rain gauge" in run.stdout
    assert run.seconds < TIME_LIMIT


def test_an_opml_entry_that_is_no_url_is_one_error_line(server: Server, tmp_path: Path) -> None:
    server.route("/good.xml", body=FEED)
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<opml><body><outline xmlUrl="http://[::1/x"/>'
        f'<outline xmlUrl="{server.url("/good.xml")}"/></body></opml>'
    )
    run = run_command("jsonl", [str(opml)], None)
    assert_clean_stderr(run)
    assert run.code == 1
    assert [line for line in run.errors() if "http://[::1/x" in line], run.stderr
    assert b"The jam-jar rain gauge" in run.stdout
