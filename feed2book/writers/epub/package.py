"""The package files: ``META-INF/container.xml``, the OPF (metadata, manifest, spine, guide) and
the EPUB 2 NCX that older readers use for their table of contents."""

from __future__ import annotations

from urllib.parse import urlsplit

from feed2book.writers.epub.pages import names, series_label
from feed2book.writers.epub.plan import (
    COVER_PAGE_FILE,
    NAV_FILE,
    NCX_FILE,
    OPF_FILE,
    STYLESHEET_FILE,
    TITLE_PAGE_FILE,
    TOC_PAGE_FILE,
    BookPlan,
    Chapter,
    esc,
    iso_date,
    iso_datetime,
)
from feed2book.xhtml.content import has_mathml

CONTENT_DIR = "OEBPS"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def container_xml() -> str:
    return (
        _XML_DECLARATION
        + '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
        "<rootfiles>\n"
        f'<rootfile full-path="{CONTENT_DIR}/{OPF_FILE}"'
        ' media-type="application/oebps-package+xml"/>\n'
        "</rootfiles>\n</container>\n"
    )


def package_opf(plan: BookPlan) -> str:
    rtl = ' dir="rtl"' if plan.direction == "rtl" else ""
    return (
        _XML_DECLARATION
        + '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="bookid"'
        f' xml:lang="{esc(plan.language)}"{rtl}>\n'
        + _metadata(plan)
        + _manifest(plan)
        + _spine(plan)
        + _guide(plan)
        + "</package>\n"
    )


def _metadata(plan: BookPlan) -> str:
    book = plan.book
    lines = [
        f'<dc:identifier id="bookid">{plan.identifier}</dc:identifier>',
        f'<dc:title id="title">{esc(plan.title)}</dc:title>',
    ]
    lines += [
        f'<dc:creator id="creator{number}">{esc(author.name)}</dc:creator>'
        for number, author in enumerate(plan.creators, start=1)
        if author.name.strip()
    ]
    lines.append(f"<dc:language>{esc(plan.language)}</dc:language>")
    lines.append(f"<dc:date>{iso_datetime(plan.last_published)}</dc:date>")
    publishers = list(
        dict.fromkeys(feed.title.strip() for feed in plan.feeds if feed.title.strip())
    )
    if publishers:
        lines.append(f"<dc:publisher>{esc('; '.join(publishers))}</dc:publisher>")
    for feed in plan.feeds:
        source = feed.url if urlsplit(feed.url).scheme in ("http", "https") else feed.site
        if urlsplit(source).scheme in ("http", "https"):
            lines.append(f"<dc:source>{esc(source)}</dc:source>")
    lines += [f"<dc:subject>{esc(subject)}</dc:subject>" for subject in plan.subjects]
    lines.append(f"<dc:description>{esc(_description(plan))}</dc:description>")
    # calibre reads the series from these two, in this order, before any other meta.
    if book.series is not None:
        lines.append(f'<meta name="calibre:series" content="{esc(book.series.name)}"/>')
        index = book.series.index_label
        lines.append(f'<meta name="calibre:series_index" content="{index}"/>')
    if plan.cover is not None:
        lines.append(f'<meta name="cover" content="{plan.cover.item_id}"/>')
    lines.append(f'<meta property="dcterms:modified">{iso_datetime(plan.last_modified)}</meta>')
    lines += [
        f'<meta refines="#creator{number}" property="role" scheme="marc:relators">aut</meta>'
        for number, author in enumerate(plan.creators, start=1)
        if author.name.strip()
    ]
    if book.series is not None:
        lines += [
            f'<meta property="belongs-to-collection" id="series">{esc(book.series.name)}</meta>',
            '<meta refines="#series" property="collection-type">series</meta>',
            f'<meta refines="#series" property="group-position">{book.series.index_label}</meta>',
        ]
    return (
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        + "\n".join(lines)
        + "\n</metadata>\n"
    )


def _description(plan: BookPlan) -> str:
    count = len(plan.chapters)
    first, last = iso_date(plan.first_published), iso_date(plan.last_published)
    span = first if first == last else f"{first} to {last}"
    parts = [plan.book.subtitle.strip(), series_label(plan), names(plan.creators)]
    summary = f"{count} article{'' if count == 1 else 's'}, {span}."
    return " — ".join(part for part in parts if part) + (" — " if any(parts) else "") + summary


def _manifest(plan: BookPlan) -> str:
    items = [
        ("nav", NAV_FILE, "application/xhtml+xml", "nav"),
        ("ncx", NCX_FILE, "application/x-dtbncx+xml", ""),
        ("css", STYLESHEET_FILE, "text/css", ""),
    ]
    if plan.cover is not None:
        cover = plan.cover
        items.append((cover.item_id, cover.file_name, cover.media_type, "cover-image"))
        items.append(("cover", COVER_PAGE_FILE, "application/xhtml+xml", "svg"))
    items.append(("titlepage", TITLE_PAGE_FILE, "application/xhtml+xml", ""))
    items.append(("contents", TOC_PAGE_FILE, "application/xhtml+xml", ""))
    items += [
        (c.item_id, c.file_name, "application/xhtml+xml", _page_properties(c))
        for c in plan.chapters
    ]
    items += [(r.item_id, r.file_name, r.media_type, "") for r in plan.resources]
    lines = [
        f'<item id="{item_id}" href="{esc(href)}" media-type="{esc(media_type)}"'
        + (f' properties="{properties}"' if properties else "")
        + "/>"
        for item_id, href, media_type, properties in items
    ]
    return "<manifest>\n" + "\n".join(lines) + "\n</manifest>\n"


def _page_properties(chapter: Chapter) -> str:
    return "mathml" if has_mathml(chapter.article.content_html) else ""


def _spine(plan: BookPlan) -> str:
    item_ids = ["cover"] if plan.cover is not None else []
    item_ids += ["titlepage", "contents"] + [chapter.item_id for chapter in plan.chapters]
    direction = ' page-progression-direction="rtl"' if plan.direction == "rtl" else ""
    refs = "\n".join(f'<itemref idref="{item_id}"/>' for item_id in item_ids)
    return f'<spine toc="ncx"{direction}>\n{refs}\n</spine>\n'


def _guide(plan: BookPlan) -> str:
    """EPUB 2 guide: Kindle still reads the cover, contents and start position from it."""
    references = [
        ("title-page", TITLE_PAGE_FILE, "Title page"),
        ("toc", TOC_PAGE_FILE, "Contents"),
        ("text", plan.chapters[0].file_name, "Start"),
    ]
    if plan.cover is not None:
        references.insert(0, ("cover", COVER_PAGE_FILE, "Cover"))
    lines = [
        f'<reference type="{kind}" href="{href}" title="{title}"/>'
        for kind, href, title in references
    ]
    return "<guide>\n" + "\n".join(lines) + "\n</guide>\n"


def toc_ncx(plan: BookPlan) -> str:
    """The NCX mirrors the nav document; a section points at its first article and so shares
    that article's playOrder (NCX requires one playOrder per target)."""
    play_order: dict[str, int] = {}
    for chapter in plan.chapters:
        play_order.setdefault(chapter.file_name, len(play_order) + 1)
    points: list[str] = []
    counter = 0

    def nav_point(label: str, href: str, children: str = "") -> str:
        nonlocal counter
        counter += 1
        return (
            f'<navPoint id="navpoint-{counter}" playOrder="{play_order[href]}">'
            f"<navLabel><text>{esc(label)}</text></navLabel>"
            f'<content src="{href}"/>{children}</navPoint>'
        )

    for group in plan.groups:
        if group.title:
            first = group.chapters[0].file_name
            inner = "\n".join(nav_point(c.title, c.file_name) for c in group.chapters)
            points.append(nav_point(group.title, first, f"\n{inner}\n"))
        else:
            points += [nav_point(c.title, c.file_name) for c in group.chapters]
    authors = names(plan.creators)
    return (
        _XML_DECLARATION + '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"'
        f' xml:lang="{esc(plan.language)}">\n<head>\n'
        f'<meta name="dtb:uid" content="{plan.identifier}"/>\n'
        f'<meta name="dtb:depth" content="{2 if plan.nested else 1}"/>\n'
        '<meta name="dtb:totalPageCount" content="0"/>\n'
        '<meta name="dtb:maxPageNumber" content="0"/>\n</head>\n'
        f"<docTitle><text>{esc(plan.title)}</text></docTitle>\n"
        + (f"<docAuthor><text>{esc(authors)}</text></docAuthor>\n" if authors else "")
        + "<navMap>\n"
        + "\n".join(points)
        + "\n</navMap>\n</ncx>\n"
    )
