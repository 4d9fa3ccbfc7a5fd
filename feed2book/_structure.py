"""Lists, definition lists and tables for the clean stage: rebuilt so their structure is valid.

Feeds nest lists directly in lists, put text straight into ``<ul>``, lay pages out with
one-cell tables and leave rows outside ``<tbody>``; the output always has ``li`` inside
``ul``/``ol``, ``tr`` inside a table section and cells inside rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from feed2book._sink import Sink, finish, is_empty, remove_keep_tail
from feed2book.htmlrules import LISTS, TABLE_SECTIONS

if TYPE_CHECKING:
    from feed2book.clean import _Cleaner


def build_list(cleaner: _Cleaner, source: etree._Element, sink: Sink, base: str | None) -> None:
    if not sink.blocks:
        cleaner.unwrap_block(source, sink, base)
        return
    tag = "ol" if source.tag == "ol" else "ul"
    listing = cleaner.copy_attributes(source, sink.add_block(tag))
    item_sink: Sink | None = None
    if source.text and source.text.strip():
        item_sink = _new_item(listing, None, sink)
        cleaner.text(source.text, item_sink)
    for child in source:
        if isinstance(child.tag, str):
            if child.tag == "li":
                _close_item(item_sink)
                item_sink = _new_item(listing, child, sink, cleaner)
                cleaner.children(child, item_sink, base)
            else:  # a list nested straight in a list, or stray content: into the last item
                item_sink = item_sink or _new_item(listing, None, sink)
                cleaner.element(child, item_sink, base)
        if child.tail and child.tail.strip():
            item_sink = item_sink or _new_item(listing, None, sink)
            cleaner.text(child.tail, item_sink)
    _close_item(item_sink)
    if not len(listing):
        remove_keep_tail(listing)


def _new_item(
    listing: etree._Element,
    source: etree._Element | None,
    outer: Sink,
    cleaner: _Cleaner | None = None,
) -> Sink:
    item = etree.SubElement(listing, "li")
    if source is not None and cleaner is not None:
        cleaner.copy_attributes(source, item)
    return Sink(item, blocks=True, link=outer.link)


def _close_item(item_sink: Sink | None) -> None:
    if item_sink is None:
        return
    item_sink.close()
    finish(item_sink.container)
    if is_empty(item_sink.container):
        remove_keep_tail(item_sink.container)


def build_definitions(
    cleaner: _Cleaner, source: etree._Element, sink: Sink, base: str | None
) -> None:
    if not sink.blocks:
        cleaner.unwrap_block(source, sink, base)
        return
    definitions = cleaner.copy_attributes(source, sink.add_block("dl"))
    inner = Sink(definitions, link=sink.link)
    for child in _flatten_groups(source):
        if child.tag == "dt":
            cleaner.text_block(child, Sink(definitions, blocks=True, link=sink.link), base)
        else:
            term = etree.SubElement(definitions, "dd")
            if child.tag == "dd":
                cleaner.copy_attributes(child, term)
            item = Sink(term, blocks=True, link=inner.link)
            cleaner.children(child, item, base) if child.tag == "dd" else cleaner.element(
                child, item, base
            )
            item.close()
            finish(term)
            if is_empty(term):
                remove_keep_tail(term)
    if not len(definitions):
        remove_keep_tail(definitions)


def _flatten_groups(source: etree._Element) -> list[etree._Element]:
    """The dt/dd children of a dl, looking through the <div> groups HTML allows."""
    found: list[etree._Element] = []
    for child in source:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "div":
            found.extend(_flatten_groups(child))
        else:
            found.append(child)
    return found


def _rows(source: etree._Element) -> list[tuple[str, etree._Element]]:
    """Every row of a table with the section it belongs in (direct rows go to tbody)."""
    rows: list[tuple[str, etree._Element]] = []
    for child in source:
        if child.tag == "tr":
            rows.append(("tbody", child))
        elif child.tag in TABLE_SECTIONS:
            rows.extend((str(child.tag), row) for row in child if row.tag == "tr")
    return rows


def _cells(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row if cell.tag in {"td", "th"}]


def build_table(cleaner: _Cleaner, source: etree._Element, sink: Sink, base: str | None) -> None:
    rows = _rows(source)
    classes = (source.get("class") or "").split()
    if "tr-caption-container" in classes and sink.blocks:  # Blogger's captioned image
        figure = sink.add_block("figure")
        inner = Sink(figure, blocks=True, link=sink.link)
        for _, row in rows:
            for cell in _cells(row):
                if "tr-caption" in (cell.get("class") or "").split():
                    cleaner.text_block(cell, inner, base, "figcaption")
                else:
                    cleaner.children(cell, inner, base)
        finish(figure)
        return
    layout = len(rows) <= 1 and all(len(_cells(row)) <= 1 for _, row in rows)
    if layout or not sink.blocks or any(c.tag in LISTS for c in source):
        # A one-cell table is page layout, and a table inside text cannot stay a table.
        for child in source.iter("caption", "td", "th"):
            cleaner.unwrap_block(child, sink, base)
        return
    table = cleaner.copy_attributes(source, sink.add_block("table"))
    caption = source.find("caption")
    if caption is not None:
        cleaner.text_block(caption, Sink(table, blocks=True, link=sink.link), base)
    sections: dict[str, etree._Element] = {}
    for section_tag, row in rows:
        if section_tag not in sections:
            sections[section_tag] = etree.SubElement(table, section_tag)
        out_row = etree.SubElement(sections[section_tag], "tr")
        for cell in _cells(row):
            out_cell = cleaner.copy_attributes(cell, etree.SubElement(out_row, str(cell.tag)))
            cell_sink = Sink(out_cell, blocks=True, link=sink.link)
            cleaner.children(cell, cell_sink, base)
            cell_sink.close()
            finish(out_cell)
            if out_cell.text is None and not len(out_cell):
                out_cell.text = ""  # serialise as <td></td>, which HTML parsers read back
        if not len(out_row):
            remove_keep_tail(out_row)
    for section in sections.values():
        if not len(section):
            remove_keep_tail(section)
    _order_sections(table)
    if not any(child.tag in TABLE_SECTIONS for child in table):
        remove_keep_tail(table)


def _order_sections(table: etree._Element) -> None:
    """caption, thead, tbody, tfoot: the order XHTML requires."""
    order = {"caption": 0, "thead": 1, "tbody": 2, "tfoot": 3}
    children = sorted(table, key=lambda child: order.get(str(child.tag), 2))
    for child in children:
        table.append(child)
