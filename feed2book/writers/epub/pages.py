"""The book's XHTML pages: cover, title page, contents page, navigation document and articles.

Pages are readable without the stylesheet (plain headings, paragraphs and lists) and carry no
id on ``<body>`` and no link to one (Kindle's converter fails with E999 on those).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree

from feed2book.models import Author
from feed2book.parse import enclosures
from feed2book.writers.epub.plan import (
    COVER_PAGE_FILE,
    STYLESHEET_FILE,
    TITLE_PAGE_FILE,
    TOC_PAGE_FILE,
    BookPlan,
    Chapter,
    Resource,
    esc,
    iso_date,
    lang_attrs,
)
from feed2book.xhtml.content import (
    XHTML_NS,
    externalise_remote_media,
    fix_references,
    parse_fragment,
)

MAX_LISTED_FEEDS = 20
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
_BODY_PLACEHOLDER = "article-body"


def xhtml_page(title: str, language: str, direction: str, body: str, body_class: str = "") -> str:
    rtl = direction if direction == "rtl" else None
    css_class = f' class="{body_class}"' if body_class else ""
    return (
        _XML_HEAD + '<html xmlns="http://www.w3.org/1999/xhtml"'
        f' xmlns:epub="http://www.idpf.org/2007/ops"{lang_attrs(language, rtl)}>\n'
        f"<head>\n<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET_FILE}"/>\n</head>\n'
        f"<body{css_class}>\n{body}\n</body>\n</html>\n"
    )


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
    book = plan.book
    lines = [f'<h1 class="book-title">{esc(plan.title)}</h1>']
    if book.subtitle.strip():
        lines.append(f'<p class="subtitle">{esc(book.subtitle)}</p>')
    if book.series is not None:
        lines.append(f'<p class="series">{esc(series_label(plan))}</p>')
    if plan.creators:
        lines.append(f'<p class="authors">{esc(names(plan.creators))}</p>')
    first, last = iso_date(plan.first_published), iso_date(plan.last_published)
    lines.append(f'<p class="dates">{first if first == last else f"{first} – {last}"}</p>')
    count = len(plan.chapters)
    lines.append(f'<p class="count">{count} article{"" if count == 1 else "s"}</p>')
    feeds = [f"<li>{_feed_item(feed.title, feed.site or feed.url)}</li>" for feed in plan.feeds]
    if len(feeds) > MAX_LISTED_FEEDS:
        more = len(feeds) - MAX_LISTED_FEEDS
        feeds = [*feeds[:MAX_LISTED_FEEDS], f"<li>and {more} more</li>"]
    lines.append(
        '<p class="feeds-label">From:</p>\n<ul class="feeds">\n' + "\n".join(feeds) + "\n</ul>"
    )
    lines.append(f'<p class="build">Built {iso_date(plan.last_modified)} with feed2book</p>')
    body = '<div class="titlepage">\n' + "\n".join(lines) + "\n</div>"
    return xhtml_page(plan.title, plan.language, plan.direction, body)


def toc_page(plan: BookPlan) -> str:
    show_authors = len({chapter.article.author_handles for chapter in plan.chapters}) > 1
    parts = ['<div class="toc">', "<h1>Contents</h1>"]
    for group in plan.groups:
        if group.title:
            parts.append(f"<h2>{esc(group.title)}</h2>")
        parts.append("<ol>")
        for chapter in group.chapters:
            details = [iso_date(chapter.article.published)]
            if show_authors and chapter.article.authors:
                details.append(names(chapter.article.authors))
            parts.append(
                f"<li{_lang_of(plan, chapter)}>"
                f'<a href="{chapter.file_name}">{esc(chapter.title)}</a>'
                f' <span class="toc-meta">({esc(" · ".join(details))})</span></li>'
            )
        parts.append("</ol>")
    parts.append("</div>")
    return xhtml_page("Contents", plan.language, plan.direction, "\n".join(parts))


def nav_document(plan: BookPlan) -> str:
    """EPUB 3 navigation: sections -> articles, or articles only when there is one section."""
    items = []
    for group in plan.groups:
        entries = "\n".join(
            f'<li{_lang_of(plan, c)}><a href="{c.file_name}">{esc(c.title)}</a></li>'
            for c in group.chapters
        )
        if group.title:
            first = group.chapters[0].file_name
            items.append(
                f'<li><a href="{first}">{esc(group.title)}</a>\n<ol>\n{entries}\n</ol></li>'
            )
        else:
            items.append(entries)
    landmarks = [(TITLE_PAGE_FILE, "titlepage", "Title page"), (TOC_PAGE_FILE, "toc", "Contents")]
    if plan.cover is not None:
        landmarks.insert(0, (COVER_PAGE_FILE, "cover", "Cover"))
    landmarks.append((plan.chapters[0].file_name, "bodymatter", "Start"))
    landmark_items = "\n".join(
        f'<li><a epub:type="{kind}" href="{href}">{label}</a></li>'
        for href, kind, label in landmarks
    )
    body = (
        f'<nav epub:type="toc" id="toc">\n<h1>Contents</h1>\n<ol>\n{chr(10).join(items)}\n</ol>\n'
        f'</nav>\n<nav epub:type="landmarks" id="landmarks" hidden="">\n<h2>Landmarks</h2>\n'
        f"<ol>\n{landmark_items}\n</ol>\n</nav>"
    )
    return xhtml_page("Contents", plan.language, plan.direction, body)


def article_page(plan: BookPlan, chapter: Chapter) -> bytes:
    """The article's header, then its content made self-contained for the book."""
    body = _article_header(chapter) + f'\n<div class="{_BODY_PLACEHOLDER}"/>'
    page = xhtml_page(chapter.title, chapter.language, chapter.direction, body)
    root = etree.fromstring(page.encode())
    content = parse_fragment(chapter.article.content_html)
    externalise_remote_media(content)
    fix_references(content, plan.book_files, plan.articles_by_url, chapter.file_name)
    if chapter.direction == "rtl":
        code_left_to_right(content)
    placeholder = root.find(f".//{{*}}div[@class='{_BODY_PLACEHOLDER}']")
    assert placeholder is not None
    content.set("class", _BODY_PLACEHOLDER)
    content.tail = placeholder.tail
    placeholder.getparent().replace(placeholder, content)  # type: ignore[union-attr]
    etree.cleanup_namespaces(root)
    return (_XML_HEAD + etree.tostring(root, encoding="unicode") + "\n").encode()


# Code is written left to right whatever the page's direction.
CODE_ELEMENTS = ("pre", "code", "kbd", "samp")


def code_left_to_right(content: etree._Element) -> None:
    """Give every code element under ``content`` ``dir="ltr"``: in a right-to-left page the
    bidi algorithm otherwise reorders and right-aligns it. An attribute, because EPUB style
    sheets may not use ``direction`` or ``unicode-bidi`` (EPUBCheck rejects them)."""
    for element in content.iter(*(f"{{{XHTML_NS}}}{name}" for name in CODE_ELEMENTS)):
        element.set("dir", "ltr")


def _article_header(chapter: Chapter) -> str:
    article = chapter.article
    byline = []
    if article.authors:
        byline.append(esc(names(article.authors)))
    date = iso_date(article.published)
    if article.updated is not None and iso_date(article.updated) > date:
        date += f" (updated {iso_date(article.updated)})"
    byline.append(date)
    byline.append(f"{article.reading_minutes} min read")
    lines = [
        f'<h1 class="article-title">{esc(chapter.title)}</h1>',
        f'<p class="article-meta">{" · ".join(byline)}</p>',
    ]
    if article.series is not None:
        series = f"{article.series.name}, part {article.series.index_label}"
        lines.append(f'<p class="article-meta">{esc(series)}</p>')
    tags = [tag for tag in (t.strip() for t in article.tags) if tag]
    if tags:
        lines.append(f'<p class="article-meta">Tags: {esc(", ".join(tags))}</p>')
    for enclosure in enclosures.linked(article.enclosures):
        link = f'<a href="{esc(enclosure.url)}">{esc(enclosures.label(enclosure))}</a>'
        lines.append(f'<p class="article-meta enclosure">{link}</p>')
    if urlsplit(article.url).scheme in ("http", "https"):
        host = urlsplit(article.url).hostname or article.url
        lines.append(
            f'<p class="article-meta">Original: <a href="{esc(article.url)}">{esc(host)}</a></p>'
        )
    lines.append("<hr/>")
    return "\n".join(lines)


def series_label(plan: BookPlan) -> str:
    series = plan.book.series
    return "" if series is None else f"{series.name}, book {series.index_label}"


def names(authors: tuple[Author, ...]) -> str:
    return ", ".join(author.name.strip() for author in authors if author.name.strip())


def _feed_item(title: str, url: str) -> str:
    label = esc(title or url)
    if urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{esc(url)}">{label}</a>'
    return label


def _lang_of(plan: BookPlan, chapter: Chapter) -> str:
    """Attributes for a list entry whose title is in another language than the book."""
    if chapter.language == plan.language:
        return ""
    return lang_attrs(chapter.language, chapter.direction)
