"""Article ids, author handles and revision keys: the rules that make duplicates one article."""

from __future__ import annotations

import pytest

from feed2book.identity import (
    article_id,
    author_handle,
    forem_handle_and_slug,
    forem_handle_from_feed,
    normalise_title,
    normalise_url,
    revision_key,
    slugify,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://WWW.Example.com/post/", "https://example.com/post"),
        ("https://example.com:443/a?utm_source=rss&p=5#comments", "https://example.com/a?p=5"),
        ("https://example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com/?p=50918", "https://example.com?p=50918"),
        ("tag:blogger.com,1999:post-1", "tag:blogger.com,1999:post-1"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_forem_links_give_handle_and_slug_on_every_forem_host() -> None:
    assert forem_handle_and_slug("https://dev.to/Matt_Frank_USA/day-31-x-2kml") == (
        "matt_frank_usa",
        "day-31-x-2kml",
    )
    assert forem_handle_and_slug("https://forem.com/matt_frank_usa/day-31-x-2kml") == (
        "matt_frank_usa",
        "day-31-x-2kml",
    )
    assert forem_handle_and_slug("https://example.com/matt/post") is None
    assert forem_handle_and_slug("https://dev.to/matt_frank_usa") is None


def test_same_post_on_dev_to_and_forem_has_one_id() -> None:
    a = article_id(
        "https://dev.to/a/post-1", "", forem_handle_and_slug("https://dev.to/a/post-1"), ""
    )
    b = article_id(
        "", "https://forem.com/a/post-1", forem_handle_and_slug("https://forem.com/a/post-1"), ""
    )
    assert a == b == "forem:a/post-1"


def test_ids_prefer_guid_then_link_then_a_hash() -> None:
    assert article_id("urn:uuid:1234", "https://x.org/a", None, "f") == "urn:uuid:1234"
    assert article_id("", "http://x.org/a/", None, "f") == "https://x.org/a"
    hashed = article_id("", "", None, "feed|title|date")
    assert hashed.startswith("urn:feed2book:") and hashed == article_id(
        "", "", None, "feed|title|date"
    )


def test_handles_and_slugs() -> None:
    assert (
        forem_handle_from_feed(
            "The latest articles on DEV Community by Matt Frank (@matt_frank_usa)."
        )
        == "matt_frank_usa"
    )
    assert author_handle("Tomás Ferreira") == "tomas_ferreira"
    assert author_handle("   ") == "unknown"
    assert slugify("Day 33: Group Chat — System!") == "day-33-group-chat-system"
    assert slugify("東京の天気") == "東京の天気"
    assert len(slugify("word " * 40, max_length=20)) <= 20


def test_revision_key_ignores_case_punctuation_and_spacing() -> None:
    assert normalise_title("Day 31:  Reddit Forum - AI!") == "day 31 reddit forum ai"
    assert revision_key(("a",), "Hello, World") == revision_key(("a",), "hello world")
    assert revision_key(("a",), "Hello") != revision_key(("b",), "Hello")
