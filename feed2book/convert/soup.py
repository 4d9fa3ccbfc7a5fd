"""markdownify's input tree built straight from a parsed XHTML fragment.

markdownify converts a BeautifulSoup tree. Serialising our lxml tree and having BeautifulSoup's
tree builder parse the text again cost more than the conversion itself; here every lxml node
becomes its bs4 node directly, linked as bs4's builder links them: parent, siblings and the
document order (``next_element``) that ``find_all``, ``descendants`` and ``get_text`` walk.
What the conversion reads is what BeautifulSoup's ``lxml`` builder would give: local tag names
in lower case, ``class`` as a list of names, the text inside ``<rt>``/``<rp>`` as bs4's ruby
string classes (which ``get_text`` leaves out).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from bs4.element import (
    AttributeValueList,
    HTMLAttributeDict,
    NavigableString,
    PageElement,
    RubyParenthesisString,
    RubyTextString,
    Tag,
)
from lxml import etree

__all__ = ["DOCUMENT", "soup_from_tree"]

DOCUMENT: Final = "[document]"  # the root's name, as BeautifulSoup names it
_NAMESPACE_PREFIXES: Final = {"http://www.w3.org/XML/1998/namespace": "xml:"}
# Strings inside these elements are of these classes (BeautifulSoup's string containers).
_STRING_CLASSES: Final[dict[str, type[NavigableString]]] = {
    "rt": RubyTextString,
    "rp": RubyParenthesisString,
}


@contextmanager
def soup_from_tree(root: etree._Element) -> Iterator[Tag]:
    """A bs4 tree named ``[document]`` holding copies of ``root``'s children (``root`` itself,
    the fragment's wrapper, is left out, as is everything but elements and text), for the time
    of the ``with`` block.

    On leaving the block the tree is taken apart: bs4's nodes point at each other (parent and
    children, previous and next), so left whole each tree would wait for Python's cycle
    collector, whose passes over a heap holding a whole book cost more than the conversion.
    """
    document = _new_tag(DOCUMENT, HTMLAttributeDict())
    builder = _Builder(document)
    try:
        builder.children(document, root, NavigableString)
        yield document
    finally:
        for node in builder.nodes:
            node.__dict__.clear()


# A node is made as Tag() and NavigableString() make one, without their per-call work (option
# handling, builder look-ups, setup()): a copy of the fields a new node of the installed bs4
# has, with its own name, attributes and contents. bs4's nodes keep their fields in __dict__.
_TAG_FIELDS: Final = dict(vars(Tag(name=DOCUMENT)))
_STRING_FIELDS: Final = dict(vars(NavigableString("")))
_new_object = object.__new__
_new_str = str.__new__


def _new_tag(name: str, attributes: HTMLAttributeDict) -> Tag:
    tag: Tag = _new_object(Tag)
    fields = _TAG_FIELDS.copy()
    fields["name"] = name
    fields["attrs"] = attributes
    fields["contents"] = []
    fields["_namespaces"] = {}
    tag.__dict__ = fields
    return tag


def _new_string(string_class: type[NavigableString], text: str) -> NavigableString:
    string: NavigableString = _new_str(string_class, text)
    string.__dict__ = _STRING_FIELDS.copy()
    return string


class _Builder:
    """Appends nodes in document order, keeping bs4's links between them."""

    __slots__ = ("last", "nodes")

    def __init__(self, document: Tag) -> None:
        self.last: PageElement = document
        self.nodes: list[PageElement] = [document]

    def children(
        self, tag: Tag, element: etree._Element, string_class: type[NavigableString]
    ) -> None:
        if element.text:
            self.append(tag, _new_string(string_class, element.text))
        for child in element:
            if isinstance(child.tag, str):  # not a comment, entity or processing instruction
                self.element(tag, child, string_class)
            if child.tail:
                self.append(tag, _new_string(string_class, child.tail))

    def element(
        self, parent: Tag, element: etree._Element, string_class: type[NavigableString]
    ) -> None:
        name = _name(element.tag)
        tag = _new_tag(name, _attributes(element) if element.attrib else HTMLAttributeDict())
        string_class = _STRING_CLASSES.get(name, string_class)
        if string_class is not NavigableString:
            tag.interesting_string_types = {string_class}
        self.append(parent, tag)
        self.children(tag, element, string_class)

    def append(self, parent: Tag, node: PageElement) -> None:
        node.parent = parent
        node.previous_element = self.last
        self.last.next_element = node
        contents = parent.contents
        if contents:
            previous = contents[-1]
            node.previous_sibling = previous
            previous.next_sibling = node
        contents.append(node)
        self.last = node
        self.nodes.append(node)


@functools.lru_cache(maxsize=512)
def _name(qualified: str) -> str:
    """bs4's name for lxml's ``{namespace}local``."""
    return qualified.rpartition("}")[2].lower()


def _attributes(element: etree._Element) -> HTMLAttributeDict:
    attributes = HTMLAttributeDict()
    for key, value in element.attrib.items():
        name = str(key)
        if name.startswith("{"):
            namespace, _, local = name[1:].partition("}")
            name = _NAMESPACE_PREFIXES.get(namespace, "") + local
        text = str(value)
        attributes[name] = AttributeValueList(text.split()) if name == "class" else text
    return attributes
