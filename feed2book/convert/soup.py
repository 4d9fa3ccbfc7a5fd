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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

__all__ = ["DOCUMENT", "SpaceRule", "soup_from_tree"]

DOCUMENT: Final = "[document]"  # the root's name, as BeautifulSoup names it
_NAMESPACE_PREFIXES: Final = {"http://www.w3.org/XML/1998/namespace": "xml:"}
# Strings inside these elements are of these classes (BeautifulSoup's string containers).
_STRING_CLASSES: Final[dict[str, type[NavigableString]]] = {
    "rt": RubyTextString,
    "rp": RubyParenthesisString,
}


@dataclass(frozen=True, slots=True)
class SpaceRule:
    """Whitespace-only text that the reader of the tree drops anyway, left out of it: at the
    edges inside elements named so by ``dropped_inside``, next to those named so by
    ``dropped_next_to``; never inside the elements of ``kept_in`` (whose text is read whole)."""

    dropped_inside: Callable[[str], bool]
    dropped_next_to: Callable[[str], bool]
    kept_in: frozenset[str]


@contextmanager
def soup_from_tree(root: etree._Element, space: SpaceRule | None = None) -> Iterator[Tag]:
    """A bs4 tree named ``[document]`` holding copies of ``root``'s children (``root`` itself,
    the fragment's wrapper, is left out, as is everything but elements and text, and the
    whitespace ``space`` drops), for the time of the ``with`` block.

    On leaving the block the tree is taken apart: bs4's nodes point at each other (parent and
    children, previous and next), so left whole each tree would wait for Python's cycle
    collector, whose passes over a heap holding a whole book cost more than the conversion.
    """
    document = _new_tag(DOCUMENT, HTMLAttributeDict(), None, None, None)
    nodes: list[PageElement] = [document]
    try:
        _Filler(space, nodes).fill(document, root, NavigableString, document, space is None)
        yield document
    finally:
        for node in nodes:
            node.__dict__.clear()


# A node is made as Tag() and NavigableString() make one, without their per-call work (option
# handling, builder look-ups, setup()): a copy of the fields a new node of the installed bs4
# has, with its own name, attributes, contents and links. bs4's nodes keep their fields in
# their __dict__.
_TAG_FIELDS: Final = dict(vars(Tag(name=DOCUMENT)))
_STRING_FIELDS: Final = dict(vars(NavigableString("")))
_new_object = object.__new__
_new_str = str.__new__


class _Filler:
    __slots__ = ("nodes", "space")

    def __init__(self, space: SpaceRule | None, nodes: list[PageElement]) -> None:
        self.space = space
        self.nodes = nodes

    def fill(
        self,
        tag: Tag,
        element: etree._Element,
        string_class: type[NavigableString],
        last: PageElement,
        keep_space: bool,
    ) -> PageElement:
        """Appends to ``tag`` copies of ``element``'s text and children, in document order
        after ``last``; returns the last node made. Every node is added to ``nodes``."""
        contents, nodes, space = tag.contents, self.nodes, self.space
        previous: PageElement | None = None
        text = element.text
        if text and (keep_space or text.strip() or not self.dropped(tag, element, None)):
            previous = last = _new_string(string_class, text, tag, last, None)
            contents.append(last)
            nodes.append(last)
        for child in element:
            if isinstance(child.tag, str):  # not a comment, entity or processing instruction
                name = _name(child.tag)
                attributes = _attributes(child) if child.attrib else HTMLAttributeDict()
                node = _new_tag(name, attributes, tag, last, previous)
                contents.append(node)
                nodes.append(node)
                child_class = _STRING_CLASSES.get(name, string_class)
                if child_class is not NavigableString:
                    node.interesting_string_types = {child_class}
                keep = keep_space or (space is not None and name in space.kept_in)
                last = self.fill(node, child, child_class, node, keep)
                previous = node
            tail = child.tail
            if tail and (keep_space or tail.strip() or not self.dropped(tag, element, child)):
                previous = last = _new_string(string_class, tail, tag, last, previous)
                contents.append(last)
                nodes.append(last)
        return last

    def dropped(self, parent: Tag, element: etree._Element, before: etree._Element | None) -> bool:
        """Whether whitespace in ``parent`` (a copy of ``element``) after its child ``before``
        (or first) is dropped: at an edge of an element that drops it inside, or next to one
        that drops it (markdownify's process_tag)."""
        space = self.space
        assert space is not None  # keep_space is true without a rule
        if before is None:
            if space.dropped_inside(parent.name):
                return True
            following = element[0] if len(element) else None
        else:
            if not isinstance(before.tag, str):
                return False  # not copied: the bs4 neighbour is another node
            if space.dropped_next_to(_name(before.tag)):
                return True
            following = before.getnext()
            if following is None:
                return space.dropped_inside(parent.name)
        return (
            following is not None
            and isinstance(following.tag, str)
            and space.dropped_next_to(_name(following.tag))
        )


def _new_tag(
    name: str,
    attributes: HTMLAttributeDict,
    parent: Tag | None,
    previous_element: PageElement | None,
    previous_sibling: PageElement | None,
) -> Tag:
    tag: Tag = _new_object(Tag)
    fields = _TAG_FIELDS.copy()
    fields["name"] = name
    fields["attrs"] = attributes
    fields["contents"] = []
    fields["_namespaces"] = {}
    _link(tag, fields, parent, previous_element, previous_sibling)
    return tag


def _new_string(
    string_class: type[NavigableString],
    text: str,
    parent: Tag,
    previous_element: PageElement,
    previous_sibling: PageElement | None,
) -> NavigableString:
    string: NavigableString = _new_str(string_class, text)
    _link(string, _STRING_FIELDS.copy(), parent, previous_element, previous_sibling)
    return string


def _link(
    node: PageElement,
    fields: dict[str, object],
    parent: Tag | None,
    previous_element: PageElement | None,
    previous_sibling: PageElement | None,
) -> None:
    """Gives ``node`` its ``fields``, linked after ``previous_element`` in document order and
    after ``previous_sibling`` under ``parent``."""
    fields["parent"] = parent
    fields["previous_element"] = previous_element
    fields["previous_sibling"] = previous_sibling
    node.__dict__ = fields
    if previous_element is not None:
        previous_element.next_element = node
    if previous_sibling is not None:
        previous_sibling.next_sibling = node


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
