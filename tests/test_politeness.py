"""One ``Politeness`` for every download that is not a feed: images and article pages are
fetched by the same ``Downloader`` under the same rules, each stage with its own limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feed2book.defaults import MAX_PAGE_BYTES, USER_AGENT
from feed2book.errors import FetchError
from feed2book.fulltext.fetch import PageFetcher
from feed2book.fulltext.options import PageOptions
from feed2book.images import ImageOptions
from feed2book.images.fetch import Downloader
from feed2book.sources.politeness import Politeness
from tests.httpserver import Server

pytestmark = pytest.mark.network


def test_images_and_pages_share_the_rules_and_keep_their_own_limits() -> None:
    images = ImageOptions(timeout=4.0, per_host=1, insecure=True)
    pages = PageOptions(timeout=4.0, per_host=1, insecure=True)
    assert images.politeness == Politeness(timeout=4.0, per_host=1, insecure=True)
    assert pages.politeness == Politeness(
        timeout=4.0, per_host=1, insecure=True, concurrency=4, max_bytes=MAX_PAGE_BYTES
    )
    assert images.politeness.user_agent == pages.politeness.user_agent == USER_AGENT


def test_bad_limits_are_refused_wherever_they_are_given() -> None:
    with pytest.raises(ValueError, match="per_host"):
        Politeness(per_host=0)
    with pytest.raises(ValueError, match="per_host"):
        ImageOptions(per_host=0)
    with pytest.raises(ValueError, match="timeout"):
        PageOptions(timeout=0).politeness  # noqa: B018


def test_the_downloader_names_itself_as_its_politeness_says(server: Server) -> None:
    server.route("/a.png", body=b"png")
    downloader = Downloader(Politeness(user_agent="feed2book-test/1"))
    try:
        assert downloader.get(server.url("/a.png"), internal_ok=True).body == b"png"
    finally:
        downloader.close()
    assert server.requests[-1][1]["user-agent"] == "feed2book-test/1"


def test_a_page_is_fetched_under_the_pages_politeness(server: Server, tmp_path: Path) -> None:
    server.route("/post", body=b"x" * 2000, headers={"Content-Type": "text/html"})
    options = PageOptions(cache_dir=tmp_path, max_bytes=1000)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with PageFetcher(options) as pages, pytest.raises(FetchError) as refused:
        pages.get(server.url("/post"), internal_ok=True, now=now)
    assert str(refused.value).endswith("larger than the size limit (0.000954 MB)")
    assert server.requests[-1][1]["user-agent"] == USER_AGENT
