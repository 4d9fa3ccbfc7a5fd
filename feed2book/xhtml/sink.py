"""Tree-building helpers for the clean stage: where inline content goes, and tidying up.

A ``Sink`` is the place the walk is currently writing into. Block containers (the fragment
root, a blockquote) wrap stray inline content in a ``<p>``; list items and table cells accept
it bare; paragraphs, headings and inline elements accept inline content only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Final

from lxml import etree

BLOCKS: Final = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "blockquote", "figure", "figcaption", "pre", "table", "caption", "thead", "tbody",
        "tfoot", "tr", "td", "th", "hr",
    }
)  # fmt: skip


# Source elements whose text plain_text keeps apart from its neighbours.
_SEPARATED: Final = BLOCKS | {
    "br", "div", "section", "article", "header", "footer", "aside", "nav", "main", "details",
}  # fmt: skip


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
    # Text not yet written into ``_text_parent``: appending to an lxml text costs its length, so
    # a run of thousands of pieces (``<span>a</span><span>b</span>``…) is joined once instead.
    _text: list[str] = field(default_factory=list)
    _text_parent: etree._Element | None = None
    _level: int = -1  # how deep ``container`` sits in its tree, once asked (it stays there)

    def level(self) -> int:
        """How many ancestors ``container`` has (the walk asks before each element it adds)."""
        if self._level < 0:
            self._level = sum(1 for _ in self.container.iterancestors())
        return self._level

    def add_text(self, text: str) -> None:
        """Append inline text where it belongs (spaces at the joins stay single)."""
        opens = self.target is None and self.blocks and (self.wrap or self.resume)
        if self.pending_break or opens:
            parent = self.inline_parent()  # writes pending text, opens a <p> or adds the <br>
        elif self.blocks and self.target is not None:
            parent = self.target
        else:
            parent = self.container
        if parent is not self._text_parent:
            self.flush()
            self._text_parent = parent
        elif text.startswith(" ") and self._text and self._text[-1].endswith(" "):
            text = text[1:]
        if text:  # an empty piece would hide the space before it from the next one
            self._text.append(text)

    def flush(self) -> None:
        """Write pending text into the tree: done before anything else reads or changes it."""
        if self._text_parent is not None:
            append_text(self._text_parent, "".join(self._text))
            self._text.clear()
            self._text_parent = None

    def inline_parent(self) -> etree._Element:
        """The element inline content goes into, opening a paragraph when one is needed.

        Pending text is written first: the caller is about to add an element after it.
        """
        self.flush()
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
        self.flush()
        self.end_paragraph()
        self.pending_break = False
        return etree.SubElement(self.container, tag, self.attributes)

    def end_paragraph(self) -> None:
        if self.target is not None:
            self.resume = self.resume or not self.auto
            self.close()

    def close(self) -> None:
        """Write pending text and end the open paragraph (removed when it stayed empty)."""
        self.flush()
        if self.target is not None:
            finish(self.target)
            if is_empty(self.target):
                remove_keep_tail(self.target)
            self.target = None

    def boundary(self) -> None:
        """A block wrapper (a <div>) starts or ends here: separate the text around it."""
        self.flush()
        if self.target is not None:
            self.end_paragraph()
        elif not (self.blocks and self.wrap) and _ends_inline(self.container):
            self.pending_break = True

    def line_break(self) -> None:
        """A <br>; two in a row end a paragraph the walk opened (Blogger's paragraphs)."""
        parent = self.inline_parent()
        last = last_child(parent)
        if (
            self.auto
            and parent is self.target
            and last is not None
            and last.tag == "br"
            and not (last.tail or "").strip()
        ):
            last.tail = None
            parent.remove(last)
            self.close()
            return
        etree.SubElement(parent, "br")


def last_child(element: etree._Element) -> etree._Element | None:
    """The last child, in constant time (``len()`` of an lxml element counts every child)."""
    try:
        return element[-1]
    except IndexError:
        return None


def _ends_inline(element: etree._Element) -> bool:
    last = last_child(element)
    if last is None:
        return bool((element.text or "").strip())
    return bool((last.tail or "").strip()) or last.tag not in BLOCKS | {"br"}


def append_text(parent: etree._Element, text: str) -> None:
    """Add text at the end of ``parent``; collapsed spaces stay single across the join."""
    last = last_child(parent)
    if last is not None:
        tail = last.tail or ""  # (each read decodes a new str from libxml2's UTF-8: read once)
        if text.startswith(" ") and (tail.endswith(" ") or last.tag == "br"):
            text = text[1:] if tail or last.tag != "br" else text.lstrip(" ")
        last.tail = tail + text
    else:
        before = parent.text or ""
        if text.startswith(" ") and before.endswith(" "):
            text = text[1:]
        parent.text = before + text


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
            previous.tail = _join_after(previous, element.text)
        else:
            parent.text = _join(parent.text, element.text)
    children = list(element)
    for child in children:
        element.addprevious(child)  # moves its tail along; parent.index() would cost O(n)
    last = children[-1] if children else previous
    if element.tail:
        if last is not None:
            last.tail = _join_after(last, element.tail)
        else:
            parent.text = _join(parent.text, element.tail)
    element.tail = None
    parent.remove(element)


def unwrap_all(elements: Iterable[etree._Element]) -> None:
    """``unwrap`` every element, in time linear in the size of their parents.

    Unwrapping one by one joins text into the same growing string each time: thousands of
    siblings (dangling links in one paragraph) would cost quadratic time.
    """
    doomed = list(elements)
    if not doomed:
        return
    groups: dict[etree._Element, set[etree._Element]] = {}
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            groups.setdefault(parent, set()).add(element)
    # Innermost first: an element inside another one moves up when that one is unwrapped.
    for parent in sorted(groups, key=lambda node: -sum(1 for _ in node.iterancestors())):
        _unwrap_children(parent, groups[parent])


def _unwrap_children(parent: etree._Element, doomed: set[etree._Element]) -> None:
    owner: etree._Element | None = None  # whose tail collects the text; None: the parent's text
    pieces = [parent.text or ""]

    def settle() -> None:
        text = reduce(_join, pieces, "")
        if owner is None:
            parent.text = text or None
        else:
            if owner.tag == "br" and not pieces[0]:
                text = text.lstrip(" ")  # no space starts a line
            owner.tail = text or None

    for child in list(parent):
        if child not in doomed:
            settle()
            owner, pieces = child, [child.tail or ""]
            continue
        pieces.append(child.text or "")
        for grandchild in list(child):
            settle()
            owner, pieces = grandchild, [grandchild.tail or ""]
            child.addprevious(grandchild)  # moves its tail along
        pieces.append(child.tail or "")
        child.tail = None
        parent.remove(child)
    settle()


def plain_text(nodes: list[etree._Element], skip: frozenset[str] = frozenset()) -> str:
    """The text of ``nodes`` and their tails; ``skip`` elements lose their text (not their tail).

    The nodes are taken out of their tree. Block-level boundaries become spaces so that words on
    either side stay apart. Done by libxml2 without recursion, whatever the depth.
    """
    holder = etree.Element("div")
    holder.extend(nodes)
    if skip:
        etree.strip_elements(holder, *skip, with_tail=False)
    for element in holder.iter(*_SEPARATED):
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return str(etree.tostring(holder, method="text", encoding="unicode", with_tail=False))


def _join_after(element: etree._Element, text: str) -> str:
    """``element``'s tail with ``text`` after it: no space starts a line after a ``<br>``."""
    if element.tag == "br" and not element.tail:
        return text.lstrip(" ")
    return _join(element.tail, text)


def _join(before: str | None, after: str) -> str:
    before = before or ""
    return before + after[1:] if before.endswith(" ") and after.startswith(" ") else before + after


def finish(element: etree._Element) -> None:
    """Trim the whitespace and line breaks a block starts or ends with, or has around blocks."""
    _strip_start(element)
    _strip_end(element)
    for child in list(element):
        tag = child.tag
        if tag in BLOCKS:
            _strip_before(child)
            tail = child.tail
            if tail is not None and not tail.strip():
                child.tail = None
        elif tag == "br" and not (child.tail or "").strip():
            following = child.getnext()
            if following is not None and following.tag in BLOCKS:
                remove_keep_tail(child)


def _strip_start(element: etree._Element) -> None:
    while True:
        text = element.text or ""  # (each read decodes a new str, each write encodes one)
        if text.strip():
            if text[0].isspace():
                element.text = text.lstrip()
            return
        element.text = None
        first = next(iter(element), None)
        if first is None:
            return
        if first.tag == "br":
            remove_keep_tail(first)
            continue
        if first.tag in BLOCKS or first.tag == "img":
            return
        _strip_start(first)
        if first.text is None and last_child(first) is None:  # nothing left: <b><br/></b>
            remove_keep_tail(first)
            continue
        return


def _strip_end(element: etree._Element) -> None:
    while True:
        last = last_child(element)
        if last is None:
            text = element.text
            if text is not None and (not text or text[-1].isspace()):
                element.text = text.rstrip() or None
            return
        tail = last.tail or ""
        if tail.strip():
            if tail[-1].isspace():
                last.tail = tail.rstrip()
            return
        last.tail = None
        if last.tag == "br":
            element.remove(last)
            continue
        if last.tag in BLOCKS or last.tag == "img":
            return
        _strip_end(last)
        if last.text is None and last_child(last) is None:
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
