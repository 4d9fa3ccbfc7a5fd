"""Article ids, author handles and revision keys: the rules that make duplicates one article."""

from __future__ import annotations

import pytest

from feed2book.identity import (
    ItemFacts,
    article_id,
    author_handle,
    feed_ids,
    forem_handle_and_slug,
    forem_handle_from_feed,
    forem_slug_stem,
    id_evidence,
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


def facts(id: str, exact: str = "", date: str = "", title: str = "T", body: str = "b") -> ItemFacts:
    return ItemFacts(id, exact or id, date, title, body)


def test_a_fragment_is_kept_only_when_it_tells_a_feeds_items_apart() -> None:
    assert normalise_url("http://x.org/e.php#111", keep_fragment=True) == "https://x.org/e.php#111"
    page = "https://x.org/e.php"
    apart = [facts(page, page + "#2", body="two"), facts(page, page + "#1", body="one")]
    assert feed_ids(apart) == [page + "#2", page + "#1"]
    # Every id of such a feed keeps its fragment, alone on its page or not.
    alone = facts("https://x.org/f.php", "https://x.org/f.php#9", body="nine")
    assert feed_ids([*apart, alone])[2] == "https://x.org/f.php#9"
    # Elsewhere fragments stay out of ids (``post/#more`` is the post).
    assert feed_ids([alone, facts("https://x.org/g", "https://x.org/g#more")]) == [
        "https://x.org/f.php",
        "https://x.org/g",
    ]


def test_items_sharing_a_link_get_a_digest_of_their_own_date_and_title() -> None:
    page = "https://x.org/news.html"
    items = [
        facts(page, date="2020-04-12", title="Results", body="r"),
        facts(page, date="2020-04-12", title="Closed", body="c"),
        facts(page, date="", title="Clocks", body="k"),
    ]
    ids = feed_ids(items)
    assert len(set(ids)) == 3 and all(i.startswith(page + "#item-") for i in ids)
    assert feed_ids(list(reversed(items))) == list(reversed(ids))  # not the feed's order
    # The body changes nothing while date and title tell the items apart (an edit keeps the id).
    edited = [items[0], items[1], facts(page, title="Clocks", body="k, edited")]
    assert feed_ids(edited) == ids
    # Same date and title, different bodies: the body goes in too.
    twins = [facts(page, date="d", body="one"), facts(page, date="d", body="two")]
    assert len(set(feed_ids(twins))) == 2


def test_an_item_listed_twice_keeps_one_id() -> None:
    same = facts("g1", date="d", title="T", body="b")
    assert feed_ids([same, same, facts("g2")]) == ["g1", "g1", "g2"]
    guid_reused = [facts("g1", body="first"), facts("g1", body="second")]
    assert len(set(feed_ids(guid_reused))) == 2  # a guid shared by different items


def test_forem_slug_stems_and_id_evidence() -> None:
    assert forem_slug_stem("forem:matt/day-21-system-3ef2") == "forem:matt/day-21-system"
    assert forem_slug_stem("https://x.org/day-21-system-3ef2") == ""
    assert id_evidence("forem:a/b-1", "https://dev.to/a/b-1") == "same dev.to/Forem post"
    assert id_evidence("https://x.org/p#item-1", "https://x.org/p/") == "same link"
    assert id_evidence("tag:x.org,2020:1", "https://x.org/p") == "same guid"
    assert id_evidence(article_id("", "", None, "f|t|d"), "") == "same feed, title and date"
