"""The EPUB writer: structure, metadata, pages, content fix-ups, reproducibility, EPUBCheck.

Articles are built by hand here (``make_article``), so these tests do not depend on parsing.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from PIL import Image

from feed2book.models import Article, Author, Book, FeedInfo, Section, SeriesRef
from feed2book.writers.epub import build_epub
from tests.epubcheck_helper import assert_all_epubcheck_clean

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "epub": "http://www.idpf.org/2007/ops",
}
ALICE = Author("Alice Example", "alice")
BOB = Author("Bob Sample", "bob")
FEED = FeedInfo("Alice's Blog", "https://alice.example/feed.xml", "https://alice.example/")
OTHER_FEED = FeedInfo("Bob & Co", "https://bob.example/rss", "https://bob.example/")
START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

RICH_CONTENT = """\
<h2 id="intro">Intro</h2>
<p>Some <strong>text</strong> with a footnote<sup><a href="#fn1" id="ref1">1</a></sup>.</p>
<h3>Code</h3>
<pre><code>def f(x):
    return x &lt; 2 and "a" &amp; 'b'  # a very long line that must wrap on a small e-ink screen
</code></pre>
<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>
<ol><li id="fn1">The footnote. <a href="#ref1">back</a></li></ol>
"""


# --- factory -------------------------------------------------------------------------------


def make_article(number: int = 1, **changes: object) -> Article:
    """A plausible article; ``changes`` override any field."""
    article = Article(
        id=f"https://alice.example/posts/{number}",
        url=f"https://alice.example/posts/{number}",
        title=f"Post number {number}",
        authors=(ALICE,),
        published=START + timedelta(days=number),
        updated=None,
        tags=("python", "testing"),
        feed=FEED,
        language="en",
        content_html=f"<p>Body of post {number}.</p>",
        word_count=700,
    )
    return replace(article, **changes)  # type: ignore[arg-type]


def make_book(articles: list[Article] | tuple[Article, ...], **changes: object) -> Book:
    book = Book(
        key="author:alice",
        title="Alice's posts",
        authors=(ALICE,),
        language="en",
        sections=(Section("", tuple(articles)),),
    )
    return replace(book, **changes)  # type: ignore[arg-type]


def jpeg(width: int = 60, height: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def read(epub: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        return archive.read(name)


def xml(epub: bytes, name: str) -> etree._Element:
    return etree.fromstring(read(epub, name))


def names(epub: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        return archive.namelist()


def article_file(article: Article) -> str:
    return "OEBPS/a-" + hashlib.sha1(article.id.encode()).hexdigest()[:12] + ".xhtml"


def text_of(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


# --- edge cases: every one is also checked by EPUBCheck ------------------------------------


def edge_case_books() -> dict[str, bytes]:
    two_sections = make_book(
        [],
        sections=(
            Section("Getting started", (make_article(1), make_article(2))),
            Section("Advanced <topics> & more", (make_article(3),)),
        ),
        series=SeriesRef("Rust & Friends", 2),
    )
    hostile_title = "Q&A: <script> \"quoted\" 'single' & more -- see <b>"
    return {
        "one article, cover": build_epub(make_book([make_article()]), cover_jpeg=jpeg()),
        "one article, no cover": build_epub(make_book([make_article()])),
        "sections and series": build_epub(two_sections, cover_jpeg=jpeg()),
        "empty tags, no authors, no updated": build_epub(
            make_book([make_article(1, tags=(), authors=()), make_article(2, tags=("", " "))])
        ),
        "rtl and cjk": build_epub(
            make_book(
                [
                    make_article(
                        1, language="ar", title="مرحبا بالعالم", content_html="<p>نص عربي</p>"
                    ),
                    make_article(2, language="he-IL", title="שלום", content_html="<p>טקסט</p>"),
                    make_article(
                        3, language="ja", title="日本語の記事", content_html="<p>本文です。</p>"
                    ),
                    make_article(
                        4, language="zh-hant-tw", title="中文", content_html="<p>內容</p>"
                    ),
                ]
            )
        ),
        "rtl book": build_epub(
            make_book([make_article(1, language="fa")], language="fa", title="کتاب"),
            cover_jpeg=jpeg(),
        ),
        "iframe-turned-link only": build_epub(
            make_book(
                [
                    make_article(
                        content_html='<p><a href="https://www.youtube.com/watch?v=x">Video</a></p>'
                    )
                ]
            )
        ),
        "hostile titles": build_epub(
            make_book(
                [make_article(1, title=hostile_title, tags=("a&b", "<c>"))],
                title=hostile_title,
                authors=(Author('O\'Brien & "Sons" <x>', "obrien"),),
                subtitle="1 < 2 & 3 > 2",
            ),
            cover_jpeg=jpeg(),
        ),
        "rich content": build_epub(make_book([make_article(1, content_html=RICH_CONTENT)])),
        "messy content": build_epub(make_book([make_article(1, content_html=MESSY_CONTENT)])),
        "garbage language": build_epub(
            make_book([make_article(1, language="klingon!!")], language="english")
        ),
        "images as resources": build_epub(
            make_book(
                [make_article(1, content_html='<p><img src="images/one.jpg" alt="One"/></p>')]
            ),
            resources={"images/one.jpg": ("image/jpeg", jpeg(20, 20))},
        ),
        "other feed, updated": build_epub(
            make_book(
                [
                    make_article(1, feed=OTHER_FEED, authors=(BOB,), updated=START + timedelta(90)),
                    make_article(2),
                ],
                authors=(),
            )
        ),
    }


MESSY_CONTENT = """\
<p>Remote <img src="https://cdn.example/a.png" alt="a chart"/> and
<img src="//cdn.example/b.png"/> and <a href="https://x.example/"><img src="https://c/d.png"/></a></p>
<picture><source srcset="https://cdn.example/c.webp"/><img src="https://cdn.example/c.jpg"/></picture>
<p><img alt="no src"/><img src=""/><img src="missing/local.png" alt="gone"/></p>
<p><a href="#nowhere">dangling</a> <a href="page.html">relative</a> <a href="javascript:x()">js</a></p>
<p id="1st">bad id</p><p id="dup">one</p><p id="dup">two</p><a name="old">named</a>
<p><a href="#1st">to bad id</a> <a href="//proto.example/">protocol-relative</a></p>
"""


def test_edge_cases_pass_epubcheck() -> None:
    assert_all_epubcheck_clean(edge_case_books())


@pytest.mark.slow
def test_500_article_book_passes_epubcheck() -> None:
    articles = [
        make_article(n, content_html=RICH_CONTENT if n % 50 == 0 else f"<p>Post {n}.</p>")
        for n in range(500)
    ]
    sections = tuple(
        Section(f"Month {month}", tuple(articles[month * 50 : (month + 1) * 50]))
        for month in range(10)
    )
    epub = build_epub(make_book(articles, sections=sections), cover_jpeg=jpeg())
    assert len([n for n in names(epub) if n.startswith("OEBPS/a-")]) == 500
    assert_all_epubcheck_clean({"500 articles": epub})
