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
from typing import Final

from bs4.element import (
    AttributeValueList,
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


def soup_from_tree(root: etree._Element) -> Tag:
    """A bs4 tree named ``[document]`` holding copies of ``root``'s children (``root`` itself,
    the fragment's wrapper, is left out, as is everything but elements and text)."""
    document = Tag(name=DOCUMENT)
    _Builder(document).children(document, root, NavigableString)
    return document


class _Builder:
    """Appends nodes in document order, keeping bs4's links between them."""

    __slots__ = ("last",)

    def __init__(self, document: Tag) -> None:
        self.last: PageElement = document

    def children(
        self, tag: Tag, element: etree._Element, string_class: type[NavigableString]
    ) -> None:
        if element.text:
            self.append(tag, string_class(element.text))
        for child in element:
            if isinstance(child.tag, str):  # not a comment, entity or processing instruction
                self.element(tag, child, string_class)
            if child.tail:
                self.append(tag, string_class(child.tail))

    def element(
        self, parent: Tag, element: etree._Element, string_class: type[NavigableString]
    ) -> None:
        name = _name(element.tag)
        tag = Tag(name=name)
        if element.attrib:
            tag.attrs.update(_attributes(element))
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


@functools.lru_cache(maxsize=512)
def _name(qualified: str) -> str:
    """bs4's name for lxml's ``{namespace}local``."""
    return qualified.rpartition("}")[2].lower()


def _attributes(element: etree._Element) -> dict[str, str | AttributeValueList]:
    attributes: dict[str, str | AttributeValueList] = {}
    for key, value in element.attrib.items():
        name = str(key)
        if name.startswith("{"):
            namespace, _, local = name[1:].partition("}")
            name = _NAMESPACE_PREFIXES.get(namespace, "") + local
        text = str(value)
        attributes[name] = AttributeValueList(text.split()) if name == "class" else text
    return attributes
