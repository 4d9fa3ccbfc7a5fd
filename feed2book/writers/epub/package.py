"""The package: ebooklib's ``EpubBook`` filled from the plan, and the EPUB 2 NCX.

feed2book makes every file of the book (pages, nav document, NCX, stylesheet, cover); ebooklib
packages them: ``container.xml``, the OPF (metadata, manifest, spine, guide) and the zip (see
``writers/epub.py``). Files are added as plain ``EpubItem``s holding the bytes we made, so ebooklib
never re-serialises a page. Our own nav document and NCX are kept because ebooklib's generated
ones lose what the book has: per-entry ``lang``/``dir`` for titles in another language, the EPUB 3
``titlepage`` landmark, a hidden landmarks list, the NCX's ``dtb:depth``, ``docAuthor`` and one
playOrder per target (a section shares its first article's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urlsplit

from ebooklib import epub

from feed2book import i18n
from feed2book.writers.epub.pages import entry_title, names, series_label
from feed2book.writers.epub.plan import (
    COVER_PAGE_FILE,
    NAV_FILE,
    NCX_FILE,
    STYLESHEET_FILE,
    TITLE_PAGE_FILE,
    TOC_PAGE_FILE,
    BookPlan,
    Chapter,
    Resource,
    esc,
    iso_datetime,
    xml_text,
)
from feed2book.xhtml.content import has_mathml

CONTENT_DIR = "OEBPS"
IDENTIFIER_ID = "bookid"
XHTML = "application/xhtml+xml"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# A file's bytes, or what makes them (whole, or in pieces) when the writer comes to that file.
Content = bytes | Callable[[], bytes | Iterator[bytes]]


class _MadeOnWrite(epub.EpubItem):  # type: ignore[misc]  # ebooklib has no type hints
    """An item whose bytes are made when the writer asks for them, then let go: ebooklib's writer
    reads a plain item's content once, in ``_write_items``, so a book of 380,000 articles never
    holds its pages in memory. Pieces (an iterator) are written to the zip as they come
    (``book._FixedEntries``)."""

    def __init__(self, make: Callable[[], bytes | Iterator[bytes]], **fields: object) -> None:
        super().__init__(**fields)
        self._make = make

    def get_content(self, default: object = None) -> bytes | Iterator[bytes]:
        return self._make()


class _WithPages:
    """``book.items`` or ``book.spine`` with the article pages in their place, each page's
    ``EpubItem`` made when ebooklib's writer reaches it and let go after: the writer only
    iterates them (manifest, spine, files), so 380,000 pages never exist as items at once."""

    def __init__(
        self,
        before: list[epub.EpubItem],
        chapters: tuple[Chapter, ...],
        page: Callable[[Chapter], epub.EpubItem],
        after: list[epub.EpubItem],
    ) -> None:
        self._before, self._chapters, self._page, self._after = before, chapters, page, after

    def __iter__(self) -> Iterator[epub.EpubItem]:
        yield from self._before
        yield from map(self._page, self._chapters)
        yield from self._after

    def __len__(self) -> int:
        return len(self._before) + len(self._chapters) + len(self._after)


class _CoverMadeOnWrite(epub.EpubCover):  # type: ignore[misc]  # ebooklib has no type hints
    """The cover image, its bytes made when the writer asks for them (``_MadeOnWrite``)."""

    def __init__(self, make: Callable[[], bytes | Iterator[bytes]], **fields: object) -> None:
        super().__init__(**fields)
        self._make = make

    def get_content(self, default: object = None) -> bytes | Iterator[bytes]:
        return self._make()


def _item(item_id: str, file_name: str, media_type: str, data: Content) -> epub.EpubItem:
    fields = {"uid": item_id, "file_name": file_name, "media_type": media_type}
    if callable(data):
        return _MadeOnWrite(data, **fields)
    return epub.EpubItem(content=data, **fields)


def epub_book(
    plan: BookPlan,
    files: Mapping[str, Content],
    cover: tuple[Resource, Content, Content] | None,
    article: Callable[[Chapter], bytes],
) -> epub.EpubBook:
    """The book as ebooklib packages it. ``files``: what we made (or what makes it), by file name
    (nav document, NCX, stylesheet, title and contents pages); ``cover``: the cover image's
    resource, its bytes and its page (or what makes them); ``article``: what makes a chapter's
    page. Neither the clock nor a random source reaches
    the book."""
    book = epub.EpubBook()
    # The constructor adds <meta name="generator" content="Ebook-lib 0.20.0">: the book names no
    # tool (and a rebuild with another ebooklib release must not change the bytes).
    del book.metadata[epub.NAMESPACES["OPF"]]["generator"]
    book.FOLDER_NAME = CONTENT_DIR
    book.IDENTIFIER_ID = IDENTIFIER_ID
    book.set_identifier(plan.identifier)  # replaces the random uuid4 the constructor set
    _add_metadata(book, plan)
    if plan.direction == "rtl":  # package@dir and spine@page-progression-direction
        book.set_direction("rtl")

    def page(item_id: str, file_name: str, data: Content, *properties: str) -> epub.EpubItem:
        item = _item(item_id, file_name, XHTML, data)
        item.properties = [p for p in properties if p]  # the manifest writes them for any item
        return book.add_item(item)

    def other(item_id: str, file_name: str, media_type: str, data: Content) -> None:
        book.add_item(_item(item_id, file_name, media_type, data))

    page("nav", NAV_FILE, files[NAV_FILE], "nav")
    other("ncx", NCX_FILE, "application/x-dtbncx+xml", files[NCX_FILE])  # spine@toc is "ncx"
    other("css", STYLESHEET_FILE, "text/css", files[STYLESHEET_FILE])
    spine: list[epub.EpubItem] = []
    guide = [
        ("title-page", TITLE_PAGE_FILE, "Title page"),
        ("toc", TOC_PAGE_FILE, "Contents"),
        ("text", plan.chapters[0].file_name, "Start"),
    ]
    if cover is not None:
        image, image_data, cover_page = cover
        # set_cover adds the image as item "cover-img" with properties="cover-image" and
        # <meta name="cover" content="cover-img"/>. Its own cover page (an <img>) is not used:
        # ours scales the image to any screen with an SVG wrapper.
        if callable(image_data):
            book.set_cover(image.file_name, b"", create_page=False)
            added = book.items[-1]
            book.items[-1] = _CoverMadeOnWrite(image_data, file_name=image.file_name)
            book.items[-1].media_type = added.media_type
        else:
            book.set_cover(image.file_name, image_data, create_page=False)
        spine.append(page("cover", COVER_PAGE_FILE, cover_page, "svg"))
        guide.insert(0, ("cover", COVER_PAGE_FILE, "Cover"))
    spine.append(page("titlepage", TITLE_PAGE_FILE, files[TITLE_PAGE_FILE]))
    spine.append(page("contents", TOC_PAGE_FILE, files[TOC_PAGE_FILE]))
    before = list(book.items)
    for resource in plan.resources:
        other(resource.item_id, resource.file_name, resource.media_type, resource.data)

    def chapter_page(chapter: Chapter) -> epub.EpubItem:
        item = _item(chapter.item_id, chapter.file_name, XHTML, lambda: article(chapter))
        item.properties = [p for p in (_page_properties(chapter),) if p]
        return item

    def spine_entry(chapter: Chapter) -> epub.EpubItem:  # the spine reads the id alone
        return epub.EpubItem(uid=chapter.item_id, file_name=chapter.file_name, media_type=XHTML)

    book.items = _WithPages(before, plan.chapters, chapter_page, book.items[len(before) :])
    book.spine = _WithPages(spine, plan.chapters, spine_entry, [])
    # EPUB 2 guide: Kindle still reads the cover, contents and start position from it.
    book.guide = [{"type": kind, "href": href, "title": title} for kind, href, title in guide]
    return book


def _page_properties(chapter: Chapter) -> str:
    return "mathml" if has_mathml(chapter.article.content_html) else ""


def _add_metadata(book: epub.EpubBook, plan: BookPlan) -> None:
    """dc:* elements and <meta>s through ebooklib's metadata API. ebooklib writes
    ``dcterms:modified`` (the writer's ``mtime`` option) first, then the dc:* elements, then the
    <meta>s in the order they are added here. Every value goes through ``xml_text``: lxml refuses
    characters XML forbids, and ebooklib then drops the element without a word."""
    series = plan.book.series
    book.set_title(plan.title)
    if series is not None:
        # calibre and Kobo read the series from these two (EPUB 3 readers from the
        # belongs-to-collection below); they are the first <meta>s after dcterms:modified.
        name, index = xml_text(series.name), series.index_label
        book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": name})
        book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": index})
    for number, author in enumerate(plan.creators, start=1):
        if author.name.strip():  # dc:creator and its <meta refines=... property="role">aut</meta>
            book.add_author(xml_text(author.name), role="aut", uid=f"creator{number}")
    book.set_language(plan.language)
    book.add_metadata("DC", "date", iso_datetime(plan.last_published))
    titles = (xml_text(feed.title) for feed in plan.feeds)
    publishers = list(dict.fromkeys(title for title in titles if title))
    if publishers:
        book.add_metadata("DC", "publisher", "; ".join(publishers))
    feed_sources = (
        feed.url if urlsplit(feed.url).scheme in ("http", "https") else feed.site
        for feed in plan.feeds
    )
    for source in dict.fromkeys(feed_sources):  # each address once
        if urlsplit(source).scheme in ("http", "https"):
            book.add_metadata("DC", "source", xml_text(source))
    for subject in plan.subjects:
        book.add_metadata("DC", "subject", subject)
    book.add_metadata("DC", "description", xml_text(_description(plan)))
    if series is not None:
        collection = {"property": "belongs-to-collection", "id": "series"}
        book.add_metadata(None, "meta", xml_text(series.name), collection)
        refines = [("collection-type", "series"), ("group-position", series.index_label)]
        for name, value in refines:
            book.add_metadata(None, "meta", value, {"refines": "#series", "property": name})


def _description(plan: BookPlan) -> str:
    """Each fact once, in the book's language: "26 April – 25 May 2026 — 28 articles"; the
    author only when not the title, the subtitle only when not the span of dates."""
    span = i18n.date_range(plan.first_published, plan.last_published, plan.language)
    authors = names(plan.creators)
    parts = [
        plan.book.subtitle.strip(),
        series_label(plan),
        "" if authors.casefold() == plan.title.casefold() else authors,
        span,
        i18n.count(plan.language, "articles", len(plan.chapters)),
    ]
    return " — ".join(dict.fromkeys(part for part in parts if part))


def toc_ncx_parts(plan: BookPlan) -> Iterator[str]:
    """The NCX mirrors the nav document; a section points at its first article and so shares
    that article's playOrder (NCX requires one playOrder per target: an article's is its place
    in the book, file names being unique). In pieces, one navPoint at a time."""
    authors = names(plan.creators)
    yield (
        _XML_DECLARATION + '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"'
        f' xml:lang="{esc(plan.language)}">\n<head>\n'
        f'<meta name="dtb:uid" content="{plan.identifier}"/>\n'
        f'<meta name="dtb:depth" content="{2 if plan.nested else 1}"/>\n'
        '<meta name="dtb:totalPageCount" content="0"/>\n'
        '<meta name="dtb:maxPageNumber" content="0"/>\n</head>\n'
        f"<docTitle><text>{esc(plan.title)}</text></docTitle>\n"
        + (f"<docAuthor><text>{esc(authors)}</text></docAuthor>\n" if authors else "")
        + "<navMap>\n"
    )
    counter = 0  # navPoint ids: a section's comes after its articles'
    play_order = 0  # of the last article written
    separator = ""  # between top-level navPoints
    for group in plan.groups:
        if group.title:
            section = counter + len(group.chapters) + 1
            first = group.chapters[0].file_name
            yield separator + _nav_point(section, play_order + 1, group.title, first) + "\n"
        for number, chapter in enumerate(group.chapters):
            counter += 1
            play_order += 1
            label = entry_title(plan, group, chapter)
            before = ("\n" if number else "") if group.title else separator
            yield before + _nav_point(counter, play_order, label, chapter.file_name) + "</navPoint>"
            separator = "\n"
        if group.title:
            counter += 1
            yield "\n</navPoint>"
    yield "\n</navMap>\n</ncx>\n"


def _nav_point(number: int, play_order: int, label: str, href: str) -> str:
    """An NCX navPoint's opening, label and target (its children and end tag follow)."""
    return (
        f'<navPoint id="navpoint-{number}" playOrder="{play_order}">'
        f"<navLabel><text>{esc(label)}</text></navLabel>"
        f'<content src="{href}"/>'
    )
