"""The speed shortcuts give exactly what the code they skip gives.

- ``text.xhtml_word_count(x) == count_words(to_text(x))``; ``tree_word_count`` of the tree
  ``clean_html_tree`` serialised == ``xhtml_word_count`` of its XHTML (no second parse); and ``count_words`` (no regex but the
  CJK one: non-ASCII characters stand in as ASCII of their class) == the regex count;
- ``codeblocks.code_text`` (libxml2's text when nothing needs the walk) == the walk;
- ``clean._web_url`` (a plain absolute address as it is) == ``htmlrules.safe_url``;
- ``feed.plain_entry`` (an entry read once into plain dicts) reads as feedparser's entry;
- ``pages.article_page`` (the page and its content parsed as one) == the page made with a
  placeholder that the separately parsed content replaces.

Checked over the example, seed and practice feeds, the conversion goldens, the benchmark corpus
and generated input.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feed2book.clean import codeblocks
from feed2book.clean import html as clean
from feed2book.clean.html import clean_html, clean_html_tree
from feed2book.clean.rules import safe_url
from feed2book.convert.text import count_words, to_text, tree_word_count, xhtml_word_count
from feed2book.group import group_articles
from feed2book.parse._fast import feed as fastfeed
from feed2book.parse.feed import parse_source, plain_entry
from feed2book.sources.fetch import Fetched
from feed2book.writers.epub import pages
from feed2book.writers.epub.plan import BookPlan, Chapter, make_plan
from feed2book.xhtml.content import externalise_remote_media, fix_references, parse_fragment
from tests.conftest import DATA, EXAMPLES, PRACTICE, REPO, SEEDS

sys.path.insert(0, str(REPO / "benchmarks"))
import corpus as bench

# count_words before the ASCII shortcut, as it was.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
_WORD = re.compile(r"\w+(?:['’.\-]\w+)*")


def regex_count(text: str) -> int:
    ideographs = len(_CJK.findall(text))
    return ideographs + len(_WORD.findall(_CJK.sub(" ", text) if ideographs else text))


def walked_code_text(pre: etree._Element) -> str:
    parts: list[str] = []
    codeblocks._collect(pre, parts)
    return "".join(parts)


def feed_html() -> Iterator[tuple[str, str | None]]:
    """(HTML, base URL) of every entry of every feed at hand, and the conversion goldens."""
    feeds = [*EXAMPLES.glob("*.xml"), *EXAMPLES.glob("*.atom")]
    feeds += sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    feeds += sorted(PRACTICE.glob("*.xml")) + sorted(PRACTICE.glob("*.rss"))
    documents = [path.read_bytes() for path in feeds] + [bench.make_feed(40)]
    for data in documents:
        for entry in fastfeed.parse(data).entries:
            for content in entry.get("content") or []:
                yield content.get("value", ""), entry.get("link")
            yield entry.get("summary", ""), entry.get("link")
    for path in sorted((DATA / "html").glob("*.html")):
        yield path.read_text(encoding="utf-8"), "https://example.com/post/"


HTML = list(feed_html())
XHTML = [clean_html(html, base_url=base) for html, base in HTML]


def test_there_is_plenty_to_compare() -> None:
    goldens = len(list((DATA / "html").glob("*.html")))
    # The examples and the generated benchmark feed always; the seeds and practice feeds add
    # a few hundred entries when ../shared is present.
    assert len(HTML) > goldens + 40
    if SEEDS.is_dir() and PRACTICE.is_dir():
        assert len(HTML) > goldens + 400


def test_word_counts_are_the_same() -> None:
    for xhtml in XHTML:
        if "<math" in xhtml:
            # A formula counts its visible text; the plain text carries its TeX instead.
            continue
        assert xhtml_word_count(xhtml) == count_words(to_text(xhtml)) == regex_count(to_text(xhtml))


_HTML_PIECES = st.sampled_from(
    ["<p>", "</p>", "<ol start='3'>", "<ul>", "<li>", "</li>", "</ol>", "</ul>", "<br>", "<hr>",
     "<table><tr><td>", "</td><td>", "</td></tr></table>", "<caption>c</caption>", "<pre>",
     "</pre>", "<em>", "</em>", "<h2>", "</h2>", "<blockquote>", "</blockquote>", "<dl><dt>",
     "</dt><dd>", "</dd></dl>", "<figure><figcaption>", "</figcaption></figure>", "<code>",
     "</code>", "<a href='https://x.example/'>", "</a>", "<!-- c -->", " ", "\n", "-", ".",
     "'", "’", "1.", "a", "B_c", "d-e", "f.g", "語", "の", "é", "x’y", "\u00a0", "\t"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_HTML_PIECES, max_size=40).map("".join))
def test_word_counts_are_the_same_for_generated_html(html: str) -> None:
    xhtml = clean_html(html)
    assert xhtml_word_count(xhtml) == count_words(to_text(xhtml)) == regex_count(to_text(xhtml))


def test_the_cleaners_tree_counts_as_its_xhtml() -> None:
    # Every entry at hand, formulas included: the tree is what the XHTML says, word for word.
    for (html, base), xhtml in zip(HTML, XHTML, strict=True):
        cleaned, tree = clean_html_tree(html, base_url=base)
        assert cleaned == xhtml
        assert tree_word_count(tree) == xhtml_word_count(xhtml)


_TREE_PIECES = _HTML_PIECES | st.sampled_from(
    ["<math><mi>x</mi><mo>+</mo><mn>12</mn></math>", "&#13;", "\r\n", "<div>", "</div>",
     "<p>a<br>b</p>", "<ruby>漢<rt>kan</rt></ruby>", "<script>x y</script>", "<h5>", "</h5>"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_TREE_PIECES, max_size=40).map("".join))
def test_the_cleaners_tree_counts_as_its_xhtml_for_generated_html(html: str) -> None:
    xhtml, tree = clean_html_tree(html)
    assert xhtml == clean_html(html)
    assert tree_word_count(tree) == xhtml_word_count(xhtml)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ9_.-'’ ,\n\t|x語é\u00a0")), max_size=60))
def test_count_words_matches_the_regex(text: str) -> None:
    assert count_words(text) == regex_count(text)


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=80))
def test_count_words_matches_the_regex_in_any_script(text: str) -> None:
    # Non-ASCII text is counted by replacing each character with an ASCII one of its class:
    # letters and digits of every script, marks, symbols, emoji, CJK mixed with the rest.
    assert count_words(text) == regex_count(text)


@pytest.mark.parametrize(
    "text",
    ["Привет, мир’s ответ", "٣ كتب و٤ أقلام", "naïve café—it’s 5.1-ish 🚀🚀", "日本語とEnglish’s"],
)
def test_count_words_matches_the_regex_on_real_scripts(text: str) -> None:
    assert count_words(text) == regex_count(text)


def test_code_text_is_the_walk() -> None:
    parser = etree.HTMLParser(remove_comments=True, no_network=True, default_doctype=False)
    compared = 0
    for html, _ in HTML:
        if not html.strip():
            continue
        document = etree.fromstring("<body>" + html, parser)
        if document is None:
            continue
        for element in document.iter("pre", "code", "td", "figure"):
            assert codeblocks.code_text(element) == walked_code_text(element)
            compared += 1
    assert compared > 500


_CODE_PIECES = st.sampled_from(
    ["<span class='k'>def</span>", "<span class='gutter'>1</span>", "<br>", "<br/>", "x = 1",
     "\n", "<span class='lineno'>2 </span>", "<b>", "</b>", "<span class='line-numbers'>",
     "</span>", "<span class='n'>", "&lt;", "<td class='ln'>9</td>", "  "]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_CODE_PIECES, max_size=20).map("".join))
def test_code_text_is_the_walk_for_generated_code(code: str) -> None:
    parser = etree.HTMLParser(remove_comments=True, no_network=True, default_doctype=False)
    document = etree.fromstring(f"<body><pre>{code}</pre>", parser)
    pre = document.find(".//pre")
    assert pre is not None
    assert codeblocks.code_text(pre) == walked_code_text(pre)


_URL_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "//", "a.com", "b", "X", "0", "-", ".", "_", "~", "%20",
     "!", "$", "&", "'", "(", "*", "+", ",", "=", ":", "@", "/", "?", "#", ";", "[", "]", " ",
     "\t", "\x7f", "\u00a0", "é", "javascript:", "data:image/png;base64,AA==", "mailto:x@y"]
)  # fmt: skip
_BASES = st.sampled_from(
    [None, "https://dev.to/x/y", "http://example.com/a/b?c#d", "https://example.com", "ftp://x/"]
)


def _outcome(function: object, *args: object, **kwargs: object) -> object:
    try:
        return function(*args, **kwargs)  # type: ignore[operator]
    except ValueError as error:  # safe_url lets urljoin's "Invalid IPv6 URL" through
        return ("ValueError", str(error))


@settings(max_examples=2000, deadline=None)
@given(st.lists(_URL_PIECES, max_size=10).map("".join), _BASES, st.booleans())
def test_web_url_is_safe_url(raw: str, base: str | None, image: bool) -> None:
    expected = _outcome(safe_url, raw, base, image=image)
    assert _outcome(clean._web_url, raw, base, image=image) == expected


def test_web_url_is_safe_url_for_every_link_at_hand() -> None:
    for html, base in HTML:
        for href in re.findall(r"""(?:href|src)=["']([^"']*)""", html):
            for image in (False, True):
                assert clean._web_url(href, base, image=image) == safe_url(href, base, image=image)


def _page_as_before(plan: BookPlan, chapter: Chapter) -> bytes:
    """``pages.article_page`` as it was: the page with a placeholder, the content parsed on its
    own (``parse_fragment``) and put in the placeholder's place."""
    body = pages._article_header(chapter) + '\n<div class="article-body"/>'
    page = pages.xhtml_page(chapter.title, chapter.language, chapter.direction, body)
    root = etree.fromstring(page.encode())
    content = parse_fragment(chapter.article.content_html)
    externalise_remote_media(content)
    fix_references(content, plan.book_files, plan.articles_by_url, chapter.file_name)
    if chapter.direction == "rtl":
        pages.code_left_to_right(content)
    placeholder = root.find(".//{*}div[@class='article-body']")
    assert placeholder is not None
    content.set("class", "article-body")
    content.tail = placeholder.tail
    placeholder.getparent().replace(placeholder, content)  # type: ignore[union-attr]
    etree.cleanup_namespaces(root)
    return (pages._XML_HEAD + etree.tostring(root, encoding="unicode") + "\n").encode()


_PAGE_CONTENT = [
    *XHTML,
    "<p>a&nbsp;b</p>",  # an entity XML does not know: repaired by parse_fragment
    "<p>open <b>bold</p>",  # not well-formed
    "<p>a</p></div><hr/><div class='article-body'><p>b</p>",  # closes its <div> early
    "<p>a</p></div><div><p>b</p>",
    '<p><a epub:type="noteref" href="#n1">1</a></p><aside id="n1">note</aside>',
    "<p>x<!-- a comment --><?pi y?></p>",
    '<p xml:lang="fr" id="a">un</p><p id="a"><a href="#a">deux</a></p>',
    '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
    '<p><img src="https://example.com/a.png" alt="A"/> <a href="https://dev.to/x">x</a></p>',
    "",
]


def test_article_pages_are_the_pages_made_from_a_placeholder() -> None:
    # One parse of the page with its content gives the bytes the placeholder way gave, for
    # every entry at hand, content that is not clean, and a right-to-left page.
    articles = parse_source(Fetched("feed.xml", (EXAMPLES / "devto-priya-raman.xml").read_bytes()))
    plan = make_plan(group_articles(articles.articles).books[0], None, {})
    chapter = plan.chapters[0]
    for direction in ("ltr", "rtl"):
        for content in _PAGE_CONTENT:
            article = replace(chapter.article, content_html=content)
            made = replace(chapter, article=article, direction=direction)
            assert pages.article_page(plan, made) == _page_as_before(plan, made), content


# What parse.feed reads of an entry, and of the details it holds.
_ENTRY_KEYS = (
    "link", "id", "title", "content", "summary", "summary_detail", "title_detail", "author",
    "authors", "tags", "enclosures", "media_content", "itunes_duration", "published_parsed",
)  # fmt: skip
_DETAIL_KEYS = ("value", "base", "type", "language", "name", "term", "label", "href", "length")


def _feed_documents() -> list[bytes]:
    feeds = [*EXAMPLES.glob("*.xml"), *EXAMPLES.glob("*.atom")]
    feeds += [path for path in sorted((DATA / "feeds").iterdir()) if path.suffix != ".json"]
    feeds += sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    feeds += sorted(PRACTICE.glob("*.xml")) + sorted(PRACTICE.glob("*.rss"))
    return [path.read_bytes() for path in feeds] + [bench.make_feed(40)]


def test_plain_entries_read_as_feedparsers() -> None:
    # Read by the fast reader and by feedparser itself (the fallback for other feeds): every key
    # parse.feed reads gives the same value, and updated_parsed the feed's own one.
    import feedparser

    compared = 0
    for data in _feed_documents():
        fast = fastfeed.parse(data).entries
        slow = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False).entries
        for entry in [*fast, *slow]:
            plain = plain_entry(entry)
            assert type(plain) is dict
            for key in _ENTRY_KEYS:
                assert plain.get(key) == entry.get(key), key
            assert plain.get("updated_parsed") == dict.get(entry, "updated_parsed")
            for key in ("content", "authors", "tags"):
                for mine, theirs in zip(plain.get(key) or [], entry.get(key) or [], strict=True):
                    assert type(mine) is dict
                    assert [mine.get(k) for k in _DETAIL_KEYS] == [
                        theirs.get(k) for k in _DETAIL_KEYS
                    ]
            compared += 1
    assert compared > 100


def test_plain_entries_keep_enclosures_from_links() -> None:
    # feedparser computes "enclosures" from the links; a plain dict has to hold them.
    data = (
        b'<rss version="2.0"><channel><title>t</title><item><title>Episode</title>'
        b'<enclosure url="https://example.com/e.mp3" type="audio/mpeg" length="42"/>'
        b"</item></channel></rss>"
    )
    entry = fastfeed.parse(data).entries[0]
    enclosures = plain_entry(entry)["enclosures"]
    assert [(e["href"], e["type"], e["length"]) for e in enclosures] == [
        ("https://example.com/e.mp3", "audio/mpeg", "42")
    ]
