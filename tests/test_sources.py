"""Every kind of source: files of any name, globs, directories, OPML, stdin, JSON Lines and URLs
served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from feed2book.errors import FetchError
from feed2book.models import Problem, Severity
from feed2book.sources.fetch import Fetched, FetchLimits, HttpFetcher
from feed2book.sources.resolver import (
    Kind,
    Reference,
    SourceContext,
    Trust,
    display,
    refusal,
    resolve,
    sniff,
)
from tests.conftest import EXAMPLES
from tests.httpserver import Server

RSS = (EXAMPLES / "devto-priya-raman.xml").read_bytes()
ATOM = (EXAMPLES / "field-notes.atom").read_bytes()


def no_network(url: str) -> Fetched:
    raise AssertionError(f"unexpected fetch of {url}")


def origins(specs: list[str], context: SourceContext | None = None) -> list[str]:
    context = context or SourceContext(fetch=no_network)
    return [
        item.origin if isinstance(item, Fetched) else f"ERROR {item.source}: {item.message}"
        for item in resolve(specs, context)
    ]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (RSS, Kind.FEED),
        (ATOM, Kind.FEED),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c -->\n<rss version='2.0'>", Kind.FEED),
        ("<?xml version='1.0'?><feed>".encode("utf-16"), Kind.FEED),
        (b"<rdf:RDF xmlns:rdf='x'>", Kind.FEED),
        (b"<?xml version='1.0'?><opml version='2.0'>", Kind.OPML),
        (b"<!DOCTYPE html><html><head>", Kind.HTML),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', Kind.JSON_FEED),
        (b'{"id":"x","title":"t","content_html":"<p>x</p>"}\n', Kind.JSONL),
        (b"\x89PNG\r\n\x1a\n", Kind.UNKNOWN),
        (b"", Kind.UNKNOWN),
    ],
)
def test_sniff_ignores_names_and_reads_content(data: bytes, kind: Kind) -> None:
    assert sniff(data) is kind


def test_a_feed_with_any_extension_glob_and_directory(tmp_path: Path) -> None:
    (tmp_path / "feed.txt").write_bytes(RSS)
    (tmp_path / "notes.data").write_bytes(ATOM)
    (tmp_path / "readme.md").write_text("# not a feed")
    assert origins([str(tmp_path / "feed.txt")]) == [str(tmp_path / "feed.txt")]
    assert origins([str(tmp_path / "*.txt")]) == [str(tmp_path / "feed.txt")]
    # A directory gives its feed files (sniffed), skipping everything else.
    assert origins([str(tmp_path)]) == [str(tmp_path / "feed.txt"), str(tmp_path / "notes.data")]


def test_missing_paths_and_empty_globs_are_problems_not_exceptions(tmp_path: Path) -> None:
    assert origins([str(tmp_path / "nope.xml"), str(tmp_path / "*.rss")]) == [
        f"ERROR {tmp_path / 'nope.xml'}: no such file or directory",
        f"ERROR {tmp_path / '*.rss'}: no file matches this pattern",
    ]


def test_opml_expands_recursively_and_ignores_cycles(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_bytes(RSS)
    (tmp_path / "b.xml").write_bytes(ATOM)
    (tmp_path / "inner.opml").write_text(
        '<opml version="2.0"><body><outline xmlUrl="b.xml"/><outline xmlUrl="outer.opml"/>'
        "</body></opml>"
    )
    (tmp_path / "outer.opml").write_text(
        '<opml version="2.0"><body><outline text="x"><outline xmlUrl="a.xml"/></outline>'
        '<outline xmlUrl="inner.opml"/></body></opml>'
    )
    assert origins([str(tmp_path / "outer.opml")]) == [
        str(tmp_path / "a.xml"),
        str(tmp_path / "b.xml"),
    ]


def test_stdin_is_a_source() -> None:
    context = SourceContext(fetch=no_network, stdin=io.BytesIO(RSS))
    [item] = list(resolve(["-"], context))
    assert isinstance(item, Fetched) and item.origin == "<stdin>" and item.data == RSS


def test_the_bundled_examples_opml_names_local_feeds(tmp_path: Path) -> None:
    copy = tmp_path / "feeds"
    shutil.copytree(EXAMPLES, copy)
    assert origins([str(copy / "blogroll.opml")]) == [
        str(copy / "devto-priya-raman.xml"),
        str(copy / "devto-tomas-ferreira.xml"),
        str(copy / "field-notes.atom"),
    ]


# --- over HTTP ---------------------------------------------------------------------------------


_OPEN: list[HttpFetcher] = []


@pytest.fixture(autouse=True)
def _close_fetchers() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def fetcher(**limits: float) -> HttpFetcher:
    made = HttpFetcher(FetchLimits(**limits))  # type: ignore[arg-type]
    _OPEN.append(made)
    return made


def http_context(**limits: float) -> SourceContext:
    return SourceContext(fetch=fetcher(**limits))


@pytest.mark.network
def test_url_is_fetched_with_our_user_agent_and_redirects_followed(server: Server) -> None:
    server.route("/feed.xml", body=RSS, headers={"Content-Type": "application/rss+xml"})
    server.route("/old", status=301, headers={"Location": "/feed.xml"})
    [item] = list(resolve([server.url("/old")], http_context()))
    assert isinstance(item, Fetched)
    assert item.data == RSS and item.url == server.url("/feed.xml")
    assert server.requests[-1][1]["user-agent"].startswith("feed2book/")


@pytest.mark.network
def test_http_errors_name_the_source(server: Server) -> None:
    server.route("/gone", status=404, body=b"nope")
    server.route("/busy", status=503, headers={"Retry-After": "120"})
    server.route("/loop", status=302, headers={"Location": "/loop"})
    problems = list(resolve([server.url(p) for p in ("/gone", "/busy", "/loop")], http_context()))
    assert [(p.source, p.message) for p in problems if isinstance(p, Problem)] == [
        (server.url("/gone"), "HTTP 404 Not Found"),
        (server.url("/busy"), "HTTP 503 Service Unavailable (the server asks to retry after 120)"),
        (server.url("/loop"), "too many redirects (more than 5)"),
    ]


@pytest.mark.network
def test_a_server_that_never_answers_times_out(server: Server) -> None:
    server.route("/hang", body=RSS, delay=30)
    [problem] = list(resolve([server.url("/hang")], http_context(timeout=0.5)))
    assert isinstance(problem, Problem) and problem.severity is Severity.ERROR
    assert problem.message == "timed out after 0.5 s"


@pytest.mark.network
def test_a_trickling_server_hits_the_total_deadline(server: Server) -> None:
    server.route("/trickle", body=RSS[:200], trickle=0.1)
    with pytest.raises(FetchError, match=r"took longer than 1 s in total"):
        fetcher(timeout=2, deadline=1)(server.url("/trickle"))


@pytest.mark.network
def test_size_cap(server: Server) -> None:
    server.route("/big", body=b"<rss>" + b" " * 5000)
    with pytest.raises(FetchError, match="larger than the size limit"):
        fetcher(max_bytes=1000)(server.url("/big"))


@pytest.mark.network
def test_connection_refused(server: Server) -> None:
    url = server.url("/x")
    server.stop()
    [problem] = list(resolve([url], http_context()))
    assert isinstance(problem, Problem) and problem.message == "connection refused"


@pytest.mark.network
def test_html_page_autodiscovery(server: Server) -> None:
    server.route("/feeds/atom.xml", body=ATOM, headers={"Content-Type": "application/atom+xml"})
    server.route(
        "/blog/",
        body=b"<!DOCTYPE html><html><head><title>Blog</title>"
        b'<link rel="stylesheet" href="/s.css">'
        b'<link rel="alternate" type="application/atom+xml" href="../feeds/atom.xml">'
        b"</head><body>Hi</body></html>",
        headers={"Content-Type": "text/html"},
    )
    server.route("/plain/", body=b"<!DOCTYPE html><html><head></head><body>x</body></html>")
    items = list(resolve([server.url("/blog/"), server.url("/plain/")], http_context()))
    assert isinstance(items[0], Fetched) and items[0].url == server.url("/feeds/atom.xml")
    assert isinstance(items[1], Problem)
    assert items[1].message == "an HTML page that advertises no feed"


@pytest.mark.network
def test_opml_served_over_http_names_relative_urls(server: Server) -> None:
    server.route("/a.xml", body=RSS)
    server.route("/list.opml", body=b'<opml><body><outline xmlUrl="a.xml"/></body></opml>')
    [item] = list(resolve([server.url("/list.opml")], http_context()))
    assert isinstance(item, Fetched) and item.origin == server.url("/a.xml")


# --- provenance and names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "trust", "refused"),
    [
        ("https://a.example/feed", Trust.NETWORK, False),
        ("http://127.0.0.1:8080/feed", Trust.NETWORK, False),  # local servers are fine
        ("file:///etc/passwd", Trust.NETWORK, True),
        ("/etc/passwd", Trust.NETWORK, True),
        ("feeds/*.xml", Trust.NETWORK, True),
        ("-", Trust.NETWORK, True),
        ("ftp://a.example/feed", Trust.NETWORK, True),
        ("/home/me/feeds", Trust.LOCAL, False),
        ("file:///home/me/feed.xml", Trust.LOCAL, False),
        ("-", Trust.LOCAL, True),
        ("/dev/zero", Trust.TYPED, False),  # refused later, as a device, whoever names it
        ("-", Trust.TYPED, False),
    ],
)
def test_the_provenance_rule(spec: str, trust: Trust, refused: bool) -> None:
    assert (refusal(Reference(spec, trust)) is not None) is refused


def test_names_that_are_not_utf8_are_displayed_with_escapes() -> None:
    assert display("plain/ünïcode.xml") == "plain/ünïcode.xml"
    assert display(os.fsdecode(b"caf\xe9/\xff.xml")) == "caf\\xe9/\\xff.xml"
    assert display("lone \ud800") == "lone \\ud800"


def test_an_empty_spec_names_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed.xml").write_bytes(RSS)  # what reading the current directory would give
    assert origins(["", "  "]) == ['ERROR "": an empty source names nothing'] * 2
