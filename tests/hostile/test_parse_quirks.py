"""Unit-level cases for what the hostile corpus, hypothesis and the fuzzer found in parsing: each
once lost a whole feed, mangled a name or let something through."""

from __future__ import annotations

import json

import pytest

from feed2book.clean.rules import escape_url, safe_url
from feed2book.errors import NotAFeedError
from feed2book.parse.charsets import guess
from feed2book.parse.feed import ParsedSource, parse_source
from feed2book.sources.fetch import Fetched
from tests.hostile.corpus import (
    CHINESE_BODY,
    LATIN_BODY,
    RUSSIAN_BODY,
    item,
    rss,
)


def parse(data: bytes, headers: dict[str, str] | None = None) -> ParsedSource:
    return parse_source(Fetched("feed.xml", data, None, headers or {}, is_local=True))


def test_email_then_name_with_a_long_top_level_domain() -> None:
    """feedparser cuts "x@news.example (Ann Lee)" into "x@news.exam" and "ple (Ann Lee"."""
    feed = rss(
        item("One", "<p>x</p>", author="Ann Lee").replace(
            "x@hostile.example (Ann Lee)", "ann@news.example (Ann Lee)"
        )
        + item("Two", "<p>y</p>").replace(
            "x@hostile.example (Hostile Author)", "a@b.technology (Guy English, Rene Ritchie)"
        )
    )
    parsed = parse(feed.encode())
    assert [[a.name for a in article.authors] for article in parsed.articles] == [
        ["Ann Lee"],
        ["Guy English", "Rene Ritchie"],
    ]


@pytest.mark.parametrize(
    "link",
    ["http://[::1/broken", "https://[x]/a", "http://a.example:99999999/x", "//[::1", "http://%"],
)
def test_a_link_guid_or_base_that_is_no_url_loses_only_itself(link: str) -> None:
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{link}</link>'
        f"<item><title>A</title><link>{link}</link><guid>{link}</guid>"
        f'<description>&lt;a href="{link}"&gt;x&lt;/a&gt;&lt;img src="{link}"&gt;</description>'
        "</item></channel></rss>"
    )
    [article] = parse(feed.encode()).articles
    assert article.title == "A" and article.url == "" and article.feed.site == ""
    assert "href" not in article.content_html and "<img" not in article.content_html


@pytest.mark.parametrize("reference", ["&#x110000;", "&#1114112;", "&#xD800;", "&#99999999999;"])
def test_a_reference_to_no_character_loses_only_itself(reference: str) -> None:
    feed = rss(item(f"A {reference} B", f"<p>x {reference} y</p>") + "&bogus;")
    [article] = parse(feed.encode()).articles
    assert article.title.startswith("A") and article.title.endswith("B")
    utf16 = rss(item(f"A {reference} B", "<p>x</p>")).replace("utf-8", "utf-16").encode("utf-16")
    assert parse(utf16).articles[0].title.startswith("A")


def test_a_byte_order_mark_before_bytes_that_are_no_utf16() -> None:
    with pytest.raises(NotAFeedError):
        parse(b"\xff\xfe<\x00r\x00s\x00\x90")


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        (RUSSIAN_BODY, "cp1251", "cp1251"),
        (RUSSIAN_BODY, "koi8_r", "koi8_r"),
        (CHINESE_BODY, "gb2312", "gb18030"),
        (LATIN_BODY, "latin-1", None),  # feedparser's windows-1252 fallback is right
        (LATIN_BODY, "utf-8", None),
    ],
)
def test_guessing_an_undeclared_encoding(text: str, codec: str, expected: str | None) -> None:
    data = f'<?xml version="1.0"?><rss><title>{text}</title><p>{text * 3}</p></rss>'.encode(codec)
    found = guess(data)
    assert (found.encoding if found else None) == expected
    if found:
        assert text in found.text


def test_utf8_cut_inside_a_character_is_still_utf8() -> None:
    data = f"<rss><title>{RUSSIAN_BODY}".encode()
    data = data[: data.index("работает".encode()) + 1]  # inside the two bytes of "р"
    found = guess(data)
    assert found is not None and found.encoding == "utf-8"


def test_a_stray_latin1_byte_in_a_utf8_feed_does_not_make_it_mojibake() -> None:
    data = f"<rss><title>{LATIN_BODY} {LATIN_BODY}</title>caf\xe9".encode()
    data = data[:-2] + b"\xe9"
    found = guess(data)
    assert found is not None and found.encoding == "utf-8" and LATIN_BODY in found.text


@pytest.mark.parametrize(
    ("url", "escaped"),
    [
        ('https://ok.example/a"b', "https://ok.example/a%22b"),
        ("https://ok.example/a b<c>{d}|e^f`g[h]", "https://ok.example/a%20b%3Cc%3E%7Bd%7D%7Ce%5Ef%60g%5Bh%5D"),
        ("https://[::1]:8080/x%zz?q=%41", "https://[::1]:8080/x%25zz?q=%41"),
        ("relative/pa th#frag\"", "relative/pa%20th#frag%22"),
        ("https://ok.example/fine/ünï?x=1#y", "https://ok.example/fine/ünï?x=1#y"),
        # Unicode spaces and separators (EPUBCheck: "space is not allowed"), bidi controls
        ("https://ok.example/ò\u2028x\u3000y\u00a0z", "https://ok.example/ò%E2%80%A8x%E3%80%80y%C2%A0z"),
        ("https://ok.example/a\u202eb\u2066c\u200fd", "https://ok.example/a%E2%80%AEb%E2%81%A6c%E2%80%8Fd"),
        ("https://ok.example/\U0005b904", "https://ok.example/\U0005b904"),  # letters of any plane stay
    ],
)  # fmt: skip
def test_characters_no_url_may_hold_are_percent_encoded(url: str, escaped: str) -> None:
    assert escape_url(url) == escaped
    assert safe_url(url.replace(" ", ""), None) == escape_url(url.replace(" ", ""))


def test_json_values_of_the_wrong_type_count_as_missing() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ["x"],
        "items": [
            {"id": 5, "title": {"a": 1}, "url": ["u"], "content_html": 3,
             "date_published": "0001-01-01T00:00:00+01:00", "tags": "abc"},
            {"id": "b", "date_published": "9999-12-31T23:59:59-05:00", "tags": [None, 1, "ok"],
             "authors": [{"name": 7}, "x", None], "content_text": ["a"]},
            7,
        ],
    }  # fmt: skip
    parsed = parse(json.dumps(document).encode())
    assert [a.title for a in parsed.articles] == ["3", "Untitled"]  # a number is written out
    assert [a.tags for a in parsed.articles] == [(), ("1", "ok")]
    assert [str(p.message) for p in parsed.problems] == ["1 item not an object; skipped"]


@pytest.mark.parametrize(
    "line",
    [b'{"id": 5}', b'{"id": "x"}', b'{"id": "x", "title": "t", "feed": [], "authors": 7}'],
)
def test_json_lines_that_are_not_articles(line: bytes) -> None:
    if b'"title"' in line:
        [article] = parse(line + b"\n").articles
        assert article.authors == () and article.feed.title == ""
    else:
        with pytest.raises(NotAFeedError, match="JSON Lines without any feed2book article"):
            parse(line + b"\n")


@pytest.mark.parametrize(
    "declaration",
    [
        b'<?xml version="1.0" encoding="\x00TF-8"?>',
        b'<?xml version="1.0" encoding="\x80TF-8"?>',
        b'<?xml version="1\x00.0" encoding="utf-8"?>',
        b'<?xml version="1.0" encoding=""?>',
    ],
)
def test_an_xml_declaration_feedparser_cannot_read(declaration: bytes) -> None:
    """feedparser raised ValueError or UnicodeDecodeError on these: the feed was lost."""
    body = rss(item("Kept", "<p>x</p>")).split("?>", 1)[1].encode()
    [article] = parse(declaration + body).articles
    assert article.title == "Kept"


def test_links_with_unicode_spaces_and_bidi_controls_make_a_valid_book() -> None:
    """A generated feed found it: a line separator (U+2028) in a link was kept as it was, and
    EPUBCheck reads it as a space ("not a valid URL"). Every link a page carries is checked."""
    from feed2book.group import BookOptions, GroupBy, group_articles
    from feed2book.writers.epub.book import build_epub
    from tests.epubcheck_helper import assert_all_epubcheck_clean

    odd = "https://ok.example/ò\u2028x\u3000y\u00a0z\u202eq\u2066r.mp3"
    atom = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>t</title><id>urn:t</id><updated>2026-01-01T00:00:00Z</updated><entry>"
        "<title>e</title><id>urn:e</id><updated>2026-01-01T00:00:00Z</updated>"
        f'<link href="{odd}"/><link rel="enclosure" type="audio/mpeg" length="9" href="{odd}"/>'
        f'<content type="html">&lt;p&gt;&lt;a href="{odd}"&gt;x&lt;/a&gt;&lt;/p&gt;</content>'
        "</entry></feed>"
    )
    (article,) = parse(atom.encode()).articles
    assert "\u2028" not in article.url + article.content_html
    (book,) = group_articles([article], BookOptions(GroupBy.NONE, title="t")).books
    assert_all_epubcheck_clean({"odd links": build_epub(book)})
