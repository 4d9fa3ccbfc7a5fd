"""The book in the reader's hands: the words a book shows in its own language, the title page's
hierarchy, sources and dates said once, right-to-left runs isolated, and a stylesheet that
survives night themes.

Golden title pages live in tests/data/title_pages/<language>.xhtml (``UPDATE_GOLDEN=1``
rewrites them; read the diff before committing it).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel import Locale
from lxml import etree

from feed2book import i18n
from feed2book.covers.render import CoverSpec, layout_cover
from feed2book.group import BookOptions, GroupBy, Sections, group_articles
from feed2book.models import Article, Author, Book, FeedInfo, Section, SeriesRef
from feed2book.series import title_in_series
from feed2book.writers.epub.book import build_epub
from feed2book.writers.epub.style import STYLESHEET
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.test_epub import NS, article_file, opf, read, text_of, xml

TITLE_PAGES = Path(__file__).parent / "data" / "title_pages"
REQUIRED_LANGUAGES = [
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "ru",
    "uk",
    "tr",
    "ar",
    "fa",
    "he",
    "ur",
    "hi",
    "zh",
    "ja",
    "ko",
]
LENA = Author("Lena Ortiz", "lena")
# Two feeds of one site (its RSS and its Atom feed): one source for the reader.
RSS = FeedInfo("Lena's Notebook", "https://lena.example/rss.xml", "https://lena.example/")
ATOM = FeedInfo("Lena's Notebook", "https://lena.example/atom.xml", "https://lena.example/")

# The book's title and its articles' titles in each language of the golden title pages.
TITLES = {
    "en": "Field Notes",
    "de": "Feldnotizen",
    "fr": "Carnet de terrain",
    "ru": "Полевые заметки",
    "pl": "Notatki z terenu",
    "ar": "ملاحظات ميدانية",
    "he": "רשימות שטח",
    "ur": "میدانی نوٹس",
    "zh": "田野笔记",
    "ja": "フィールドノート",
}


def article(number: int, when: datetime, **changes: object) -> Article:
    made = Article(
        id=f"https://lena.example/{number}",
        url=f"https://lena.example/{number}",
        title=f"Note {number}",
        authors=(LENA,),
        published=when,
        updated=None,
        tags=("notes",),
        feed=RSS if number % 2 else ATOM,
        language="en",
        content_html=f"<p>Written for the test, note {number}.</p>",
        word_count=450,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def book_in(language: str, title: str = "Field Notes") -> Book:
    """Three notes from 13 October 2011 to 16 March 2014, read from two feeds of one site."""
    articles = tuple(
        article(n, when, language=language, title=f"{title} {n}")
        for n, when in enumerate(
            [
                datetime(2011, 10, 13, 9, tzinfo=UTC),
                datetime(2012, 6, 2, 9, tzinfo=UTC),
                datetime(2014, 3, 16, 9, tzinfo=UTC),
            ],
            start=1,
        )
    )
    return Book("author:lena", title, (LENA,), language, (Section("", articles),))


# --- the catalogue -----------------------------------------------------------------------------


def test_every_required_language_has_every_word() -> None:
    english = set(i18n.CATALOGUES["en"])
    for language in REQUIRED_LANGUAGES:
        assert set(i18n.CATALOGUES[language]) == english, language


@pytest.mark.parametrize("language", [*REQUIRED_LANGUAGES, "zh-Hant"])
def test_plural_forms_cover_the_language_s_cldr_categories(language: str) -> None:
    """A counted label has one form (Turkish, Chinese...) or one per CLDR category the language
    uses ("many" of French, Spanish, Italian and Portuguese is for millions: "other" serves);
    placeholders are the ones the pages fill in."""
    categories = set(Locale.parse(language.replace("-", "_")).plural_form.tags) | {"other"}
    if language in {"fr", "es", "it", "pt"}:
        categories.discard("many")
    for key, label in i18n.CATALOGUES[language].items():
        if not isinstance(label, str):
            assert categories <= set(label), (language, key, categories - set(label))
        for form in [label] if isinstance(label, str) else list(label.values()):
            assert set(re.findall(r"{(\w+)}", form)) <= {"n", "date", "series"}, (key, form)


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("en", 1, "1 article"),
        ("en", 0, "0 articles"),
        ("en", 28, "28 articles"),
        ("ru", 1, "1 статья"),
        ("ru", 3, "3 статьи"),
        ("ru", 5, "5 статей"),
        ("ru", 21, "21 статья"),
        ("pl", 22, "22 artykuły"),
        ("pl", 25, "25 artykułów"),
        ("uk", 11, "11 статей"),
        ("ar", 2, "مقالان"),
        ("ar", 53, "53 مقالًا"),
        ("he", 1, "מאמר אחד"),
        ("fr", 0, "0 article"),  # French counts zero as singular
        ("tr", 4, "4 makale"),
        ("ja", 7, "7 件の記事"),
        ("en-US", 2, "2 articles"),
        ("xx", 2, "2 articles"),  # no catalogue: English
    ],
)
def test_counts_follow_cldr_plural_rules(language: str, n: int, expected: str) -> None:
    assert i18n.count(language, "articles", n) == expected


def test_messages_count_in_english_with_real_plurals() -> None:
    assert i18n.plural(1, "article", "articles") == "1 article"
    assert i18n.plural(0, "article", "articles") == "0 articles"
    assert i18n.plural(12, "source", "sources") == "12 sources"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "October 2011 – March 2014"),
        ("de", "Oktober 2011\u2009–\u2009März 2014"),  # CLDR's thin spaces
        ("ru", "октябрь 2011\u202fг. — март 2014\u202fг."),
        ("ar", "أكتوبر 2011 – مارس 2014"),
        ("zh", "2011年10月 – 2014年3月"),
    ],
)
def test_date_ranges_name_months_in_the_book_s_language(language: str, expected: str) -> None:
    assert i18n.date_range(date(2011, 10, 13), date(2014, 3, 16), language) == expected


def test_english_ranges_keep_their_day_month_year_form() -> None:
    assert i18n.date_range(date(2026, 4, 26), date(2026, 5, 25), "en") == "26 April – 25 May 2026"
    assert i18n.date_range(date(2026, 5, 2), date(2026, 5, 9), "en") == "2–9 May 2026"
    assert i18n.date_range(date(2026, 5, 2), date(2026, 5, 2), "en") == "2 May 2026"


def test_short_dates_never_break_across_lines() -> None:
    for language in REQUIRED_LANGUAGES:
        shown = i18n.short_date(date(2026, 4, 28), language)
        assert " " not in shown and "-" not in shown, (language, shown)


def test_traditional_chinese_has_its_own_words() -> None:
    assert i18n.text("zh-TW", "contents") == "目錄"
    assert i18n.text("zh-Hant-HK", "contents") == "目錄"
    assert i18n.text("zh-CN", "contents") == "目录"
    assert i18n.text("zh", "contents") == "目录"


# --- grouping: subtitles and month sections in the book's language -------------------------------


def test_grouping_writes_the_date_subtitle_and_month_sections_in_the_book_s_language() -> None:
    notes = [
        article(n, datetime(2026, month, 3, tzinfo=UTC), language="de") for n, month in
        enumerate([3, 3, 4], start=1)
    ]  # fmt: skip
    [book] = group_articles(
        notes, BookOptions(group_by=GroupBy.AUTHOR, sections=Sections.MONTH)
    ).books
    assert book.subtitle == "3. März\u2009–\u20093. Apr. 2026"
    assert [section.title for section in book.sections] == ["März 2026", "April 2026"]


def test_articles_outside_any_series_go_last_under_a_heading_in_the_book_s_language() -> None:
    notes = [
        article(n, datetime(2026, 4, n, tzinfo=UTC), language="ru",
                series=SeriesRef("Малые системы", n) if n > 1 else None)
        for n in (1, 2, 3)
    ]  # fmt: skip
    [book] = group_articles(notes, BookOptions(sections=Sections.SERIES)).books
    assert [section.title for section in book.sections] == ["Малые системы", "Другие статьи"]


# --- series entries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "series", "expected"),
    [
        (
            "Day 19: Product Catalog - AI System Design in Seconds",
            "AI System Design in Seconds",
            "Day 19: Product Catalog",
        ),
        ("Episode 4: Cold Starts | The Debug Show", "The Debug Show", "Episode 4: Cold Starts"),
        ("Building a Parser, Part 2: Tokens", "Building a Parser", "Part 2: Tokens"),
        ("Weekly Links #12", "Weekly Links", "Weekly Links #12"),  # nothing but a number left
        ("Rust for Pythonistas (3/5)", "Rust for Pythonistas", "Rust for Pythonistas (3/5)"),
        ("Unrelated title", "Some Series", "Unrelated title"),
    ],
)
def test_title_in_series_drops_the_series_name(title: str, series: str, expected: str) -> None:
    assert title_in_series(title, series) == expected


def test_entries_inside_their_series_section_drop_the_series_name() -> None:
    series = "Tiny Systems"
    inside = [
        article(n, datetime(2026, 4, n, tzinfo=UTC), title=f"Day {n}: Queue {n} - {series}",
                series=SeriesRef(series, n))
        for n in (1, 2)
    ]  # fmt: skip
    other = article(3, datetime(2026, 4, 3, tzinfo=UTC), title=f"A note on {series} - {series}")
    book = Book(
        "author:lena", "Lena", (LENA,), "en",
        (Section(series, tuple(inside)), Section("Other articles", (other,))),
    )  # fmt: skip
    epub = build_epub(book)
    for page in ("OEBPS/toc.xhtml", "OEBPS/nav.xhtml"):
        text = text_of(xml(epub, page))
        assert "Day 1: Queue 1 " in text and f"Queue 1 - {series}" not in text, page
        assert f"A note on {series} - {series}" in text, page  # not in its series' section
    ncx = read(epub, "OEBPS/toc.ncx").decode()
    assert "<text>Day 2: Queue 2</text>" in ncx
    page = read(epub, article_file(inside[0]))
    assert f"Day 1: Queue 1 - {series}</h1>" in page.decode()  # the full title stays on the page


def test_entries_of_a_series_book_drop_the_series_name() -> None:
    notes = tuple(
        article(n, datetime(2026, 4, n, tzinfo=UTC), title=f"Day {n}: Queue {n} - Tiny Systems",
                series=SeriesRef("Tiny Systems", n))
        for n in (1, 2)
    )  # fmt: skip
    book = Book("series:tiny systems", "Tiny Systems", (LENA,), "en", (Section("", notes),),
                series=SeriesRef("Tiny Systems", 1))  # fmt: skip
    epub = build_epub(book)
    assert "Day 2: Queue 2 (" in text_of(xml(epub, "OEBPS/toc.xhtml"))
    assert "Tiny Systems" not in text_of(xml(epub, "OEBPS/nav.xhtml").find(".//x:ol", NS))
    assert "<text>Day 2: Queue 2</text>" in read(epub, "OEBPS/toc.ncx").decode()


# --- title page and metadata -----------------------------------------------------------------------


def test_title_page_names_each_source_once_and_the_author_not_twice() -> None:
    epub = build_epub(book_in("en", title="Lena Ortiz"))
    text = text_of(xml(epub, "OEBPS/title.xhtml").find("x:body", NS))
    assert text.count("Lena Ortiz") == 1  # the title; no author line repeating it
    assert text.count("Lena's Notebook") == 1  # RSS and Atom of one site: one source
    assert "October 2011 – March 2014" in text and text.count("2011") == 1  # the span, once
    assert "3 articles" in text
    assert "Built" not in text
    metadata = opf(epub).find("opf:metadata", NS)
    assert metadata is not None
    sources = [e.text for e in metadata.findall("dc:source", NS)]
    assert sources == ["https://lena.example/rss.xml", "https://lena.example/atom.xml"]
    description = metadata.findtext("dc:description", namespaces=NS)
    assert description == "October 2011 – March 2014 — 3 articles"


def test_the_same_feed_read_twice_is_one_dc_source() -> None:
    notes = [article(n, datetime(2026, 4, n, tzinfo=UTC), feed=RSS) for n in (1, 2)]
    book = Book("author:lena", "Notes", (LENA,), "en", (Section("", tuple(notes)),))
    metadata = opf(build_epub(book)).find("opf:metadata", NS)
    assert metadata is not None
    assert [e.text for e in metadata.findall("dc:source", NS)] == [RSS.url]


def test_a_date_subtitle_is_not_repeated_as_a_dates_line() -> None:
    book = replace(book_in("en"), subtitle="October 2011 – March 2014")
    page = xml(build_epub(book), "OEBPS/title.xhtml")
    assert text_of(page).count("October 2011 – March 2014") == 1
    assert page.find(".//x:p[@class='subtitle dates']", NS) is not None


def test_rtl_title_page_isolates_latin_names_dates_and_numbers() -> None:
    page = read(build_epub(book_in("ar", TITLES["ar"])), "OEBPS/title.xhtml").decode()
    assert '<html xmlns="http://www.w3.org/1999/xhtml"' in page and 'dir="rtl"' in page
    assert "<bdi>Lena Ortiz</bdi>" in page
    assert "<bdi>أكتوبر 2011 – مارس 2014</bdi>" in page  # first date first, read right to left
    assert "3 مقالات" in page and "articles" not in page
    assert "المصادر:" in page and "From:" not in page
    assert "<bdi>Lena&#x27;s Notebook</bdi>" in page or "<bdi>Lena's Notebook</bdi>" in page


def test_rtl_contents_and_article_headers_isolate_mixed_runs() -> None:
    epub = build_epub(book_in("he", TITLES["he"]))
    contents = read(epub, "OEBPS/toc.xhtml").decode()
    assert "<h1>תוכן העניינים</h1>" in contents
    assert '<span class="date"><bdi>13 באוק׳ 2011</bdi></span>' in contents
    [first] = [n for n in xml(epub, "OEBPS/nav.xhtml").iter() if n.text == f"{TITLES['he']} 1"]
    assert first is not None


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", ["Содержание", "мин чтения", "Теги:", "Оригинал:", "Источники:", "3 статьи"]),
        ("zh", ["目录", "阅读约", "标签：", "原文：", "来源：", "3 篇文章"]),
        ("ur", ["فہرست", "منٹ کا مطالعہ", "ٹیگز:", "اصل تحریر:", "ماخذ:", "3 مضامین"]),
    ],
)
def test_fixed_words_are_in_the_book_s_language(language: str, words: list[str]) -> None:
    epub = build_epub(book_in(language, TITLES.get(language, "Notes")))
    text = " ".join(
        read(epub, f"OEBPS/{name}").decode() for name in ("title.xhtml", "toc.xhtml", "nav.xhtml")
    )
    text += read(epub, article_file(book_in(language).articles[0])).decode()
    for word in words:
        assert word in text, word
    for english in ("Contents", "min read", "Tags:", "Original:", "From:", " articles"):
        assert english not in text, english


@pytest.mark.parametrize("language", sorted(TITLES))
def test_golden_title_pages(language: str) -> None:
    page = read(build_epub(book_in(language, TITLES[language])), "OEBPS/title.xhtml").decode()
    golden = TITLE_PAGES / f"{language}.xhtml"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(page, encoding="utf-8")
        return
    assert golden.exists(), f"missing golden {golden.name}: run UPDATE_GOLDEN=1"
    assert page == golden.read_text(encoding="utf-8")


def test_books_in_every_required_language_are_epubcheck_clean() -> None:
    books = {
        language: build_epub(book_in(language, TITLES.get(language, "Notes")))
        for language in REQUIRED_LANGUAGES
    }
    assert_all_epubcheck_clean(books)


# --- the stylesheet on a dark background ---------------------------------------------------------

_COLOUR = re.compile(
    r"#[0-9a-f]{3,8}\b|\b(?:rgb|rgba|hsl|hsla)\(|\b(?:black|white|gr[ae]y|silver|red|blue|green|navy)\b",
    re.I,
)


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";"))
            if name.strip()
        )
        rules.append((" ".join(selector.split()), declarations))
    return rules


def test_no_colour_is_hard_coded_so_night_themes_keep_everything_visible() -> None:
    """A reader's dark theme swaps the text colour and the background: a fixed colour (a grey
    rule, a light code background) would vanish or glare. Every border uses currentColor."""
    rules = _rules(STYLESHEET)
    assert rules
    for selector, declarations in rules:
        for name, value in declarations.items():
            assert not _COLOUR.search(value), (selector, name, value)
            if name.startswith("border") and "solid" in value:
                assert "currentcolor" in value.lower(), (selector, name, value)
        assert "background" not in " ".join(declarations), selector


def test_headings_are_kept_with_what_follows_and_code_is_not_shrunk() -> None:
    rules = dict(_rules(STYLESHEET))
    headings = rules["h1, h2, h3, h4, h5, h6"]
    assert headings["page-break-after"] == "avoid" and headings["break-after"] == "avoid"
    for selector in ("pre", "code, kbd, samp, tt"):
        # a lone "monospace" triggers WebKit/Blink's smaller monospace default size
        assert rules[selector]["font-family"] == "monospace, monospace"
        assert float(rules[selector]["font-size"].removesuffix("em")) == 0.9
    assert rules[".date"]["white-space"] == "nowrap"


def test_stylesheet_uses_no_property_epubcheck_rejects() -> None:
    for _, declarations in _rules(STYLESHEET):
        assert "direction" not in declarations and "unicode-bidi" not in declarations


def test_title_page_markup_validates_as_xml() -> None:
    for language in TITLES:
        etree.fromstring(read(build_epub(book_in(language, TITLES[language])), "OEBPS/title.xhtml"))


# --- covers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 article"),
        ("en", 28, "28 articles"),
        ("ru", 5, "5 статей"),
        ("ar", 3, "3 مقالات"),
    ],
)
def test_cover_counts_articles_in_the_book_s_language(
    language: str, count: int, expected: str
) -> None:
    spec = CoverSpec("author:lena", "Notes", "Lena Ortiz", "", count, language)
    layout = layout_cover(spec, "geometric", system_fonts=False)
    [placed] = [text for text in layout.texts if text.content == "count"]
    assert " ".join(placed.block.lines) == expected
