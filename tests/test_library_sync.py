"""Adding and syncing sources: files re-read, per-source isolation, conditional GET over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from feed2book.errors import UsageError
from feed2book.library import Library
from feed2book.library.sync import add_source, sync
from feed2book.models import Problem
from feed2book.sources.fetch import HttpFetcher
from tests.httpserver import Route, Server

RSS_TYPE = {"Content-Type": "application/rss+xml"}


def rss(name: str, items: int, body: str = "Hello", first: int = 1) -> bytes:
    entries = "".join(
        f"<item><title>{name} post {n}</title><link>https://example.com/{name}/{n}</link>"
        f"<pubDate>{format_datetime_day(n)}</pubDate><author>{name}@example.com ({name})</author>"
        f"<description>&lt;p&gt;{body} {n}&lt;/p&gt;</description></item>"
        for n in range(first, first + items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://example.com/{name}</link>{entries}</channel></rss>"
    ).encode()


def format_datetime_day(day: int) -> str:
    return format_datetime(datetime(2026, 5, day, 10, tzinfo=UTC), usegmt=True)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library.open(tmp_path / "library.sqlite3") as opened:
        yield opened


@pytest.fixture
def fetch() -> Iterator[HttpFetcher]:
    with HttpFetcher() as fetcher:
        yield fetcher


def test_sync_rereads_files_and_stores_what_changed(
    tmp_path: Path, library: Library, fetch: HttpFetcher
) -> None:
    (tmp_path / "a.xml").write_bytes(rss("a", 3))
    (tmp_path / "b.xml").write_bytes(rss("b", 2))
    for name in ("a.xml", "b.xml"):
        assert add_source(library, fetch, str(tmp_path / name)).stored.new in (2, 3)
    # Post 1 has left the feed, post 3 was edited, post 4 is new.
    (tmp_path / "a.xml").write_bytes(rss("a", 3, first=2).replace(b"Hello 3", b"Edited 3"))

    a, b = sync(library, fetch)
    assert (a.stored.new, a.stored.updated, a.stored.unchanged, a.status) == (1, 1, 1, "ok")
    assert (b.stored.unchanged, b.status) == (2, "unchanged")
    assert len(library) == 4 + 2  # post 1 stays: feeds forget, the library does not
    assert [s.last_status for s in library.sources()] == ["ok", "unchanged"]


def test_a_failing_source_is_reported_and_the_others_still_sync(
    tmp_path: Path, library: Library, fetch: HttpFetcher
) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.xml").write_bytes(rss(name, 2))
        add_source(library, fetch, str(tmp_path / f"{name}.xml"))
    (tmp_path / "a.xml").unlink()
    (tmp_path / "b.xml").write_bytes(rss("b", 3))
    problems: list[Problem] = []
    a, b = sync(library, fetch, on_problem=problems.append)
    assert a.failed and a.error == f"{tmp_path / 'a.xml'}: no such file or directory"
    assert (b.failed, b.stored.new) == (False, 1)
    assert [str(p) for p in problems] == [a.error]
    statuses = {s.spec: (s.last_status, s.last_error, s.articles) for s in library.sources()}
    assert statuses[str(tmp_path / "a.xml")] == ("failed", a.error, 2)


def test_only_the_named_sources_sync_and_unknown_ones_are_refused(
    tmp_path: Path, library: Library, fetch: HttpFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.xml").write_bytes(rss(name, 1))
        add_source(library, fetch, str(tmp_path / f"{name}.xml"))
    monkeypatch.chdir(tmp_path)
    assert [r.source for r in sync(library, fetch, ["b.xml"])] == [str(tmp_path / "b.xml")]
    with pytest.raises(UsageError, match=r"not a source of the library: .*c\.xml"):
        sync(library, fetch, ["c.xml"])


def test_add_remembers_only_what_could_be_read(
    server: Server, library: Library, fetch: HttpFetcher
) -> None:
    server.route("/gone.xml", status=404)
    result = add_source(library, fetch, server.url("/gone.xml"))
    assert (
        not result.remembered and result.error == f"{server.url('/gone.xml')}: HTTP 404 Not Found"
    )
    assert library.sources() == []


def validated(feed: bytes, **validators: str) -> Route:
    """A feed that answers 304 when the request carries the validators it gave."""
    etag, modified = validators.get("etag"), validators.get("last_modified")

    def answer(request: BaseHTTPRequestHandler) -> Route:
        if etag and request.headers.get("If-None-Match") == etag:
            return Route(304)
        if modified and request.headers.get("If-Modified-Since") == modified:
            return Route(304)
        headers = dict(RSS_TYPE)
        if etag:
            headers["ETag"] = etag
        if modified:
            headers["Last-Modified"] = modified
        return Route(200, feed, headers)

    return Route(responder=answer)


@pytest.mark.network
@pytest.mark.parametrize(
    ("validators", "header", "value"),
    [
        ({"etag": '"v1"'}, "if-none-match", '"v1"'),
        ({"last_modified": "Fri, 01 May 2026 10:00:00 GMT"}, "if-modified-since", None),
    ],
)
def test_a_second_sync_is_a_conditional_get_and_304_means_unchanged(
    server: Server,
    library: Library,
    fetch: HttpFetcher,
    validators: dict[str, str],
    header: str,
    value: str | None,
) -> None:
    server.routes["/feed.xml"] = validated(rss("f", 2), **validators)
    url = server.url("/feed.xml")
    assert add_source(library, fetch, url).stored.new == 2
    assert header not in server.requests[-1][1]

    (result,) = sync(library, fetch)
    sent = server.requests[-1][1]
    assert sent[header] == (value or validators["last_modified"])
    assert (result.not_modified, result.documents, result.status) == (1, 0, "unchanged")
    assert result.stored.unchanged == 0  # nothing was parsed: a 304 has no body to parse
    assert library.sources()[0].last_status == "unchanged"


@pytest.mark.network
def test_an_opml_source_is_fetched_in_full_and_its_feeds_conditionally(
    server: Server, library: Library, fetch: HttpFetcher
) -> None:
    opml = (
        '<opml version="2.0"><body>'
        f'<outline xmlUrl="{server.url("/a.xml")}"/><outline xmlUrl="/b.xml"/>'
        "</body></opml>"
    ).encode()
    server.route("/list.opml", body=opml, headers={"ETag": '"list"'})
    server.routes["/a.xml"] = validated(rss("a", 2), etag='"a"')
    server.routes["/b.xml"] = validated(rss("b", 1), etag='"b"')
    result = add_source(library, fetch, server.url("/list.opml"))
    assert (result.stored.new, result.documents) == (3, 2)
    assert library.sources()[0].kind == "opml"

    server.requests.clear()
    (result,) = sync(library, fetch)
    sent = dict(server.requests)
    assert "if-none-match" not in sent["/list.opml"]
    assert sent["/a.xml"]["if-none-match"] == '"a"' and sent["/b.xml"]["if-none-match"] == '"b"'
    assert (result.not_modified, result.status) == (2, "unchanged")


@pytest.mark.network
def test_validators_of_a_feed_that_did_not_parse_are_not_kept(
    server: Server, library: Library, fetch: HttpFetcher
) -> None:
    server.routes["/feed.xml"] = validated(rss("f", 1), etag='"good"')
    add_source(library, fetch, server.url("/feed.xml"))
    server.route("/feed.xml", body=b"Down for maintenance", headers={"ETag": '"broken"'})
    (broken,) = sync(library, fetch)
    assert broken.failed
    server.routes["/feed.xml"] = validated(rss("f", 2), etag='"fixed"')
    (fixed,) = sync(library, fetch)
    assert server.requests[-1][1]["if-none-match"] == '"good"'  # not "broken"
    assert (fixed.failed, fixed.stored.new) == (False, 1)
