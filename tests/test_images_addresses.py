"""Images may not make feed2book fetch internal addresses on behalf of a public source.

The server runs on 127.0.0.1, so "public" hosts are names the injected ``resolve`` maps: to a
public address (the source's own host), or to 127.0.0.1 (an image host that is really this
machine, the DNS-rebinding case). A source on an internal host, or a local file, may fetch
internal images: people run feed servers on localhost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from feed2book.images import ImageOptions, ImageResolver, embed_book_images
from feed2book.images.addresses import is_internal, literal_address, source_is_internal
from feed2book.models import Book, FeedInfo, Problem, Section
from feed2book.parse.feed import parse_json_feed
from feed2book.sources.fetch import Fetched
from tests import images_fixtures as fx
from tests.factory import make_article
from tests.httpserver import Server

PUBLIC_IP = "93.184.215.14"
NAMES = {"blog.example": [PUBLIC_IP], "images.example": ["127.0.0.1"]}


def fake_dns(names: dict[str, list[str]]) -> Callable[[str], Sequence[str]]:
    return lambda host: names.get(host, [])


def book_from(feed_url: str, *image_urls: str) -> Book:
    content = "".join(
        f'<p><img src="{url}" alt="Picture {n}"/></p>' for n, url in enumerate(image_urls)
    )
    article = dataclasses.replace(
        make_article(content=content), feed=FeedInfo("A blog", feed_url, "")
    )
    return Book("author:test", "Posts", article.authors, "en", (Section("", (article,)),))


def embed(
    book: Book, tmp_path: Path, resolve: Callable[[str], Sequence[str]] | None = None
) -> tuple[Book, list[Problem]]:
    resolve = resolve or fake_dns(NAMES)
    options = ImageOptions(cache_dir=tmp_path / "cache")
    problems: list[Problem] = []
    with ImageResolver(options, resolve=resolve) as resolver:
        embedded, _ = embed_book_images(book, resolver, options, on_problem=problems.append)
    return embedded, problems


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "224.0.0.1",
        "0.0.0.0", "100.64.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a00:1",
    ],
)  # fmt: skip
def test_internal_addresses_in_every_family(address: str) -> None:
    assert is_internal(address)


@pytest.mark.parametrize("address", [PUBLIC_IP, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert not is_internal(address)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("0x7f000001", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"), ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("[::1]", "::1"),
    ],
)  # fmt: skip
def test_every_notation_of_an_address_is_read_as_one(host: str, address: str) -> None:
    assert literal_address(host) == address
    assert literal_address("blog.example") is None


def test_which_sources_may_reach_internal_addresses() -> None:
    dns = fake_dns({**NAMES, "feeds.lan": ["192.168.1.20"]})
    assert source_is_internal("/home/me/feed.xml", dns)  # a file the user named
    assert source_is_internal("file:///home/me/feed.xml", dns)
    assert source_is_internal("-", dns)  # stdin
    assert source_is_internal("http://127.0.0.1:8080/feed.xml", dns)
    assert source_is_internal("http://feeds.lan/rss", dns)
    assert not source_is_internal("https://blog.example/feed.xml", dns)
    assert not source_is_internal("https://unknown.example/feed.xml", dns)  # does not resolve


@pytest.mark.network
def test_public_source_cannot_fetch_internal_images_in_any_notation(
    server: Server, tmp_path: Path
) -> None:
    server.route("/photo.png", body=fx.png_with_alpha())
    port = server.url("/").split(":")[2].split("/")[0]
    urls = [
        f"http://images.example:{port}/photo.png",  # a public-looking name on 127.0.0.1
        f"http://0x7f000001:{port}/photo.png",
        f"http://2130706433:{port}/photo.png",
        f"http://[::ffff:127.0.0.1]:{port}/photo.png",
        server.url("/photo.png"),
    ]
    embedded, problems = embed(book_from("https://blog.example/feed.xml", *urls), tmp_path)
    assert server.requests == []
    assert sorted(p.source for p in problems) == sorted(urls)
    assert all("internal address" in p.message for p in problems)
    assert "<img" not in embedded.articles[0].content_html
    assert "Picture 0" in embedded.articles[0].content_html  # the reader still sees the alt


@pytest.mark.network
def test_a_name_that_resolves_elsewhere_at_connect_time_is_refused(
    server: Server, tmp_path: Path
) -> None:
    """DNS rebinding: public when checked, 127.0.0.1 when connected. The connection resolves
    and checks again (as it does after every redirect) and connects to what it checked."""
    server.route("/photo.png", body=fx.png_with_alpha())
    port = server.url("/").split(":")[2].split("/")[0]
    answers = iter([[PUBLIC_IP]])

    def rebinding(host: str) -> Sequence[str]:
        if host == "blog.example":
            return [PUBLIC_IP]
        return next(answers, ["127.0.0.1"])

    url = f"http://images.example:{port}/photo.png"
    _, problems = embed(book_from("https://blog.example/feed.xml", url), tmp_path, rebinding)
    assert server.requests == []
    assert [p.source for p in problems] == [url]
    assert "internal address (127.0.0.1)" in problems[0].message


@pytest.mark.network
@pytest.mark.parametrize("feed_url", ["http://127.0.0.1:9/feed.xml", "/home/me/feed.xml"])
def test_local_sources_fetch_local_images(server: Server, tmp_path: Path, feed_url: str) -> None:
    url = server.route("/photo.png", body=fx.png_with_alpha())
    embedded, problems = embed(book_from(feed_url, url), tmp_path)
    assert problems == []
    assert '<img src="images/' in embedded.articles[0].content_html


@pytest.mark.network
def test_an_internal_image_cached_for_a_local_feed_is_not_served_to_a_public_one(
    server: Server, tmp_path: Path
) -> None:
    url = server.route("/photo.png", body=fx.png_with_alpha())
    _, problems = embed(book_from("/home/me/feed.xml", url), tmp_path)
    assert problems == []
    embedded, problems = embed(book_from("https://blog.example/feed.xml", url), tmp_path)
    assert [p.source for p in problems] == [url]
    assert "<img" not in embedded.articles[0].content_html


def test_a_json_feed_fetched_from_a_public_host_cannot_claim_to_be_local() -> None:
    document = b'{"version": "https://jsonfeed.org/version/1.1", "title": "T",'
    document += b' "feed_url": "http://127.0.0.1/feed.json", "items": [{"id": "1", "content_html": "<p>x</p>"}]}'
    remote = Fetched("https://blog.example/feed.json", document, "https://blog.example/feed.json")
    assert parse_json_feed(remote).feed.url == "https://blog.example/feed.json"
    local = Fetched("feed.json", document, "file:///tmp/feed.json", is_local=True)
    assert parse_json_feed(local).feed.url == "http://127.0.0.1/feed.json"  # the user's own file
