"""Lists, definition lists and tables for the clean stage: rebuilt so their structure is valid.

Feeds nest lists directly in lists, put text straight into ``<ul>``, lay pages out with
one-cell tables and leave rows outside ``<tbody>``; the output always has ``li`` inside
``ul``/``ol``, ``tr`` inside a table section and cells inside rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lxml import etree

from feed2book.clean.rules import LISTS, TABLE_SECTIONS
from feed2book.xhtml.sink import (
    Sink,
    append_text,
    finish,
    is_empty,
    last_child,
    remove_keep_tail,
    unwrap,
)

if TYPE_CHECKING:
    from feed2book.clean.html import _Cleaner


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
        if child.tag == "li" and not cleaner.exhausted(listing):
            cleaner.budget -= 1
            _close_item(item_sink)
            item_sink = _new_item(listing, child, sink, cleaner)
            cleaner.children(child, item_sink, base)
        elif isinstance(child.tag, str) or cleaner.exhausted(listing):
            # A list nested straight in a list, or stray content: into the last item.
            item_sink = item_sink or _new_item(listing, None, sink)
            if not cleaner.descend(child, item_sink, base):
                break
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
    """A ``<dl>`` that starts with a ``<dt>``, as (X)HTML requires: what comes before the first
    term that has content is ordinary flow before the list."""
    if not sink.blocks:
        cleaner.unwrap_block(source, sink, base)
        return
    definitions: etree._Element | None = None
    parts = _flatten_groups(source)
    for position, part in enumerate(parts):
        started = definitions is not None and last_child(definitions) is not None
        if not started:
            if isinstance(part, str):
                cleaner.text(part, sink)
                continue
            if part.tag == "dt" and not cleaner.exhausted(sink.container):
                if definitions is None:
                    definitions = cleaner.copy_attributes(source, sink.add_block("dl"))
                cleaner.budget -= 1
                cleaner.text_block(part, Sink(definitions, blocks=True, link=sink.link), base)
                continue
            if definitions is not None:  # a first term that came out empty: no list yet
                remove_keep_tail(definitions)
                definitions = None
            if cleaner.exhausted(sink.container):
                cleaner.rest_as_text(_detached(parts[position:]), sink)
                break
            cleaner.budget -= 1
            cleaner.unwrap_block(part, sink, base)  # a description without a term
            continue
        assert definitions is not None
        if isinstance(part, str):  # stray text in the list: kept as a description
            if part.strip():
                item = _description(definitions, sink)
                cleaner.text(part, item)
                _close_item(item)
        elif cleaner.exhausted(definitions):
            item = _description(definitions, sink)
            cleaner.rest_as_text(_detached(parts[position:]), item)
            _close_item(item)
            break
        elif part.tag == "dt":
            cleaner.budget -= 1
            cleaner.text_block(part, Sink(definitions, blocks=True, link=sink.link), base)
        else:
            cleaner.budget -= 1
            item = _description(definitions, sink)
            if part.tag == "dd":
                cleaner.copy_attributes(part, item.container)
                cleaner.children(part, item, base)
            else:
                cleaner.descend(part, item, base)
            _close_item(item)
    if definitions is not None and last_child(definitions) is None:
        remove_keep_tail(definitions)
    elif definitions is not None:
        _complete_definitions(definitions)


def _complete_definitions(definitions: etree._Element) -> None:
    """Every term has a description, as (X)HTML requires: a list of terms only becomes
    paragraphs; terms left at the end share an empty description."""
    if definitions.find("dd") is None:
        for term in definitions:
            term.tag = "p"
        identifier = definitions.get("id")
        if identifier and definitions[0].get("id") is None:
            definitions[0].set("id", identifier)  # a link target stays
        unwrap(definitions)
    elif definitions[-1].tag == "dt":
        etree.SubElement(definitions, "dd").text = ""


def _description(definitions: etree._Element, outer: Sink) -> Sink:
    return Sink(etree.SubElement(definitions, "dd"), blocks=True, link=outer.link)


def _flatten_groups(source: etree._Element) -> list[etree._Element | str]:
    """The dt/dd children of a dl and the text between them, looking through the <div> groups
    HTML allows (however deeply they nest: no recursion). Tails become texts of their own."""
    found: list[etree._Element | str] = [source.text or ""]
    pending: list[tuple[Iterator[etree._Element], str]] = [(iter(source), "")]
    while pending:
        children, group_tail = pending[-1]
        child = next(children, None)
        if child is None:
            pending.pop()
            found.append(group_tail)  # a group's tail follows its content
            continue
        tail, child.tail = child.tail or "", None
        if child.tag == "div":
            found.append(child.text or "")
            pending.append((iter(child), tail))
            continue
        if isinstance(child.tag, str):
            found.append(child)
        found.append(tail)
    return found


def _detached(parts: Sequence[etree._Element | str]) -> etree._Element:
    """``parts`` moved (tails and all) into a new ``<div>``, to be read as text at once."""
    holder = etree.Element("div")
    for part in parts:
        if isinstance(part, str):
            append_text(holder, part)
        else:
            holder.append(part)
    return holder


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


def _own_cells(source: etree._Element) -> list[etree._Element]:
    """The caption and the cells of this table (rows in sections or not; cells without a row),
    in order: not those of the tables nested in them."""
    found: list[etree._Element] = []
    for child in source:
        if child.tag in ("caption", "td", "th"):
            found.append(child)
        elif child.tag == "tr":
            found.extend(_cells(child))
        elif child.tag in TABLE_SECTIONS:
            for row in child:
                if row.tag == "tr":
                    found.extend(_cells(row))
                elif row.tag in ("td", "th"):
                    found.append(row)
    return found


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
        inner.close()
        finish(figure)
        return
    layout = len(rows) <= 1 and all(len(_cells(row)) <= 1 for _, row in rows)
    if layout or not sink.blocks or any(c.tag in LISTS for c in source):
        # A one-cell table is page layout, and a table inside text cannot stay a table. Only
        # its own cells: those of a table nested in a cell are that table's (walking them here
        # too would copy them once per level of nesting, 2^n times in all).
        for child in _own_cells(source):
            cleaner.unwrap_block(child, sink, base)
        return
    table = cleaner.copy_attributes(source, sink.add_block("table"))
    caption = source.find("caption")
    if caption is not None:
        cleaner.text_block(caption, Sink(table, blocks=True, link=sink.link), base)
    sections: dict[str, etree._Element] = {}
    leftover: etree._Element | None = None
    for position, (section_tag, row) in enumerate(rows):
        if cleaner.exhausted(table):
            leftover = _detached([r for _, r in rows[position:]])
            break
        cleaner.budget -= len(row) + 1
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
    if leftover is not None:  # rows past the limits: their text after the table
        cleaner.rest_as_text(leftover, sink)


def _order_sections(table: etree._Element) -> None:
    """caption, thead, tbody, tfoot: the order XHTML requires."""
    order = {"caption": 0, "thead": 1, "tbody": 2, "tfoot": 3}
    children = sorted(table, key=lambda child: order.get(str(child.tag), 2))
    for child in children:
        table.append(child)
