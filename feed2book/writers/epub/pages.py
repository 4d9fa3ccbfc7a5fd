"""The book's XHTML pages: cover, title page, contents page, navigation document and articles.

Pages are readable without the stylesheet (plain headings, paragraphs and lists) and carry no
id on ``<body>`` and no link to one (Kindle's converter fails with E999 on those).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Protocol
from urllib.parse import urlsplit

from lxml import etree

from feed2book import i18n
from feed2book.models import Author
from feed2book.parse import enclosures
from feed2book.series import title_in_series
from feed2book.writers.epub.plan import (
    COVER_PAGE_FILE,
    STYLESHEET_FILE,
    TITLE_PAGE_FILE,
    TOC_PAGE_FILE,
    BookPlan,
    Chapter,
    Resource,
    TocGroup,
    esc,
    iso_date,
    lang_attrs,
    xml_text,
)
from feed2book.xhtml.content import (
    FRAGMENT_PARSER,
    XHTML_NS,
    externalise_remote_media,
    fix_links_without_tree,
    fix_references,
    parse_fragment,
    url_key,
    well_formed,
    written_by_lxml,
)

MAX_LISTED_FEEDS = 20
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
_BODY_PLACEHOLDER = "article-body"


def xhtml_page(title: str, language: str, direction: str, body: str, body_class: str = "") -> str:
    head, tail = page_frame(title, language, direction, body_class)
    return head + body + tail


def page_frame(title: str, language: str, direction: str, body_class: str = "") -> tuple[str, str]:
    """What comes before and after a page's body (``xhtml_page`` is ``head + body + tail``)."""
    rtl = direction if direction == "rtl" else None
    css_class = f' class="{body_class}"' if body_class else ""
    head = (
        _XML_HEAD + '<html xmlns="http://www.w3.org/1999/xhtml"'
        f' xmlns:epub="http://www.idpf.org/2007/ops"{lang_attrs(language, rtl)}>\n'
        f"<head>\n<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET_FILE}"/>\n</head>\n'
        f"<body{css_class}>\n"
    )
    return head, "\n</body>\n</html>\n"


def cover_page(plan: BookPlan, cover: Resource, width: int, height: int) -> str:
    """An SVG wrapper scales the cover to the screen on every reader, with or without CSS."""
    body = (
        '<div class="cover">\n<svg xmlns="http://www.w3.org/2000/svg"'
        ' xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" width="100%" height="100%"'
        f' viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">\n'
        f'<image width="{width}" height="{height}" xlink:href="{esc(cover.file_name)}"/>\n'
        "</svg>\n</div>"
    )
    return xhtml_page("Cover", plan.language, plan.direction, body, body_class="cover")


def title_page(plan: BookPlan) -> str:
    """Title, subtitle, series, author line, the span of dates once, the article count, the
    sources once each by address, and a colophon. The date is the articles' own (a build date
    would break reproducible builds). Text that may run in another direction than the page
    (names, titles, dates) is isolated in ``<bdi>`` so it reads right in right-to-left books."""
    book, language = plan.book, plan.language
    lines = [f'<h1 class="book-title">{isolated(plan.title)}</h1>']
    span = i18n.date_range(plan.first_published, plan.last_published, language)
    subtitle = book.subtitle.strip()
    if subtitle:
        kind = "subtitle dates" if subtitle == span else "subtitle"
        lines.append(f'<p class="{kind}">{isolated(subtitle)}</p>')
    if series_label(plan):
        lines.append(f'<p class="series">{isolated(series_label(plan))}</p>')
    authors = names(plan.creators)
    if authors and authors.casefold() != plan.title.casefold():  # not the title a second time
        lines.append(f'<p class="authors">{isolated(authors)}</p>')
    if subtitle != span:
        lines.append(f'<p class="dates">{isolated(span)}</p>')
    count = i18n.count(language, "articles", len(plan.chapters))
    lines.append(f'<p class="count">{esc(count)}</p>')
    feeds = [f"<li>{_feed_item(title, url)}</li>" for title, url in sources(plan)]
    if len(feeds) > MAX_LISTED_FEEDS:
        more = i18n.text(language, "more", n=len(feeds) - MAX_LISTED_FEEDS)
        feeds = [*feeds[:MAX_LISTED_FEEDS], f"<li>{esc(more)}</li>"]
    lines.append(
        f'<p class="feeds-label">{esc(i18n.text(language, "from"))}</p>\n<ul class="feeds">\n'
        + "\n".join(feeds)
        + "\n</ul>"
    )
    lines.append(f'<p class="colophon">{esc(i18n.text(language, "made_with"))}</p>')
    body = '<div class="titlepage">\n' + "\n".join(lines) + "\n</div>"
    return xhtml_page(plan.title, plan.language, plan.direction, body)


def sources(plan: BookPlan) -> list[tuple[str, str]]:
    """``(name, address)`` of each source once: feeds that share a site (a blog's RSS and Atom
    feeds, or its feed read twice) are one source, named by the site's feed title."""
    unique: dict[str, tuple[str, str]] = {}
    for feed in plan.feeds:
        address = feed.site or feed.url
        key = url_key(address) or address or feed.title
        name = feed.title.strip() or urlsplit(address).hostname or address
        unique.setdefault(key, (name, address))
    return list(unique.values())


def isolated(text: str) -> str:
    """``text`` escaped and wrapped in ``<bdi>``: a run that keeps its own direction (a Latin
    name in an Arabic page, a date's digits), without CSS, which EPUB may not use for it."""
    return f"<bdi>{esc(text)}</bdi>" if xml_text(text) else ""


def toc_page_parts(plan: BookPlan) -> Iterator[str]:
    """The contents page in pieces, one entry at a time (a book of 380,000 articles never holds
    it whole)."""
    show_authors = len({chapter.article.author_handles for chapter in plan.chapters}) > 1
    contents = i18n.text(plan.language, "contents")
    head, tail = page_frame(contents, plan.language, plan.direction)
    yield head + '<div class="toc">\n' + f"<h1>{esc(contents)}</h1>"
    for group in plan.groups:
        if group.title:
            yield f"\n<h2>{isolated(group.title)}</h2>"
        yield "\n<ol>"
        for chapter in group.chapters:
            date = i18n.short_date(chapter.article.published, plan.language)
            details = [f'<span class="date">{isolated(date)}</span>']
            if show_authors and chapter.article.authors:
                details.append(isolated(names(chapter.article.authors)))
            yield (
                f"\n<li{_lang_of(plan, chapter)}>"
                f'<a href="{chapter.file_name}">{isolated(entry_title(plan, group, chapter))}</a>'
                f' <span class="toc-meta">({" · ".join(details)})</span></li>'
            )
        yield "\n</ol>"
    yield "\n</div>" + tail


def entry_title(plan: BookPlan, group: TocGroup, chapter: Chapter) -> str:
    """A chapter's title in the contents: inside its series' own section (or a book that is
    the series) the series' name is said already, so the title drops it ("Day 19: Product
    Catalog"); the page and the metadata keep the full title."""
    series = chapter.article.series
    book_series = plan.book.series.name if plan.book.series is not None else ""
    if series is None or series.name.casefold() not in (
        group.title.casefold(),
        book_series.casefold(),
    ):
        return chapter.title
    return title_in_series(chapter.title, series.name)


def nav_document_parts(plan: BookPlan) -> Iterator[str]:
    """EPUB 3 navigation: sections -> articles, or articles only when there is one section; in
    pieces, one entry at a time."""
    words = {key: i18n.text(plan.language, key) for key in ("title_page", "contents", "cover")}
    head, tail = page_frame(words["contents"], plan.language, plan.direction)
    yield head + f'<nav epub:type="toc" id="toc">\n<h1>{esc(words["contents"])}</h1>\n<ol>\n'
    separator = ""
    for group in plan.groups:
        entries = (
            f'<li{_lang_of(plan, c)}><a href="{c.file_name}">'
            f"{esc(entry_title(plan, group, c))}</a></li>"
            for c in group.chapters
        )
        if group.title:
            first = group.chapters[0].file_name
            yield f'{separator}<li><a href="{first}">{esc(group.title)}</a>\n<ol>\n'
            yield from _joined(entries, "\n")
            yield "\n</ol></li>"
        else:
            yield separator
            yield from _joined(entries, "\n")
        separator = "\n"
    landmarks = [
        (TITLE_PAGE_FILE, "titlepage", words["title_page"]),
        (TOC_PAGE_FILE, "toc", words["contents"]),
    ]
    if plan.cover is not None:
        landmarks.insert(0, (COVER_PAGE_FILE, "cover", words["cover"]))
    landmarks.append((plan.chapters[0].file_name, "bodymatter", i18n.text(plan.language, "start")))
    landmark_items = "\n".join(
        f'<li><a epub:type="{kind}" href="{href}">{esc(label)}</a></li>'
        for href, kind, label in landmarks
    )
    yield (
        "\n</ol>\n"
        f'</nav>\n<nav epub:type="landmarks" id="landmarks" hidden="">\n<h2>Landmarks</h2>\n'
        f"<ol>\n{landmark_items}\n</ol>\n</nav>" + tail
    )


def _joined(parts: Iterable[str], separator: str) -> Iterator[str]:
    """``separator.join(parts)``, one part at a time."""
    for number, part in enumerate(parts):
        yield separator + part if number else part


def article_page(plan: BookPlan, chapter: Chapter) -> bytes:
    """The article's header, then its content made self-contained for the book."""
    page = _page_without_tree(plan, chapter)
    return page.encode() if page is not None else _page_from_tree(plan, chapter)


def _page_from_tree(plan: LinkTargets, chapter: Chapter) -> bytes:
    root, content = _article_tree(chapter)
    externalise_remote_media(content)
    fix_references(content, plan.book_files, plan.articles_by_url, chapter.file_name)
    if chapter.direction == "rtl":
        code_left_to_right(content)
    etree.cleanup_namespaces(root)
    return (_XML_HEAD + etree.tostring(root, encoding="unicode") + "\n").encode()


class LinkTargets(Protocol):
    """What a page's links are resolved against: a ``BookPlan``'s (``writers.epub.ahead``
    gives a helper process a stand-in that knows no other file)."""

    @property
    def book_files(self) -> AbstractSet[str]: ...

    @property
    def articles_by_url(self) -> Mapping[str, str]: ...


def _page_without_tree(plan: LinkTargets, chapter: Chapter) -> str | None:
    """The page ``article_page`` makes, put together as text around content that lxml wrote
    and that needs nothing only a tree can do (most articles: parsing each again cost a fifth
    of a rebuild); None for any other. The same text the tree gives: the frame and the header
    are made as lxml writes them too. Of ``plan`` it reads the link targets alone."""
    parts = page_parts_without_tree(plan, chapter)
    return "".join(parts) if parts is not None else None


def page_parts_without_tree(plan: LinkTargets, chapter: Chapter) -> tuple[str, str, str] | None:
    """``_page_without_tree``'s page as what comes before the content, the content with its
    links fixed, and what comes after."""
    xhtml = chapter.article.content_html
    if not xhtml or (chapter.direction == "rtl" and _CODE_TAG.search(xhtml)):
        return None  # an empty <div/>; code elements that get dir="ltr"
    if not written_by_lxml(xhtml) or not well_formed(xhtml):
        return None
    content = fix_links_without_tree(
        xhtml, plan.book_files, plan.articles_by_url, chapter.file_name
    )
    if content is None:
        return None
    head, tail = page_frame(chapter.title, chapter.language, chapter.direction)
    made = _quotes_in_text(
        head[len(_XML_HEAD) :].replace(_EPUB_PREFIX, "", 1)  # unused: lxml would drop it
        + _article_header(chapter)
        + f'\n<div class="{_BODY_PLACEHOLDER}">'
    )
    if not written_by_lxml(made):
        return None  # an empty element, say (an article without a title)
    return _XML_HEAD + made, content, "</div>" + tail


_CODE_TAG = re.compile(r"<(?:pre|code|kbd|samp)[\s/>]")
_EPUB_PREFIX = ' xmlns:epub="http://www.idpf.org/2007/ops"'
_TEXT = re.compile(r">[^<]*")


def _quotes_in_text(markup: str) -> str:
    """``markup`` made with ``esc`` with its quotes in text unescaped, as lxml writes them (an
    attribute's stay escaped: ``esc`` escapes ">", so text runs from a ">" to the next "<")."""
    if "&quot;" not in markup:
        return markup
    return _TEXT.sub(lambda text: text.group().replace("&quot;", '"'), markup)


def _article_tree(chapter: Chapter) -> tuple[etree._Element, etree._Element]:
    """The article's page and, inside it, the ``<div>`` holding its content.

    Clean content (well-formed XHTML) is parsed once, with the page around it; other content
    is repaired by ``parse_fragment`` and put in place of a placeholder. Both give the same
    tree for clean content. Content using the ``epub:`` prefix takes the second way (the page
    declares that prefix, a fragment on its own does not), and so does content that closes
    its ``<div>`` early: the page then has more elements than the header and that ``<div>``.
    """
    header = _article_header(chapter)
    title, language, direction = chapter.title, chapter.language, chapter.direction
    xhtml = chapter.article.content_html
    if "epub:" not in xhtml:
        body = f'{header}\n<div class="{_BODY_PLACEHOLDER}">{xhtml}</div>'
        try:
            root = etree.fromstring(
                xhtml_page(title, language, direction, body).encode(), FRAGMENT_PARSER
            )
        except etree.XMLSyntaxError:
            pass
        else:
            # The header is one element a line; <html> holds <head> and <body>.
            if len(root) == 2 and len(root[-1]) == header.count("\n") + 2:
                return root, root[-1][-1]
    page = xhtml_page(title, language, direction, f'{header}\n<div class="{_BODY_PLACEHOLDER}"/>')
    root = etree.fromstring(page.encode())
    content = parse_fragment(xhtml)
    placeholder = root[-1][-1]
    content.set("class", _BODY_PLACEHOLDER)
    content.tail = placeholder.tail
    placeholder.getparent().replace(placeholder, content)  # type: ignore[union-attr]
    return root, content


# Code is written left to right whatever the page's direction.
CODE_ELEMENTS = ("pre", "code", "kbd", "samp")


def code_left_to_right(content: etree._Element) -> None:
    """Give every code element under ``content`` ``dir="ltr"``: in a right-to-left page the
    bidi algorithm otherwise reorders and right-aligns it. An attribute, because EPUB style
    sheets may not use ``direction`` or ``unicode-bidi`` (EPUBCheck rejects them)."""
    for element in content.iter(*(f"{{{XHTML_NS}}}{name}" for name in CODE_ELEMENTS)):
        element.set("dir", "ltr")


def _article_header(chapter: Chapter) -> str:
    """Title, then byline, date and reading time, series, tags, enclosures and the original's
    address, in the article's language; dates never break across lines."""
    article, language = chapter.article, chapter.language
    byline = []
    if article.authors:
        byline.append(isolated(names(article.authors)))
    date = f'<span class="date">{isolated(i18n.short_date(article.published, language))}</span>'
    if article.updated is not None and iso_date(article.updated) > iso_date(article.published):
        changed = i18n.short_date(article.updated, language)
        updated = with_markup(
            language, "updated", date=f'<span class="date">{isolated(changed)}</span>'
        )
        date += f" ({updated})"
    byline.append(date)
    byline.append(esc(i18n.count(language, "min_read", article.reading_minutes)))
    lines = [
        f'<h1 class="article-title">{esc(chapter.title)}</h1>',  # the page is in its language
        f'<p class="article-meta">{" · ".join(byline)}</p>',
    ]
    if article.series is not None:
        series = with_markup(
            language, "part", series=isolated(article.series.name), n=article.series.index_label
        )
        lines.append(f'<p class="article-meta">{series}</p>')
    tags = [tag for tag in (t.strip() for t in article.tags) if tag]
    if tags:
        label = esc(i18n.text(language, "tags"))
        lines.append(f'<p class="article-meta">{label} {isolated(", ".join(tags))}</p>')
    for enclosure in enclosures.linked(article.enclosures):
        link = f'<a href="{esc(enclosure.url)}">{esc(enclosures.label(enclosure))}</a>'
        lines.append(f'<p class="article-meta enclosure">{link}</p>')
    original = urlsplit(article.url)
    if original.scheme in ("http", "https"):
        host = original.hostname or article.url
        label = esc(i18n.text(language, "original"))
        lines.append(
            f'<p class="article-meta">{label} <a href="{esc(article.url)}">{isolated(host)}</a></p>'
        )
    lines.append("<hr/>")
    return "\n".join(lines)


def with_markup(language: str, key: str, **markup: str) -> str:
    """The catalogue's ``key`` escaped, its placeholders filled with ready-made XHTML."""
    return esc(i18n.template(language, key)).format(**markup)


def series_label(plan: BookPlan) -> str:
    """The series the book belongs to, as the reader sees it: a book number only when there is
    more than one book (an index other than 1), and nothing when the series is the title
    itself. The OPF metadata keeps the index either way."""
    series = plan.book.series
    if series is None:
        return ""
    if series.index != 1:
        return f"{series.name}, book {series.index_label}"
    return "" if series.name.strip() == plan.title.strip() else series.name


def names(authors: tuple[Author, ...]) -> str:
    return ", ".join(author.name.strip() for author in authors if author.name.strip())


def _feed_item(title: str, url: str) -> str:
    label = isolated(title or url)
    if urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{esc(url)}">{label}</a>'
    return label


def _lang_of(plan: BookPlan, chapter: Chapter) -> str:
    """Attributes for a list entry whose title is in another language than the book."""
    if chapter.language == plan.language:
        return ""
    return lang_attrs(chapter.language, chapter.direction)
