"""Plain-text feed fields (Atom ``type="text"``, ``media:description type="plain"``, podcast
notes) keep their paragraphs, line breaks and links instead of collapsing into one paragraph."""

from __future__ import annotations

from pathlib import Path

from feed2book.clean.html import clean_html
from feed2book.convert.text import text_as_html
from feed2book.parse.feed import parse_source
from feed2book.sources.fetch import Fetched
from tests.conversion_helpers import check_golden, parse_xhtml

TEXT_DIR = Path(__file__).parent / "data" / "text"


def test_golden_plain_text_notes() -> None:
    source = (TEXT_DIR / "plain_text_notes.txt").read_text(encoding="utf-8")
    cleaned = clean_html(text_as_html(source), "https://example.org/")
    parse_xhtml(cleaned)
    check_golden(TEXT_DIR / "plain_text_notes.xhtml", cleaned)


def test_blank_lines_are_paragraphs_and_newlines_are_breaks() -> None:
    html = text_as_html("one\ntwo\r\n\r\nthree\n \n\nfour")
    assert html == "<p>one<br/>two</p><p>three</p><p>four</p>"


def test_text_is_escaped_and_urls_linked_without_trailing_punctuation() -> None:
    html = text_as_html('a <i>b</i> & "see https://example.org/x?y=1&z=2". Done')
    assert html == (
        '<p>a &lt;i&gt;b&lt;/i&gt; &amp; "see '
        '<a href="https://example.org/x?y=1&amp;z=2">https://example.org/x?y=1&amp;z=2</a>". '
        "Done</p>"
    )


def _articles(feed: bytes) -> list[str]:
    parsed = parse_source(Fetched("feed.xml", feed, None, {}, True))
    return [article.content_html for article in parsed.articles]


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Notes</title><id>urn:notes</id>
<updated>2024-01-02T00:00:00Z</updated>
<entry><title>Text summary</title><id>urn:1</id><updated>2024-01-02T00:00:00Z</updated>
<link href="https://example.org/1"/>
<summary type="text">First line
second line

Next paragraph https://example.org/more</summary></entry>
<entry><title>Text content</title><id>urn:2</id><updated>2024-01-02T00:00:00Z</updated>
<link href="https://example.org/2"/>
<content type="text">Alpha &lt;b&gt;
beta</content></entry>
<entry><title>HTML summary</title><id>urn:3</id><updated>2024-01-02T00:00:00Z</updated>
<link href="https://example.org/3"/>
<summary type="html">Words
on two source lines</summary></entry>
</feed>"""


def test_atom_text_fields_keep_paragraphs_breaks_and_links() -> None:
    summary, content, html = _articles(ATOM)
    assert summary == (
        "<p>First line<br/>second line</p>\n"
        '<p>Next paragraph <a href="https://example.org/more">https://example.org/more</a></p>\n'
    )
    assert content == "<p>Alpha &lt;b&gt;<br/>beta</p>\n"
    assert html == "<p>Words on two source lines</p>\n"  # HTML: a newline is a space


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Videos</title>
<link>https://example.org/</link><description>d</description>
<item><title>Plain media description</title><link>https://example.org/v1</link>
<media:description type="plain">Chapters
00:00 start

https://example.org/v1/notes</media:description></item>
<item><title>RSS description</title><link>https://example.org/v2</link>
<description>No tags here
but HTML all the same</description></item>
</channel></rss>"""


def test_media_description_declared_plain_keeps_its_lines() -> None:
    plain, description = _articles(RSS)
    assert plain == (
        "<p>Chapters<br/>00:00 start</p>\n"
        '<p><a href="https://example.org/v1/notes">https://example.org/v1/notes</a></p>\n'
    )
    # RSS description is HTML even without tags (feedparser reports text/html): one paragraph.
    assert description == "<p>No tags here but HTML all the same</p>\n"
