"""Checking a feed's encoding costs no copy of the feed.

``charsets.guess`` runs on every document. A valid UTF-8 feed with one emoji decodes to a str
of four bytes per character, so decoding it whole just to learn that it decodes held four times
the feed's size at once (a 27 MB feed: 108 MB). The check now goes a chunk at a time, and an
ASCII document is not decoded at all.
"""

from __future__ import annotations

import tracemalloc

from feed2book.parse import charsets

BODY = "<p>Déjà vu 🚀 — naïve café, 日本語 and русский текст.</p>\n" * 60_000  # ~4.6 MB
FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss><channel>' + BODY + "</channel></rss>").encode()


def _peak(data: bytes, charset: str | None = None) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = charsets.guess(data, charset)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_valid_utf8_is_checked_without_a_copy() -> None:
    result, peak = _peak(FEED)
    assert result is None  # fine as declared: left to the parser
    assert peak < len(FEED) // 2, peak


def test_ascii_is_not_decoded() -> None:
    data = FEED.decode().encode("ascii", "xmlcharrefreplace")
    result, peak = _peak(data, "iso-8859-1")
    assert result is None
    assert peak < 64 * 1024, peak


def test_a_misdeclared_feed_is_still_found() -> None:
    """The cheap paths must not hide the case ``guess`` exists for."""
    russian = '<?xml version="1.0"?><rss><channel>' + "<p>Привет, мир</p>" * 50 + "</channel></rss>"
    guessed = charsets.guess(russian.encode("cp1251"))
    assert guessed is not None and guessed.encoding == "cp1251"
    assert "Привет" in guessed.text
