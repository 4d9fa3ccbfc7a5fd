"""Structure kept from feed HTML into books: every golden case makes a valid EPUB, MathML pages
are declared, and an article's links to itself keep the original address (no loop)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

from feed2book.clean.html import clean_html
from feed2book.models import Book
from feed2book.writers.epub.book import build_epub
from feed2book.writers.markdown import build_bundle, build_single_file
from tests.conversion_helpers import GOLDEN_BASE_URL, golden_cases
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.test_epub import make_article, make_book

MATHML_PARAGRAPH = (
    '<p>Energy: <math display="block"><semantics><mrow><mi>E</mi><mo>=</mo><mi>m</mi>'
    "<msup><mi>c</mi><mn>2</mn></msup></mrow>"
    '<annotation encoding="application/x-tex">E=mc^2</annotation></semantics></math></p>'
)


def _book_of_golden_cases() -> Book:
    articles = [
        make_article(
            number,
            title=case.stem,
            content_html=clean_html(case.read_text(encoding="utf-8"), GOLDEN_BASE_URL),
        )
        for number, case in enumerate(golden_cases(), start=1)
    ]
    return make_book(articles)


def _opf(epub: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".opf"))
        return archive.read(name).decode()


def _named_page_with(epub: bytes, text: str) -> tuple[str, str]:
    """The file name (as the package names it) and text of the one article page with ``text``."""
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        pages = {n: archive.read(n).decode() for n in archive.namelist() if "/a-" in n}
    ((name, page),) = [(name, page) for name, page in pages.items() if text in page]
    return name.split("/", 1)[1], page


def _page_with(epub: bytes, text: str) -> str:
    return _named_page_with(epub, text)[1]


def test_every_golden_case_makes_an_epubcheck_clean_book() -> None:
    book = _book_of_golden_cases()
    formula = make_article(1, title="MathML", content_html=clean_html(MATHML_PARAGRAPH))
    assert_all_epubcheck_clean(
        {
            "golden cases": build_epub(book),
            "one formula": build_epub(make_book([formula])),
        }
    )


def test_pages_with_mathml_and_only_those_are_declared() -> None:
    plain = make_article(1, content_html="<p>No formula here: &lt;math&gt; is text.</p>")
    formula = make_article(2, content_html=clean_html(MATHML_PARAGRAPH))
    epub = build_epub(make_book([plain, formula]))
    items = re.findall(r"<item\b[^>]*>", _opf(epub))
    declared = [
        re.search(r'href="([^"]+)"', item).group(1)  # type: ignore[union-attr]
        for item in items
        if 'properties="mathml"' in item
    ]
    name, page = _named_page_with(epub, "Energy")
    assert declared == [name]
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in page


def _linking_articles() -> Book:
    first = make_article(1)
    second = make_article(2)
    first = replace(
        first,
        content_html=(
            f'<p>Teaser. <a href="{first.url}">Continue reading…</a> '
            f'<a href="{first.url}#part-2">Part two</a> '
            f'<a href="{second.url}">The next post</a></p>'
        ),
    )
    return make_book([first, second])


def test_epub_link_to_the_article_itself_keeps_the_original_address() -> None:
    book = _linking_articles()
    page = _page_with(build_epub(book), "Teaser")
    own = book.articles[0].url
    assert f'<a href="{own}">Continue reading…</a>' in page
    assert f'<a href="{own}#part-2">Part two</a>' in page
    next_link = re.search(r'<a href="([^"]+)">The next post</a>', page)
    assert next_link is not None and not next_link.group(1).startswith("http")


def test_markdown_link_to_the_article_itself_keeps_the_original_address() -> None:
    book = _linking_articles()
    own = book.articles[0].url
    bundle = build_bundle(book)
    first = next(
        data.decode() for name, data in bundle.items() if "Continue reading" in data.decode()
    )
    assert f"[Continue reading…]({own})" in first
    assert "[The next post](http" not in first
    single = build_single_file(book).decode()
    assert f"[Continue reading…]({own})" in single
    assert "[The next post](#a-" in single
