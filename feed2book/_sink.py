"""Tree-building helpers for the clean stage: where inline content goes, and tidying up.

A ``Sink`` is the place the walk is currently writing into. Block containers (the fragment
root, a blockquote) wrap stray inline content in a ``<p>``; list items and table cells accept
it bare; paragraphs, headings and inline elements accept inline content only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from lxml import etree

BLOCKS: Final = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "blockquote", "figure", "figcaption", "pre", "table", "caption", "thead", "tbody",
        "tfoot", "tr", "td", "th", "hr",
    }
)  # fmt: skip


@dataclass(slots=True)
class Sink:
    """Where the walk writes: ``container`` plus the paragraph currently open in it."""

    container: etree._Element
    wrap: bool = False  # stray inline content gets its own <p>
    blocks: bool = False  # block elements may be added (else they are flattened)
    link: bool = False  # inside an <a>: no nested links
    target: etree._Element | None = None  # the open paragraph
    auto: bool = False  # ``target`` was opened by the walk, not by a <p> in the source
    resume: bool = False  # a source <p> was split by a block: its rest goes into a new <p>
    pending_break: bool = False  # a flattened block ended: a <br> before any further text
    attributes: dict[str, str] = field(default_factory=dict)  # dir/lang of unwrapped wrappers

    def inline_parent(self) -> etree._Element:
        """The element inline content goes into, opening a paragraph when one is needed."""
        if not self.blocks:
            parent = self.container
        elif self.target is None:
            if not (self.wrap or self.resume):
                parent = self.container
            else:
                self.target = etree.SubElement(self.container, "p", self.attributes)
                self.auto = True
                parent = self.target
        else:
            parent = self.target
        if self.pending_break:
            self.pending_break = False
            if _ends_inline(parent):
                etree.SubElement(parent, "br")
        return parent

    def add_block(self, tag: str) -> etree._Element:
        """Append a block element, ending the open paragraph first."""
        self.end_paragraph()
        self.pending_break = False
        return etree.SubElement(self.container, tag, self.attributes)

    def end_paragraph(self) -> None:
        if self.target is not None:
            self.resume = self.resume or not self.auto
            self.close()

    def close(self) -> None:
        if self.target is not None:
            finish(self.target)
            if is_empty(self.target):
                remove_keep_tail(self.target)
            self.target = None

    def boundary(self) -> None:
        """A block wrapper (a <div>) starts or ends here: separate the text around it."""
        if self.target is not None:
            self.end_paragraph()
        elif not (self.blocks and self.wrap) and _ends_inline(self.container):
            self.pending_break = True

    def line_break(self) -> None:
        """A <br>; two in a row end a paragraph the walk opened (Blogger's paragraphs)."""
        parent = self.inline_parent()
        if self.auto and parent is self.target and len(parent):
            last = parent[-1]
            if last.tag == "br" and not (last.tail or "").strip():
                last.tail = None
                parent.remove(last)
                self.close()
                return
        etree.SubElement(parent, "br")


def _ends_inline(element: etree._Element) -> bool:
    if not len(element):
        return bool((element.text or "").strip())
    last = element[-1]
    return bool((last.tail or "").strip()) or last.tag not in BLOCKS | {"br"}


def append_text(parent: etree._Element, text: str) -> None:
    """Add text at the end of ``parent``; collapsed spaces stay single across the join."""
    if len(parent):
        last = parent[-1]
        if text.startswith(" ") and ((last.tail or "").endswith(" ") or last.tag == "br"):
            text = text[1:] if last.tail or last.tag != "br" else text.lstrip(" ")
        last.tail = (last.tail or "") + text
    else:
        if text.startswith(" ") and (parent.text or "").endswith(" "):
            text = text[1:]
        parent.text = (parent.text or "") + text


def is_empty(element: etree._Element) -> bool:
    """No text and nothing but line breaks inside."""
    if (element.text or "").strip():
        return False
    return all(child.tag == "br" and not (child.tail or "").strip() for child in element)


def remove_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def unwrap(element: etree._Element) -> None:
    """Replace ``element`` by its content (collapsed spaces stay single at the joins)."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if element.text:
        if previous is not None:
            previous.tail = _join(previous.tail, element.text)
        else:
            parent.text = _join(parent.text, element.text)
    index = parent.index(element)
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    last = children[-1] if children else previous
    if element.tail:
        if last is not None:
            last.tail = _join(last.tail, element.tail)
        else:
            parent.text = _join(parent.text, element.tail)
    element.tail = None
    parent.remove(element)


def _join(before: str | None, after: str) -> str:
    before = before or ""
    return before + after[1:] if before.endswith(" ") and after.startswith(" ") else before + after


def finish(element: etree._Element) -> None:
    """Trim the whitespace and line breaks a block starts or ends with, or has around blocks."""
    _strip_start(element)
    _strip_end(element)
    for child in list(element):
        if child.tag in BLOCKS:
            _strip_before(child)
        if child.tag in BLOCKS and child.tail is not None and not child.tail.strip():
            child.tail = None
        elif child.tag == "br" and not (child.tail or "").strip():
            following = child.getnext()
            if following is not None and following.tag in BLOCKS:
                remove_keep_tail(child)


def _strip_start(element: etree._Element) -> None:
    while True:
        if (element.text or "").strip():
            element.text = (element.text or "").lstrip()
            return
        element.text = None
        if not len(element):
            return
        first = element[0]
        if first.tag == "br":
            remove_keep_tail(first)
            continue
        if first.tag in BLOCKS or first.tag == "img":
            return
        _strip_start(first)
        if first.text is None and not len(first):  # nothing left in it: <b><br/></b>
            remove_keep_tail(first)
            continue
        return


def _strip_end(element: etree._Element) -> None:
    while True:
        if not len(element):
            element.text = (element.text or "").rstrip() or None
            return
        last = element[-1]
        if (last.tail or "").strip():
            last.tail = (last.tail or "").rstrip()
            return
        last.tail = None
        if last.tag == "br":
            element.remove(last)
            continue
        if last.tag in BLOCKS or last.tag == "img":
            return
        _strip_end(last)
        if last.text is None and not len(last):
            element.remove(last)
            continue
        return


def _strip_before(block: etree._Element) -> None:
    """No trailing space in the text just before a block (``<li>Fruit <ul>``)."""
    previous = block.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "").rstrip() or None
    elif block.getparent() is not None:
        parent = block.getparent()
        assert parent is not None
        parent.text = (parent.text or "").rstrip() or None


def text_content(element: etree._Element) -> str:
    """All the text inside ``element`` (not its tail)."""
    return str(etree.tostring(element, method="text", encoding="unicode", with_tail=False))
