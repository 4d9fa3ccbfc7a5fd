"""The EPUB writer: structure, metadata, pages, content fix-ups, reproducibility, EPUBCheck.

Articles are built by hand here (``make_article``), so these tests do not depend on parsing.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import uuid
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from feed2book.lang.tags import normalise_language, text_direction
from feed2book.models import Article, Author, Book, FeedInfo, Section, SeriesRef
from feed2book.writers.epub.book import build_epub, externalise_remote_images
from feed2book.xhtml.content import fix_references, parse_fragment, serialise_fragment
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


def text_of(element: etree._Element | None) -> str:
    assert element is not None
    return " ".join("".join(str(text) for text in element.itertext()).split())


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
                    make_article(2, content_html=f'<p><a href="{make_article(1).url}#x">1</a></p>'),
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
<p><a href="#nowhere">dangling</a> <a href="page.html">relative</a>
<a href="javascript:x()">js</a></p>
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


def test_cleaned_real_world_html_passes_epubcheck() -> None:
    """The contract with the clean stage: whatever ``clean_html`` returns makes a valid book."""
    clean = pytest.importorskip("feed2book.clean")
    raw = [
        '<p>Hi<iframe src="https://www.youtube.com/embed/abc"></iframe></p>',
        '<div><h1>Title</h1><img src="/pic.png" srcset="/a.png 1x, /b.png 2x"><p>x<p>y</div>',
        "<table><tr><td>1<td>2</table><pre>a -- b\n\tc</pre><!-- a -- comment -->",
        '<p><a href="#fn:1" id="fnref:1">1</a></p><div class="footnotes"><p id="fn:1">n</p></div>',
        "<ul><li>one<li>two &nbsp; &copy; &#x1F600;</ul><script>alert(1)</script>",
    ]
    articles = [
        make_article(n, content_html=clean.clean_html(html, "https://alice.example/posts/"))
        for n, html in enumerate(raw)
    ]
    assert_all_epubcheck_clean({"cleaned": build_epub(make_book(articles))})


# --- container and reproducibility ---------------------------------------------------------


UTF8_DECLARATION = re.compile(rb"""<\?xml version=(["'])1\.0\1 encoding=(["'])(?i:utf-8)\2\?>""")


def test_container_layout() -> None:
    epub = build_epub(make_book([make_article(1), make_article(2)]), cover_jpeg=jpeg())
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "mimetype"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert infos[0].extra == b""
        assert archive.read("mimetype") == b"application/epub+zip"
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {(info.create_system, info.external_attr >> 16) for info in infos} == {
            (3, 0o100644)  # Unix, a regular file, rw-r--r--
        }
        assert len({info.filename for info in infos}) == len(infos)
        for info in infos:
            if info.filename.endswith((".opf", ".xhtml", ".ncx", ".xml")):
                # ours say "UTF-8"; ebooklib's container.xml and OPF 'utf-8', quoted its way
                assert UTF8_DECLARATION.match(archive.read(info)), info.filename
    container = xml(epub, "META-INF/container.xml")
    rootfile = container.find(".//{*}rootfile")
    assert rootfile is not None
    assert rootfile.get("full-path") == "OEBPS/content.opf"


def test_compressed_images_are_stored_and_text_is_deflated() -> None:
    resources = {
        "images/a.jpg": ("image/jpeg", jpeg()),
        "images/b.svg": ("image/svg+xml", b"<svg/>"),
    }
    epub = build_epub(make_book([make_article()]), cover_jpeg=jpeg(), resources=resources)
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        methods = {info.filename: info.compress_type for info in archive.infolist()}
    stored = {name for name, method in methods.items() if method == zipfile.ZIP_STORED}
    assert stored == {"mimetype", "OEBPS/cover.jpg", "OEBPS/images/a.jpg"}
    assert methods["OEBPS/images/b.svg"] == methods["OEBPS/content.opf"] == zipfile.ZIP_DEFLATED


def test_same_inputs_build_identical_bytes() -> None:
    def build() -> bytes:
        articles = [make_article(n, content_html=MESSY_CONTENT) for n in range(5)]
        resources = {"images/b.png": ("image/png", b"png"), "images/a.jpg": ("image/jpeg", jpeg())}
        return build_epub(make_book(articles), cover_jpeg=jpeg(), resources=resources)

    first, second = build(), build()
    assert first == second


def test_article_file_names_are_stable_when_articles_are_added() -> None:
    old = build_epub(make_book([make_article(1), make_article(2)]))
    new = build_epub(make_book([make_article(0), make_article(1), make_article(2)]))
    assert article_file(make_article(1)) in names(old)
    assert read(old, article_file(make_article(1))) == read(new, article_file(make_article(1)))


def test_duplicate_article_ids_get_distinct_files() -> None:
    epub = build_epub(make_book([make_article(1), make_article(1, title="Again")]))
    files = [name for name in names(epub) if name.startswith("OEBPS/a-")]
    assert files == [article_file(make_article(1)), article_file(make_article(1))[:-6] + "-2.xhtml"]


def test_book_without_articles_is_refused() -> None:
    with pytest.raises(ValueError, match="no articles"):
        build_epub(make_book([]))


def test_unreadable_cover_is_refused() -> None:
    with pytest.raises(ValueError, match="cover"):
        build_epub(make_book([make_article()]), cover_jpeg=b"not an image")


@pytest.mark.parametrize("name", ["../evil.jpg", "/abs.jpg", "content.opf", "a b.jpg", ""])
def test_unsafe_resource_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="resource name"):
        build_epub(make_book([make_article()]), resources={name: ("image/jpeg", b"x")})


# --- metadata --------------------------------------------------------------------------------


def opf(epub: bytes) -> etree._Element:
    return xml(epub, "OEBPS/content.opf")


def test_opf_metadata() -> None:
    articles = [
        make_article(1, tags=("Python", "web")),
        make_article(2, tags=("python",), updated=START + timedelta(days=30)),
        make_article(3, feed=OTHER_FEED, tags=()),
    ]
    book = make_book(articles, authors=(ALICE, BOB), series=SeriesRef("Deep Dives", 3))
    package = opf(build_epub(book, cover_jpeg=jpeg()))
    metadata = package.find("opf:metadata", NS)
    assert metadata is not None

    def texts(path: str) -> list[str]:
        return [element.text or "" for element in metadata.findall(path, NS)]

    expected_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'feed2book:author:alice')}"
    assert texts("dc:identifier") == [expected_id]
    assert package.get("unique-identifier") == metadata.find("dc:identifier", NS).get("id")  # type: ignore[union-attr]
    assert texts("dc:title") == ["Alice's posts"]
    assert texts("dc:creator") == ["Alice Example", "Bob Sample"]
    assert texts("dc:language") == ["en"]
    assert texts("dc:date") == ["2024-03-04T09:30:00Z"]  # the newest article's date
    assert texts("opf:meta[@property='dcterms:modified']") == ["2024-03-31T09:30:00Z"]
    assert texts("dc:subject") == ["Python", "web"]  # most used first, first spelling kept
    assert texts("dc:publisher") == ["Alice's Blog; Bob & Co"]
    assert texts("dc:source") == [FEED.url, OTHER_FEED.url]
    metas = metadata.findall("opf:meta", NS)
    # ebooklib writes dcterms:modified first; the series pair follows it (calibre finds metas
    # by name, in any position)
    assert metas[0].get("property") == "dcterms:modified"
    assert [(m.get("name"), m.get("content")) for m in metas[1:3]] == [
        ("calibre:series", "Deep Dives"),
        ("calibre:series_index", "3"),
    ]
    collection = metadata.find("opf:meta[@property='belongs-to-collection']", NS)
    assert collection is not None
    assert collection.text == "Deep Dives"
    refines = {
        m.get("property"): m.text
        for m in metas
        if m.get("refines") == "#" + collection.get("id", "")
    }
    assert refines == {"collection-type": "series", "group-position": "3"}


def test_the_package_names_no_tool() -> None:
    """ebooklib packages the book; its generator <meta> is removed, so no entry names it."""
    epub = build_epub(make_book([make_article()]), cover_jpeg=jpeg())
    assert opf(epub).find("opf:metadata/opf:meta[@name='generator']", NS) is None
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        assert not [name for name in archive.namelist() if b"Ebook-lib" in archive.read(name)]


def test_metadata_keeps_values_with_characters_xml_forbids() -> None:
    """lxml refuses them and ebooklib would then drop the element silently: they are removed."""
    bell = "\x07"
    feed = FeedInfo(f"Bell{bell} feed", f"https://bell.example/{bell}feed", "")
    articles = [make_article(1, feed=feed, tags=(f"ta{bell}g",))]
    book = make_book(
        articles,
        title=f"Title{bell}",
        authors=(Author(f"Ann{bell} Bell", "ann"),),
        series=SeriesRef(f"Series{bell} name", 2),
    )
    metadata = opf(build_epub(book)).find("opf:metadata", NS)
    assert metadata is not None

    def texts(path: str) -> list[str]:
        return [element.text or "" for element in metadata.findall(path, NS)]

    assert texts("dc:title") == ["Title"]
    assert texts("dc:creator") == ["Ann Bell"]
    assert texts("dc:publisher") == ["Bell feed"]
    assert texts("dc:subject") == ["tag"]
    assert texts("dc:source") == ["https://bell.example/feed"]
    assert texts("opf:meta[@property='belongs-to-collection']") == ["Series name"]
    series = metadata.find("opf:meta[@name='calibre:series']", NS)
    assert series is not None
    assert series.get("content") == "Series name"


def test_identifier_is_stable_across_rebuilds_and_content() -> None:
    one = opf(build_epub(make_book([make_article(1)])))
    two = opf(build_epub(make_book([make_article(1), make_article(2)], title="Other")))
    path = "opf:metadata/dc:identifier"
    assert one.findtext(path, namespaces=NS) == two.findtext(path, namespaces=NS)


def test_cover_is_declared_both_ways_and_first_in_spine() -> None:
    package = opf(build_epub(make_book([make_article()]), cover_jpeg=jpeg()))
    cover_meta = package.find("opf:metadata/opf:meta[@name='cover']", NS)
    assert cover_meta is not None
    item = package.find(f"opf:manifest/opf:item[@id='{cover_meta.get('content')}']", NS)
    assert item is not None
    assert item.get("properties") == "cover-image"
    assert item.get("media-type") == "image/jpeg"
    spine = [ref.get("idref") for ref in package.findall("opf:spine/opf:itemref", NS)]
    first = package.find(f"opf:manifest/opf:item[@id='{spine[0]}']", NS)
    assert first is not None
    assert first.get("href") == "cover.xhtml"
    assert spine[1:3] == ["titlepage", "contents"]


def test_no_cover_means_no_cover_declarations() -> None:
    epub = build_epub(make_book([make_article()]))
    assert b"cover" not in read(epub, "OEBPS/content.opf")
    assert "OEBPS/cover.xhtml" not in names(epub)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("en", "en"),
        ("en-US", "en-US"),
        ("en_us", "en-US"),
        ("EN-gb", "en-GB"),
        ("English", "en"),
        ("français", "fr"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("iw", "he"),
        ("ckb", "ckb"),
        ("en-US,en;q=0.9", "en-US"),
        ("garbage", "en"),
        ("klingon!!", "en"),
        ("", "en"),
        ("und", "en"),
        ("en-", "en"),
        ("en-x", "en"),
    ],
)
def test_language_normalisation(raw: str, expected: str) -> None:
    assert normalise_language(raw) == expected


@pytest.mark.parametrize(
    ("language", "direction"),
    [
        *[(rtl, "rtl") for rtl in ("ar", "he-IL", "fa", "ur", "yi", "ckb", "dv", "az-Arab")],
        *[(ltr, "ltr") for ltr in ("en", "ja", "zh-Hant-TW", "sd-Latn", "ku")],
    ],
)
def test_text_direction(language: str, direction: str) -> None:
    assert text_direction(language) == direction


def test_book_language_is_normalised_everywhere() -> None:
    epub = build_epub(make_book([make_article(language="english")], language="english"))
    assert opf(epub).findtext("opf:metadata/dc:language", namespaces=NS) == "en"
    assert xml(epub, article_file(make_article()).replace("OEBPS/", "OEBPS/")).get("lang") == "en"


# --- navigation ------------------------------------------------------------------------------


def nav_items(epub: bytes) -> list[tuple[int, str]]:
    """(depth, title) for each entry of the nav TOC."""
    nav = xml(epub, "OEBPS/nav.xhtml").find(".//x:nav[@epub:type='toc']", NS)
    assert nav is not None
    return [
        (
            len([a for a in li.iterancestors() if a.tag == f"{{{NS['x']}}}ol"]),
            text_of(li.find("x:a", NS)),
        )
        for li in nav.iter(f"{{{NS['x']}}}li")
    ]


def test_single_section_gives_a_flat_nav() -> None:
    epub = build_epub(make_book([make_article(1), make_article(2)]))
    assert nav_items(epub) == [(1, "Post number 1"), (1, "Post number 2")]
    book = make_book([], sections=(Section("Only", (make_article(1),)),))
    assert nav_items(build_epub(book)) == [(1, "Post number 1")]


def test_untitled_sections_give_a_flat_nav() -> None:
    sections = (Section("", (make_article(1),)), Section("", (make_article(2),)))
    epub = build_epub(make_book([], sections=sections))
    assert nav_items(epub) == [(1, "Post number 1"), (1, "Post number 2")]


def test_sections_give_a_nested_nav_and_ncx() -> None:
    sections = (
        Section("March", (make_article(1), make_article(2))),
        Section("April", (make_article(3),)),
    )
    epub = build_epub(make_book([], sections=sections))
    assert nav_items(epub) == [
        (1, "March"),
        (2, "Post number 1"),
        (2, "Post number 2"),
        (1, "April"),
        (2, "Post number 3"),
    ]
    ncx = xml(epub, "OEBPS/toc.ncx")
    points = list(ncx.iter(f"{{{NS['ncx']}}}navPoint"))
    labels = [p.findtext("ncx:navLabel/ncx:text", namespaces=NS) for p in points]
    assert labels == ["March", "Post number 1", "Post number 2", "April", "Post number 3"]
    order_by_target: dict[str, set[str]] = {}
    for point in points:
        src = point.find("ncx:content", NS).get("src")  # type: ignore[union-attr]
        order_by_target.setdefault(src or "", set()).add(point.get("playOrder") or "")
    assert all(len(orders) == 1 for orders in order_by_target.values())
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS).get("content") == "2"  # type: ignore[union-attr]
    uid = ncx.find("ncx:head/ncx:meta[@name='dtb:uid']", NS).get("content")  # type: ignore[union-attr]
    assert uid == opf(epub).findtext("opf:metadata/dc:identifier", namespaces=NS)


# --- pages -----------------------------------------------------------------------------------


def test_title_page() -> None:
    articles = [
        make_article(1, updated=START + timedelta(days=40)),
        make_article(9, feed=OTHER_FEED),
    ]
    book = make_book(articles, subtitle="Collected", series=SeriesRef("Deep Dives", 1.5))
    page = text_of(xml(build_epub(book), "OEBPS/title.xhtml"))
    for expected in [
        "Alice's posts",
        "Collected",
        "Deep Dives, book 1.5",
        "Alice Example",
        "2–10 March 2024",
        "2 articles",
        "Alice's Blog",
        "Bob & Co",
        "Made with feed2book",
    ]:
        assert expected in page
    assert "Built" not in page  # no build date: the clock may not enter a reproducible book


def test_a_series_of_one_book_shows_no_book_number() -> None:
    """A volume number only when there are volumes; the OPF keeps the index for readers'
    libraries. A series that is the book's own title is not repeated under it."""
    book = make_book(
        [make_article(1)],
        title="Deep Dives",
        subtitle="Days 1–4",
        series=SeriesRef("Deep Dives", 1),
    )
    epub = build_epub(book)
    page = text_of(xml(epub, "OEBPS/title.xhtml"))
    description = opf(epub).findtext("opf:metadata/dc:description", namespaces=NS) or ""
    assert "book 1" not in page and "book 1" not in description
    assert page.count("Deep Dives") == 2  # the <title> and the heading, no series line
    assert 'name="calibre:series_index" content="1"' in read(epub, "OEBPS/content.opf").decode()
    other = make_book([make_article(1)], series=SeriesRef("Deep Dives", 1))
    assert "Deep Dives" in text_of(xml(build_epub(other), "OEBPS/title.xhtml"))


def test_toc_page_lists_every_article_in_order() -> None:
    articles = [make_article(n, authors=(BOB,) if n == 2 else (ALICE,)) for n in range(1, 4)]
    epub = build_epub(make_book(articles))
    page = xml(epub, "OEBPS/toc.xhtml")
    links = [(a.get("href"), text_of(a)) for a in page.iter(f"{{{NS['x']}}}a")]
    assert links == [(article_file(a).removeprefix("OEBPS/"), a.title) for a in articles]
    assert "Bob Sample" in text_of(page)  # several authors: each entry names its author


def test_article_header() -> None:
    article = make_article(
        1,
        authors=(ALICE, BOB),
        updated=START + timedelta(days=5),
        tags=("python", "web"),
        word_count=2300,
        series=SeriesRef("Deep Dives", 2),
    )
    page = xml(build_epub(make_book([article])), article_file(article))
    body = page.find("x:body", NS)
    assert body is not None
    assert body.get("id") is None
    header = text_of(body)
    assert body.findtext("x:h1", namespaces=NS) == "Post number 1"
    for expected in [
        "Alice Example, Bob Sample",
        "2 Mar 2024 (updated 6 Mar 2024)",  # text_of folds the no-break spaces
        "10 min read",
        "Deep Dives, part 2",
        "Tags: python, web",
        "Body of post 1.",
    ]:
        assert expected in header
    original = [a for a in body.iter(f"{{{NS['x']}}}a") if a.get("href") == article.url]
    assert original and text_of(original[0]) == "alice.example"


def test_article_header_without_optional_parts() -> None:
    article = make_article(1, authors=(), tags=(), url="")
    body = xml(build_epub(make_book([article])), article_file(article)).find("x:body", NS)
    assert body is not None
    assert "Tags" not in text_of(body)
    assert "Original" not in text_of(body)


def test_hostile_titles_are_escaped() -> None:
    title = "A & B <c> \"d\" 'e'"
    epub = build_epub(make_book([make_article(title=title, tags=("<t>",))], title=title))
    assert opf(epub).findtext("opf:metadata/dc:title", namespaces=NS) == title
    assert xml(epub, article_file(make_article())).findtext("x:body/x:h1", namespaces=NS) == title
    assert text_of(xml(epub, "OEBPS/nav.xhtml").find(".//x:li", NS)) == title


def test_rtl_and_cjk_articles_carry_their_language_and_direction() -> None:
    arabic = make_article(1, language="ar", title="مرحبا")
    japanese = make_article(2, language="ja", title="記事")
    epub = build_epub(make_book([arabic, japanese]))
    arabic_page, japanese_page = xml(epub, article_file(arabic)), xml(epub, article_file(japanese))
    assert (arabic_page.get("lang"), arabic_page.get("dir")) == ("ar", "rtl")
    assert arabic_page.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    assert (japanese_page.get("lang"), japanese_page.get("dir")) == ("ja", None)
    entry = xml(epub, "OEBPS/nav.xhtml").find(".//x:li", NS)
    assert entry is not None
    assert (entry.get("lang"), entry.get("dir")) == ("ar", "rtl")
    assert opf(epub).find("opf:spine", NS).get("page-progression-direction") is None  # type: ignore[union-attr]


def test_rtl_book_reads_right_to_left() -> None:
    epub = build_epub(make_book([make_article(language="he")], language="he"))
    assert opf(epub).find("opf:spine", NS).get("page-progression-direction") == "rtl"  # type: ignore[union-attr]
    assert xml(epub, "OEBPS/title.xhtml").get("dir") == "rtl"


# --- content ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        (
            '<p><img src="https://x/a.png" alt="A chart"/></p>',
            '<p><a href="https://x/a.png">A chart</a></p>',
        ),
        (
            '<p><img src="http://x/a.png"/> tail</p>',
            '<p><a href="http://x/a.png">Image</a> tail</p>',
        ),
        ('<p><img src="//x/a.png"/></p>', '<p><a href="https://x/a.png">Image</a></p>'),
        (
            '<p><a href="https://y/"><img src="https://x/a.png"/></a></p>',
            '<p><a href="https://y/"><span>[Image]</span></a></p>',
        ),
        ('<p><img src="data:image/png;base64,AAAA" alt="dot"/></p>', "<p><span>[dot]</span></p>"),
        (
            '<p><img src="images/local.jpg" alt="kept"/></p>',
            '<p><img src="images/local.jpg" alt="kept"/></p>',
        ),
        (
            '<figure><picture><source srcset="https://x/a.webp"/><img src="https://x/a.jpg"/></picture></figure>',
            '<figure><a href="https://x/a.jpg">Image</a></figure>',
        ),
        (
            '<p><video src="https://x/v.mp4"></video></p>',
            '<p><a href="https://x/v.mp4">Video</a></p>',
        ),
        ("<p>no images</p>", "<p>no images</p>"),
        ("", ""),
    ],
)
def test_externalise_remote_images(fragment: str, expected: str) -> None:
    assert externalise_remote_images(fragment) == expected


def fixed(fragment: str, files: tuple[str, ...] = ()) -> str:
    root = parse_fragment(fragment)
    fix_references(root, files)
    return serialise_fragment(root)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<p id="a"><a href="#a">ok</a></p>', '<p id="a"><a href="#a">ok</a></p>'),
        ('<p><a href="#gone">x</a></p>', "<p><a>x</a></p>"),
        ('<p id="1x"><a href="#1x">x</a></p>', '<p id="id-1x"><a href="#id-1x">x</a></p>'),
        ('<p id="d">1</p><p id="d">2</p>', '<p id="d">1</p><p>2</p>'),
        ('<p><a name="n">x</a><a href="#n">y</a></p>', '<p><a id="n">x</a><a href="#n">y</a></p>'),
        ('<p><a href="other.html">x</a></p>', "<p><a>x</a></p>"),
        ('<p><a href="javascript:alert(1)">x</a></p>', "<p><a>x</a></p>"),
        ('<p><a href="mailto:a@b.c">x</a></p>', '<p><a href="mailto:a@b.c">x</a></p>'),
        ('<p><a href="images/x.jpg#frag">x</a></p>', '<p><a href="images/x.jpg">x</a></p>'),
        ('<p><img src="images/x.jpg"/></p>', '<p><img src="images/x.jpg" alt=""/></p>'),
        ("<p>a<img/>b</p>", "<p>ab</p>"),
        ('<p><img src="images/none.jpg" alt="gone"/></p>', "<p><span>[gone]</span></p>"),
    ],
)
def test_fix_references(fragment: str, expected: str) -> None:
    assert fixed(fragment, ("images/x.jpg",)) == expected


def test_content_that_is_not_well_formed_is_still_kept() -> None:
    assert fixed("<p>a &nbsp; b<br></p>") == "<p>a \xa0 b<br/></p>"


def test_book_never_references_remote_resources_or_body_ids() -> None:
    epub = build_epub(make_book([make_article(n, content_html=MESSY_CONTENT) for n in range(3)]))
    for name in names(epub):
        if not name.endswith(".xhtml"):
            continue
        page = xml(epub, name)
        for element in page.iter():
            assert not str(element.get("src", "")).startswith(("http", "//"))
            if element.tag == f"{{{NS['x']}}}img":
                assert element.get("src")
        assert page.find("x:body", NS).get("id") is None  # type: ignore[union-attr]
        assert b"<!--" not in read(epub, name)


def test_resources_are_packaged_and_kept_when_referenced() -> None:
    content = '<p><img src="images/one.jpg" alt="One"/><img src="images/two.jpg" alt="Two"/></p>'
    epub = build_epub(
        make_book([make_article(content_html=content)]),
        resources={"images/one.jpg": ("image/jpeg", jpeg(10, 10))},
    )
    assert "OEBPS/images/one.jpg" in names(epub)
    page = read(epub, article_file(make_article())).decode()
    assert '<img src="images/one.jpg" alt="One"/>' in page
    assert "images/two.jpg" not in page
    items = opf(epub).findall("opf:manifest/opf:item[@href='images/one.jpg']", NS)
    assert [item.get("media-type") for item in items] == ["image/jpeg"]


# --- calibre ---------------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("ebook-meta") is None, reason="calibre's ebook-meta is not installed"
)
def test_calibre_reads_the_metadata(tmp_path: Path) -> None:
    book = make_book(
        [make_article(1, tags=("python", "web")), make_article(2, tags=("python",))],
        title="Alice & friends",
        authors=(ALICE, BOB),
        language="de-DE",
        series=SeriesRef("Deep Dives", 4),
    )
    path = tmp_path / "book.epub"
    path.write_bytes(build_epub(book, cover_jpeg=jpeg()))
    output = subprocess.run(
        ["ebook-meta", str(path)], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in output.splitlines())
    )
    assert fields["Title"] == "Alice & friends"
    assert fields["Author(s)"] == "Alice Example & Bob Sample"
    assert fields["Series"] == "Deep Dives #4"
    assert fields["Tags"] == "python, web"
    assert fields["Languages"] == "deu"
    assert re.match(r"2024-03-03", fields["Published"])


def test_the_same_article_twice_is_listed_twice() -> None:
    article = make_article(1)
    book = make_book([], sections=(Section("One", (article,)), Section("Two", (article,))))
    epub = build_epub(book)
    entries = [title for _, title in nav_items(epub)]
    assert entries == ["One", "Post number 1", "Two", "Post number 1"]
    hrefs = {a.get("href") for a in xml(epub, "OEBPS/toc.xhtml").iter(f"{{{NS['x']}}}a")}
    assert len(hrefs) == 2


def test_links_to_articles_in_the_book_stay_in_the_book() -> None:
    target = make_article(2)
    linking = make_article(
        1,
        content_html=(
            '<p><a href="http://ALICE.example/posts/2/#part">in book</a>'
            ' <a href="https://alice.example/posts/99">elsewhere</a></p>'
        ),
    )
    epub = build_epub(make_book([linking, target]))
    page = xml(epub, article_file(linking))
    hrefs = [a.get("href") for a in page.iter(f"{{{NS['x']}}}a") if text_of(a) != "alice.example"]
    assert hrefs == [article_file(target).removeprefix("OEBPS/"), "https://alice.example/posts/99"]


@pytest.mark.parametrize(
    "broken",
    ["<p>a</p></div></body><body><p>b</p>", "<p>a<b>c</p></i>", "</html><html><p>x</p>"],
)
def test_a_fragment_that_is_not_well_formed_never_raises(broken: str) -> None:
    """``parse_fragment`` promises a div with the fragment's text whatever it is given: lxml.html
    asserts ("too many bodies") on a fragment that closes its body and opens another, and
    drops everything after a leading ``</html><html>``."""
    from feed2book.xhtml.content import parse_fragment

    div = parse_fragment(broken)
    assert div.tag == "{http://www.w3.org/1999/xhtml}div"
    text = "".join(div.itertext())
    assert all(word in text for word in "abcx" if word in broken.replace("<b>", ""))
