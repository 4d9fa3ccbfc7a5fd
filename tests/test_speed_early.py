"""A big feed's entries become articles while the rest of it is still being read.

``fastfeed.parse(on_entry=…)`` hands each entry over as the fast RSS reader closes it, and
``parse_feed`` sends them to the helpers at once (``parallel.Ahead``). Those early articles are
kept only when they are exactly what reading the entries afterwards gives: the same reading of
the document (fastrss did not give up halfway) and the same channel (no channel field after the
first item changed what entries are read with). Either way, the articles are the ones a single
process makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from feed2book import parallel
from feed2book.parse import _fast as fastfeed
from feed2book.parse import feed as parse
from feed2book.parse._fast import rss as fastrss
from feed2book.sources.fetch import Fetched

COUNT = parallel.MIN_ITEMS + 3 * parallel.CHUNK + 7


def _item(number: int, extra: str = "") -> str:
    body = (
        f"&lt;p&gt;Note {number} on &lt;em&gt;slow&lt;/em&gt; kettles.&lt;/p&gt;"
        + "&lt;p&gt;The water sings long before it boils, and then goes quiet.&lt;/p&gt;" * 20
        + f"&lt;pre&gt;&lt;code&gt;boil({number})\nwait()&lt;/code&gt;&lt;/pre&gt;"
        f'&lt;p&gt;See &lt;a href="/notes/{number + 1}"&gt;the next&lt;/a&gt;.&lt;/p&gt;'
    )
    return (
        f"<item><title>Kettle note {number}</title>"
        f"<link>https://kettles.example/notes/{number}</link>"
        f"<guid>https://kettles.example/notes/{number}</guid>"
        f"<pubDate>Mon, 0{1 + number % 9} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description>{body}</description>{extra}</item>\n"
    )


def _feed(*, channel_last: bool = False, odd_item: int | None = None) -> bytes:
    """``COUNT`` items, in more than one of the pieces the reader hands over at a time; the channel's fields first (as nearly every feed writes them) or after
    the items; ``odd_item``: that item carries an element of an undeclared-to-fastrss namespace,
    which makes the fast reader give up there and feedparser read the whole document."""
    channel = (
        "<title>Kettle notes</title><link>https://kettles.example/</link>"
        "<language>fr</language><description>Notes.</description>\n"
    )
    items = "".join(
        _item(n, "<media:rating>nonadult</media:rating>" if n == odd_item else "")
        for n in range(COUNT)
    )
    inner = items + channel if channel_last else channel + items
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"'
        ' xmlns:media="http://search.yahoo.com/mrss/"><channel>\n'
        f"{inner}</channel></rss>\n"
    ).encode()


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each parse kept its early articles (a spy on ``_Early.valid_for``)."""
    seen: list[bool] = []
    original = parse._Early.valid_for

    def spy(self: Any, entries: list[Any], portable: Any) -> bool:
        seen.append(original(self, entries, portable))
        return seen[-1]

    monkeypatch.setattr(parse._Early, "valid_for", spy)
    yield seen
    parallel.shutdown()


def _articles(data: bytes, workers: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setenv(parallel.WORKERS_ENV, workers)
    return parse.parse_feed(Fetched("kettles.xml", data, is_local=True)).articles


def test_the_fast_reader_hands_over_each_entry_with_the_channel_read_so_far() -> None:
    assert len(_feed()) > 2 * fastrss.PIECE  # entries are handed over before the end
    given: list[tuple[Any, str]] = []
    parsed = fastfeed.parse(
        _feed(), on_entry=lambda entry, channel: given.append((entry, channel.get("language")))
    )
    assert len(given) == COUNT
    assert all(mine is theirs for (mine, _), theirs in zip(given, parsed.entries, strict=True))
    assert {language for _, language in given} == {"fr"}


@pytest.mark.parametrize(
    ("shape", "early_kept"),
    [
        ({}, True),
        ({"channel_last": True}, False),  # the channel's language and title come late
        ({"odd_item": COUNT - 40}, False),  # fastrss gives up near the end: feedparser reads
    ],
    ids=["channel-first", "channel-last", "fast-reader-gives-up"],
)
def test_early_articles_are_kept_only_when_they_are_the_ones_a_single_process_makes(
    shape: dict[str, Any],
    early_kept: bool,
    kept: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _feed(**shape)
    alone = _articles(data, "1", monkeypatch)
    assert kept == []  # one process: nothing is done early
    shared = _articles(data, "2", monkeypatch)
    assert kept == [early_kept]
    assert shared == alone
    assert len({article.id for article in shared}) == COUNT
    assert {article.language for article in shared} == {"fr"}
