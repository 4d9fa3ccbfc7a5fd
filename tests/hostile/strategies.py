"""Hypothesis strategies for hostile feeds and HTML, and the checks every result must pass.

Used by ``test_properties.py`` (a few hundred examples in the normal suite) and by the long
fuzzing harness ``tests/fuzz/run.py``. A generated feed is RSS 2.0, Atom or JSON Feed built from
hypothesis data (titles, dates, authors, links, bodies with XSS vectors and soup), sometimes
broken on purpose (cut short, a bogus entity, a wrong encoding declaration); or bytes mutated from
the example feeds. ``check_source`` runs one through parsing and every writer and asserts what
must always hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from tests.hostile.xss import VECTORS

# --- text -------------------------------------------------------------------------------------

NASTY_CHARACTERS = list(
    "ab <>&\"'*_#-1.|`[]{}:!?%~\n\t\r \u00a0\u2028\u202e\u200f\u200b\ufeff\ufffd"
    "\x00\x01\x0b\x1b\x7f\x85\u4e2d\u0627\u05d0\u00e9\U0001f600\ud7ff"
)
WORDS = ["CON", "---", "yes", "null", "&amp;", "&lt;script&gt;", "]]>", "../", "javascript:",
         "alert(1)", "${x}", "{{y}}", "&#0;", "&#x1b;", "&nbsp;", "&bogus;", "<![CDATA[", "-->"]  # fmt: skip

text_values = st.one_of(
    st.text(alphabet=st.sampled_from(NASTY_CHARACTERS), max_size=40),
    st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join),
    st.text(max_size=30),
)

TAGS = [
    "p", "div", "span", "a", "b", "i", "em", "code", "pre", "ul", "ol", "li", "table", "tr",
    "td", "th", "thead", "h1", "h2", "h4", "blockquote", "figure", "figcaption", "img", "br",
    "hr", "iframe", "script", "style", "svg", "math", "object", "form", "input", "dl", "dt",
    "dd", "details", "summary", "video", "source", "picture", "base", "meta", "template",
    "noscript", "sup", "ruby", "rt", "font", "center", "x-custom", "caption", "tbody", "col",
]  # fmt: skip
ATTRIBUTES = [
    'href="javascript:alert(1)"', "href=' JaVa\tScRiPt:alert(1)'", 'src="javascript:alert(1)"',
    "onclick=alert(1)", "onerror='alert(1)'", 'style="background:url(javascript:alert(1))"',
    'href="#x"', 'id="x"', 'id="1 2"', 'name="x"', 'href="/relative"', 'href="//cdn.example/x"',
    'src="data:text/html,<script>alert(1)</script>"', 'src="data:image/png;base64,iVBORw0KGgo="',
    'srcset="javascript:alert(1) 1x, https://ok.example/a.png 2x"', 'class="highlight python"',
    'colspan="3"', 'colspan="-1"', 'rowspan="99999"', 'dir="rtl"', 'lang="zh-Hant"',
    'width="1" height="1"', 'xlink:href="javascript:alert(1)"', 'data-src="https://ok.example/b.png"',
    'href="data:text/html;base64,PHNjcmlwdD4="', "hidden", 'xml:base="javascript:x//"',
    'src="https://ok.example/a.png"', 'href="https://ok.example/page"', 'alt="<b>"', "title=\"'\"",
]  # fmt: skip


@st.composite
def html_soup(draw: st.DrawFn, max_parts: int = 30) -> str:
    """Tag soup: opening and closing tags in any order, attributes, text, XSS vectors."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, max_parts))):
        kind = draw(st.integers(0, 9))
        if kind <= 2:
            tag = draw(st.sampled_from(TAGS))
            attributes = draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3))
            parts.append(f"<{tag} {' '.join(attributes)}>".replace(" >", ">"))
        elif kind <= 4:
            parts.append(f"</{draw(st.sampled_from(TAGS))}>")
        elif kind == 5:
            parts.append(draw(st.sampled_from(VECTORS)))
        elif kind == 6:
            depth = draw(st.integers(1, 120))
            tag = draw(st.sampled_from(["div", "blockquote", "ul", "span", "table", "b", "li"]))
            parts.append(f"<{tag}>" * depth)
        else:
            parts.append(draw(text_values))
    return "".join(parts)


# --- feeds ------------------------------------------------------------------------------------

DATES = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S +0000")),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda moment: moment.isoformat() + "Z"
    ),
    st.sampled_from(
        [
            "",
            "yesterday",
            "0000-00-00",
            "2026-13-45T99:99:99Z",
            "Mon, 32 Foo 2026",
            "1e308",
            "-1",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+14:00",
        ]
    ),
)
LINKS = st.one_of(
    st.sampled_from(
        [
            "https://ok.example/post",
            "http://ok.example/a?b=1#c",
            "/relative/path",
            "javascript:alert(1)",
            "  https://ok.example/spaced  ",
            "mailto:x@y",
            "https://dev.to/some_user/a-post-1a2b",
            "http://[::1/broken",
            "",
            "//x.example/y",
            "https://ok.example/" + "x" * 300,
        ]
    ),
    st.text(max_size=20),
)


def _body(html: str, style: str) -> str:
    """``html`` as an RSS element's content: escaped, in CDATA, or as raw (invalid) markup."""
    if style == "cdata":
        return "<![CDATA[" + html.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    if style == "raw":
        return html
    return xml_escape(html)


def _xml_text(value: str) -> str:
    return xml_escape(value)


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    fields = []
    if draw(st.booleans()):
        fields.append(f"<title>{_xml_text(draw(text_values))}</title>")
    if draw(st.booleans()):
        fields.append(f"<link>{_xml_text(draw(LINKS))}</link>")
    if draw(st.booleans()):
        fields.append(f"<guid>{_xml_text(draw(LINKS))}</guid>")
    if draw(st.booleans()):
        fields.append(f"<pubDate>{_xml_text(draw(DATES))}</pubDate>")
    if draw(st.booleans()):
        fields.append(f"<author>{_xml_text(draw(text_values))}</author>")
    for _ in range(draw(st.integers(0, 3))):
        fields.append(f"<category>{_xml_text(draw(text_values))}</category>")
    style = draw(st.sampled_from(["escaped", "cdata", "raw"]))
    element = draw(st.sampled_from(["description", "content:encoded"]))
    fields.append(f"<{element}>{_body(draw(html_soup()), style)}</{element}>")
    if draw(st.booleans()):
        fields.append(f"<enclosure url={quoteattr(draw(LINKS))} type='audio/mpeg' length='x'/>")
    return "<item>" + "".join(draw(st.permutations(fields))) + "</item>"


@st.composite
def rss_feed(draw: st.DrawFn) -> bytes:
    items = "".join(draw(st.lists(rss_item(), max_size=6)))
    channel = (
        f"<title>{_xml_text(draw(text_values))}</title><link>{_xml_text(draw(LINKS))}</link>"
        f"<language>{_xml_text(draw(st.sampled_from(['en', 'fr-FR', 'ar', 'xx_yy', 'English', ''])))}</language>"
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"{channel}{items}</channel></rss>"
    )
    return draw(_damaged(document))


@st.composite
def atom_feed(draw: st.DrawFn) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["html", "xhtml", "text"]))
        html = draw(html_soup())
        if kind == "xhtml":
            content = f'<div xmlns="http://www.w3.org/1999/xhtml">{draw(html_soup(10))}</div>'
        else:
            content = xml_escape(html)
        base = draw(st.sampled_from(["", ' xml:base="javascript:alert(1)//"',
                                     ' xml:base="https://ok.example/dir/"', ' xml:lang="he"']))  # fmt: skip
        entries.append(
            f"<entry{base}><title>{_xml_text(draw(text_values))}</title>"
            f"<id>{_xml_text(draw(LINKS))}</id><updated>{_xml_text(draw(DATES))}</updated>"
            f"<link href={quoteattr(draw(LINKS))}/>"
            f"<author><name>{_xml_text(draw(text_values))}</name></author>"
            f'<content type="{kind}">{content}</content></entry>'
        )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{_xml_text(draw(text_values))}</title><id>urn:x</id>{''.join(entries)}</feed>"
    )
    return draw(_damaged(document))


@st.composite
def _damaged(draw: st.DrawFn, document: str) -> bytes:
    """Usually the document as it is; sometimes cut, re-encoded wrongly or given a bogus entity."""
    damage = draw(st.sampled_from(["none"] * 6 + ["cut", "latin-1", "entity", "utf-16", "dtd"]))
    data = document.encode("utf-8", errors="surrogatepass")
    if damage == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if damage == "latin-1":
        return document.encode("latin-1", errors="replace")
    if damage == "entity":
        return data.replace(b"</title>", b"&bogus;&#0;&#x110000;</title>", 1)
    if damage == "utf-16":
        return document.encode("utf-16", errors="surrogatepass")
    if damage == "dtd":
        dtd = b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        return data.replace(b"?>\n", b"?>\n" + dtd, 1)
    return data


@st.composite
def json_feed(draw: st.DrawFn) -> bytes:
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | text_values,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(["name", "url", "x"]), children, max_size=3)
        ),
        max_leaves=6,
    )
    items = []
    for _ in range(draw(st.integers(0, 5))):
        item: dict[str, Any] = {
            "id": draw(st.one_of(text_values, json_values)),
            "title": draw(st.one_of(text_values, json_values)),
            "url": draw(st.one_of(LINKS, json_values)),
            "date_published": draw(st.one_of(DATES, json_values)),
            "tags": draw(st.one_of(st.lists(text_values, max_size=3), json_values)),
            "authors": draw(
                st.one_of(st.lists(st.fixed_dictionaries({"name": text_values})), json_values)
            ),
        }
        if draw(st.booleans()):
            item["content_html"] = draw(html_soup())
        else:
            item["content_text"] = draw(st.one_of(text_values, json_values))
        items.append(item if draw(st.integers(0, 9)) else draw(json_values))
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": draw(st.one_of(text_values, json_values)),
        "home_page_url": draw(LINKS),
        "language": draw(st.one_of(st.sampled_from(["en", "de-DE", "??"]), json_values)),
        "items": items,
    }
    return json.dumps(document).encode()


EXAMPLE_FEEDS = [path.read_bytes() for path in sorted(EXAMPLES.iterdir()) if path.suffix != ".opml"]


@st.composite
def mutated_feed(draw: st.DrawFn, feeds: list[bytes]) -> bytes:
    """One of ``feeds`` with a few bytes flipped, removed, duplicated or inserted."""
    data = bytearray(draw(st.sampled_from(feeds)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.integers(0, 3))
        if action == 0 and data:
            data[position] = draw(st.integers(0, 255))
        elif action == 1:
            del data[position : position + draw(st.integers(1, 200))]
        elif action == 2:
            chunk = bytes(data[position : position + draw(st.integers(1, 200))])
            data[position:position] = chunk * draw(st.integers(1, 20))
        else:
            data[position:position] = draw(st.sampled_from([b"<", b"&", b"]]>", b"\x00", b"\xff",
                                                              b"<!DOCTYPE x [", b"&amp;#0;"]))  # fmt: skip
    return bytes(data)


def mutated_example() -> st.SearchStrategy[bytes]:
    return mutated_feed(EXAMPLE_FEEDS)


any_feed = st.one_of(
    rss_feed(), atom_feed(), json_feed(), mutated_example(), st.binary(max_size=300)
)


# --- what must always hold ------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
Check = Callable[[bytes], None]
