"""Faithful books: no article is merged away without evidence, and every item dropped is told.

The fixtures in ``tests/data/feeds/`` are the shapes real feeds lost articles in (each file says
which in its first comment): links that differ only by fragment, items that all link to one
page, day-page anchor guids, and repeated titles over different posts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from tests.test_cli import lines, run
from tests.test_library_cli import lib, main

FEEDS = DATA / "feeds"
SHAPES = {
    "fragment-only-links.rss": [
        "https://journal.example.net/entries.php#1",
        "https://journal.example.net/entries.php#2",
        "https://journal.example.net/entries.php#3",
    ],
    "day-page-anchor-guids.atom": [
        "https://diary.example.com/2020/06/23.html#a100620",
        "https://diary.example.com/2020/06/23.html#a100621",
        "https://diary.example.com/2020/06/24.html#a100622",
    ],
    "same-page-links.rss": 3,
    "same-title-different-content.rss": 6,
}


def ids_of(*args: str) -> list[str]:
    code, out, err = run("jsonl", *args, "--fields", "id")
    assert code == 0, err
    return [str(record["id"]) for record in lines(out)]


def test_jsonl_gives_every_item_of_each_merged_away_shape() -> None:
    for name, expected in SHAPES.items():
        ids = ids_of(str(FEEDS / name))
        assert len(set(ids)) == len(ids), name
        if isinstance(expected, list):
            assert sorted(ids) == expected, name
        else:
            assert len(ids) == expected, name


def test_items_on_one_page_are_told_apart_by_their_own_date_and_title() -> None:
    ids = ids_of(str(FEEDS / "same-page-links.rss"))
    assert all(i.startswith("https://club.example.org/news.html#item-") for i in ids)
    # Two of the three share a date: the title is in the digest too.
    assert len(set(ids)) == 3
    assert ids == ids_of(str(FEEDS / "same-page-links.rss"))  # stable from run to run


def test_the_same_feed_read_twice_is_still_one_copy_of_each_article(tmp_path: Path) -> None:
    copy = tmp_path / "copy.rss"
    copy.write_bytes((FEEDS / "same-page-links.rss").read_bytes())
    code, out, err = run("jsonl", str(FEEDS / "same-page-links.rss"), str(copy), "--fields", "id")
    assert code == 0 and len(lines(out)) == 3
    assert "3 items dropped as duplicates of other items (same link)" in err


def test_the_library_gives_every_item_too() -> None:
    files = [str(FEEDS / name) for name in SHAPES]
    code, _, err = lib("add", *files)
    assert code == 0, err
    _, from_files, _ = main("jsonl", *files)
    code, from_library, err = main("jsonl")
    assert "no SOURCES given; reading the library" in err
    assert from_library == from_files
    assert len(from_library.splitlines()) == 15


def test_dropped_items_are_counted_by_reason_and_listed_with_verbose(tmp_path: Path) -> None:
    item = (
        "<item><title>{title}</title><link>https://x.example/{slug}</link>"
        "<pubDate>Mon, 02 Mar 2020 10:00:00 +0000</pubDate>"
        "<description>{title} in a few words.</description></item>"
    )
    items = [item.format(title="Kept", slug="kept")] * 2 + [item.format(title="Other", slug="o")]
    feed = tmp_path / "twice.rss"
    feed.write_text(
        "<rss version='2.0'><channel><title>T</title><link>https://x.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    )
    code, out, err = run("jsonl", str(feed), "--fields", "id")
    assert code == 0 and len(lines(out)) == 2
    assert "feed2book: 1 item dropped as duplicates of other items (same link)\n" in err
    assert "dropped 'Kept'" not in err
    _, out_verbose, err = run("jsonl", str(feed), "--fields", "id", "--verbose")
    assert out_verbose == out  # stdout holds data only
    assert (
        "feed2book: dropped 'Kept' as duplicate (same link); kept https://x.example/kept\n" in err
    )


def test_the_seeds_republished_posts_are_reported(seeds: list[Path]) -> None:
    _, out, err = run("jsonl", *map(str, seeds), "--fields", "id", "--verbose")
    assert len(lines(out)) == 48
    assert (
        "8 items dropped as older revisions (republished: same author, title and Forem slug)"
        in err
    )
    assert err.count("as older revision (republished") == 8


# --- the property ------------------------------------------------------------------------------

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
DAY = datetime(2021, 3, 1, 9, tzinfo=UTC)


@st.composite
def feeds(draw: st.DrawFn) -> tuple[str, bytes, int]:
    """A feed of N items with distinct (title, date, body) whose guids, links, fragments, titles
    and dates collide as often as hypothesis likes. Bodies are made of words no other item has:
    two items never hold one text."""
    count = draw(st.integers(1, 8))
    vocabulary = draw(st.lists(WORDS, min_size=count * 3, max_size=count * 3, unique=True))
    items = []
    for n in range(count):
        guid = draw(
            st.sampled_from(["", "g1", "https://b.example/p", "https://b.example/p#x"])
            | st.builds(lambda k: f"https://b.example/day.html#a{k}", st.integers(0, 3))
        )
        link = draw(
            st.sampled_from(["", "https://b.example/news.html", "https://b.example/p/"])
            | st.builds(lambda k: f"https://b.example/e.php#{k}", st.integers(0, 3))
        )
        title = draw(st.sampled_from(["Notes", "notes!", "Day 4", "Part 001", ""]))
        date = draw(st.sampled_from([None, DAY, DAY + timedelta(days=1)]))
        body = " ".join(vocabulary[3 * n : 3 * n + 3])
        items.append((guid, link, title, date, body))
    assert len({item[2:] for item in items}) == count  # distinct (title, date, body)
    kind = draw(st.sampled_from(["rss", "json"]))
    return kind, (_rss(items) if kind == "rss" else _json_feed(items)), count


Item = tuple[str, str, str, datetime | None, str]


def _rss(items: list[Item]) -> bytes:
    parts = ["<rss version='2.0'><channel><title>Blog</title><link>https://b.example/</link>"]
    for guid, link, title, date, body in items:
        parts.append("<item>")
        parts.append(f"<guid isPermaLink='false'>{escape(guid)}</guid>" if guid else "")
        parts.append(f"<link>{escape(link)}</link>" if link else "")
        parts.append(f"<title>{escape(title)}</title>" if title else "")
        if date is not None:
            parts.append(f"<pubDate>{date.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>")
        parts.append(f"<description>&lt;p&gt;{escape(body)}&lt;/p&gt;</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _json_feed(items: list[Item]) -> bytes:
    records = []
    for guid, link, title, date, body in items:
        record: dict[str, str] = {"id": guid, "content_html": f"<p>{body}</p>"}
        if link:
            record["url"] = link
        if title:
            record["title"] = title
        if date is not None:
            record["date_published"] = date.isoformat()
        records.append(record)
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "Blog", "items": records}
    return json.dumps(document).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds())
def test_any_feed_of_distinct_items_gives_one_record_per_item(
    feed: tuple[str, bytes, int],
) -> None:
    _, data, count = feed
    code, out, err = run("jsonl", "-", "--fields", "id,title", input=data)
    assert code == 0, err
    records = lines(out)
    assert len(records) == count, err
    assert len({record["id"] for record in records}) == count
