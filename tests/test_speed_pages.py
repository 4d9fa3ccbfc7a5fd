"""Article pages put together as text are the pages the tree made.

Most articles' content is a fragment lxml wrote (the cleaner's output) with nothing only a tree
can do: its page is assembled around it as text, without parsing it again. These tests hold
that shortcut to the tree's page, byte for byte, on real-world and golden articles, and check
that content lxml would write otherwise (or that needs a tree) still goes through the tree.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from feed2book import i18n
from feed2book.clean.html import clean_html
from feed2book.images.options import ImageMode
from feed2book.images.rewrite import unembedded
from feed2book.models import Article, Book, Section
from feed2book.parse import parse_source
from feed2book.sources.fetch import Fetched
from feed2book.writers.epub.pages import _page_from_tree, _page_without_tree, article_page
from feed2book.writers.epub.plan import BookPlan, make_plan
from feed2book.xhtml.content import fix_links_without_tree, well_formed, written_by_lxml
from tests.conftest import EXAMPLES, practice_files, seed_files
from tests.conversion_helpers import GOLDEN_BASE_URL, golden_cases
from tests.test_epub import make_article


def _plan(articles: list[Article]) -> BookPlan:
    return make_plan(Book("k", "Pages", (), "en", (Section("", tuple(articles)),)), None, {})


def _feed_articles(paths: list[Path]) -> list[Article]:
    articles: list[Article] = []
    for path in paths:
        if path.suffix == ".opml":
            continue  # a list of feeds, not a feed
        articles += parse_source(Fetched(str(path), path.read_bytes(), None, {}, True)).articles
    return articles


def _as_the_tree_makes_them(plan: BookPlan) -> int:
    """How many pages were made as text; each is asserted equal to the tree's page."""
    made_as_text = 0
    for chapter in plan.chapters:
        page = _page_without_tree(plan, chapter)
        if page is not None:
            made_as_text += 1
            assert page.encode() == _page_from_tree(plan, chapter), chapter.article.url
    return made_as_text


def test_pages_of_real_world_articles_are_the_trees() -> None:
    files = sorted(EXAMPLES.glob("*")) + seed_files() + practice_files()
    articles = _feed_articles([path for path in files if path.is_file()])
    # As a build with --images none shows them (images become text and links first), too.
    none = unembedded(ImageMode.NONE)
    shown = [replace(a, content_html=none(a.content_html)) for a in articles]
    for book in (articles, shown):
        made_as_text = _as_the_tree_makes_them(_plan(book))
        assert made_as_text > len(book) // 3  # the shortcut is really taken


def test_pages_of_the_golden_cases_are_the_trees() -> None:
    articles = [
        make_article(number, title=case.stem, content_html=clean_html(case.read_text(), base))
        for number, case in enumerate(golden_cases(), start=1)
        for base in (GOLDEN_BASE_URL,)
    ]
    rtl = [replace(article, language="ar") for article in articles[:20]]
    for book in (articles, rtl):
        assert _as_the_tree_makes_them(_plan(book)) > 0


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("<p>a &quot;b&quot;</p>", "a quote escaped in text"),
        ("<p>it&#x27;s</p>", "a character reference lxml does not write"),
        ("<p>a<br />b</p>", "a space before />"),
        ("<p>a</p><p></p>", "an empty element in two tags"),
        ("<p class='x'>a</p>", "an attribute in single quotes"),
        ('<p\nclass="x">a</p>', "a line break inside a tag"),
        ("<p>a<!-- note --></p>", "a comment"),
        ("<p><![CDATA[a < b]]></p>", "CDATA"),
        ("<p>a\r\nb</p>", "a raw carriage return"),
        ("<p>an unclosed paragraph", "not well-formed: a damaged library record"),
        ("<p><b>crossed</p></b>", "not well-formed: crossed tags"),
        ("<p>a &amp b</p>", "not well-formed: a bare ampersand"),
    ],
)
def test_content_lxml_would_write_otherwise_goes_through_the_tree(content: str, why: str) -> None:
    assert not (written_by_lxml(content) and well_formed(content)), why
    plan = _plan([make_article(1, content_html=content)])
    assert _page_without_tree(plan, plan.chapters[0]) is None
    assert article_page(plan, plan.chapters[0]) == _page_from_tree(plan, plan.chapters[0])


@pytest.mark.parametrize(
    "content",
    [
        '<p id="1st">an id to rename</p>',
        '<p><a name="old">a named anchor</a></p>',
        '<p><a href="#there">a link within the page</a></p>',
        '<p><a href="javascript:x()">a link that must go</a></p>',
        '<p><a href="missing.html">a relative link to nothing</a></p>',
        '<p><img src="https://cdn.example/a.png" alt="an image"/></p>',
        '<p><iframe src="https://video.example/1"/></p>',
        '<p>x<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math></p>',
        "",
    ],
)
def test_content_that_needs_a_tree_goes_through_it(content: str) -> None:
    plan = _plan([make_article(1, content_html=content)])
    assert _page_without_tree(plan, plan.chapters[0]) is None


def test_code_in_a_right_to_left_page_goes_through_the_tree() -> None:
    plan = _plan([make_article(1, language="ar", content_html="<pre><code>x = 1</code></pre>")])
    assert _page_without_tree(plan, plan.chapters[0]) is None
    assert b'<pre dir="ltr"><code dir="ltr">' in article_page(plan, plan.chapters[0])


def test_links_are_fixed_as_text_as_the_tree_fixes_them() -> None:
    first, second = make_article(1), make_article(2)
    content = (
        f'<p><a href="{second.url}">the next one</a> <a href="{first.url}">this one</a> '
        '<a href="//cdn.example/x?a=1&amp;b=&quot;2&quot;">no scheme</a> '
        '<a href="mailto:lena@example.org">mail</a> <a class="c" href=" https://x.example/ ">'
        "spaced</a></p>"
    )
    plan = _plan([replace(first, content_html=content), second])
    page = _page_without_tree(plan, plan.chapters[0])
    assert page is not None
    assert page.encode() == _page_from_tree(plan, plan.chapters[0])
    assert f'<a href="{plan.chapters[1].file_name}">the next one</a>' in page
    assert f'<a href="{first.url}">this one</a>' in page  # its own page: no loop
    assert '<a href="https://cdn.example/x?a=1&amp;b=&quot;2&quot;">no scheme</a>' in page
    assert '<a class="c" href="https://x.example/">spaced</a>' in page


def test_a_link_that_must_go_leaves_the_text_to_the_tree() -> None:
    assert fix_links_without_tree('<p><a href="data:x">x</a></p>', set()) is None
    assert fix_links_without_tree('<p><a href="a.xhtml">x</a></p>', {"a.xhtml"}) == (
        '<p><a href="a.xhtml">x</a></p>'
    )


def test_headers_with_quotes_ampersands_and_no_title_are_the_trees() -> None:
    articles = [
        make_article(1, title='The "quoted" & <odd> title', tags=('"tag"', "a&b")),
        make_article(2, title=""),
    ]
    plan = _plan(articles)
    assert _as_the_tree_makes_them(plan) >= 1
    assert _page_without_tree(plan, plan.chapters[0]) is not None


def test_a_days_short_date_is_formatted_once_per_language() -> None:
    day = date(2024, 2, 29)
    i18n.short_date(day, "de")
    before = i18n._short_day.cache_info().hits
    assert i18n.short_date(day, "de") == "29.\u00a0Feb.\u00a02024"
    assert i18n._short_day.cache_info().hits == before + 1
