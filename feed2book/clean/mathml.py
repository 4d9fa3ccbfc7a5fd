"""MathML formulas rebuilt from an allow-list, valid for EPUB 3, and their TeX.

``build_math`` makes a new ``<math>`` in the MathML namespace from the elements and attributes
``htmlrules`` allows (presentation MathML, a TeX ``annotation``), then repairs the structure
EPUBCheck checks: a fraction or script with the wrong number of parts becomes an ``mrow``, table
cells sit in rows, ``semantics`` holds one formula and then its annotations. Empty elements get an
end tag, so that an HTML parser reads the output back as the same tree.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feed2book.clean.rules import (
    DROP_WITH_CONTENT,
    MATHML_ATTRIBUTES,
    MATHML_ELEMENT_ATTRIBUTES,
    MATHML_ELEMENTS,
    MATHML_NS,
    MATHML_TOKENS,
    TEX_ENCODINGS,
)

__all__ = ["MATH_TAG", "build_math", "math_as_text", "math_tex", "math_text"]

_M: Final = "{" + MATHML_NS + "}"
MATH_TAG: Final = _M + "math"  # a clean formula's tag, once parsed as XML
# Elements with a fixed number of parts (base and scripts, numerator and denominator...).
_ARITY: Final = {
    "mfrac": 2, "mroot": 2, "msub": 2, "msup": 2, "munder": 2, "mover": 2, "msubsup": 3,
    "munderover": 3,
}  # fmt: skip
_NO_TEXT: Final = DROP_WITH_CONTENT | {"annotation", "annotation-xml"}
_TABLE_PARENT: Final = {"mtr": "mtable", "mtd": "mtr"}
# Dropped with their content (``maction`` is only a wrapper: its content stays).
_DROPPED: Final = DROP_WITH_CONTENT | {"annotation-xml", "mglyph", "malignmark"}


def _local(element: etree._Element) -> str:
    """An element's name without namespace or prefix (``m:mi`` -> ``mi``), lower-case."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _text(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def math_tex(source: etree._Element) -> str:
    """The formula's TeX: its TeX annotation, else its ``alttext``; "" when it has none."""
    for node in source.iter():
        if _local(node) == "annotation" and (
            (node.get("encoding") or "").strip().lower() in TEX_ENCODINGS
        ):
            tex = " ".join(_text(node).split())
            if tex:
                return tex
    return " ".join((source.get("alttext") or "").split())


def math_text(source: etree._Element) -> str:
    """The formula's visible text: all of it but its annotations (and dropped elements)."""
    parts: list[str] = []
    hidden = 0  # inside an annotation: its text is not shown
    for event, node in etree.iterwalk(source, events=("start", "end")):
        silent = _local(node) in _NO_TEXT
        if event == "start":
            hidden += silent
            if not hidden and node.text:
                parts.append(node.text)
        else:
            hidden -= silent
            if not hidden and node.tail and node is not source:
                parts.append(node.tail)
    return " ".join("".join(parts).split())


def math_as_text(math: etree._Element) -> str:
    """A formula in text: ``$TeX$`` (``$$TeX$$`` when displayed), else its visible text."""
    tex = math_tex(math)
    if not tex:
        return math_text(math)
    delimiter = "$$" if math.get("display") == "block" else "$"
    return f"{delimiter}{tex}{delimiter}"


def build_math(source: etree._Element) -> etree._Element | None:
    """A clean ``<math>`` for ``source`` (a parsed ``<math>``), or None when nothing of it is
    left to show."""
    math = etree.Element(_M + "math", nsmap={None: MATHML_NS})  # type: ignore[dict-item]
    _copy_attributes(source, math)
    _children(source, math)
    _repair(math)
    if not _text(math).strip():
        return None
    for element in math.iter():
        if not len(element) and element.text is None:
            element.text = ""  # <mspace></mspace>: "<mspace/>" would swallow what follows
    return math


def _copy_attributes(source: etree._Element, target: etree._Element) -> None:
    allowed = MATHML_ELEMENT_ATTRIBUTES.get(_local(target), frozenset())
    for raw_name, raw_value in source.items():
        name = str(raw_name).lower()
        pattern = MATHML_ATTRIBUTES.get(name) if name in allowed else None
        value = " ".join(str(raw_value).split())
        if name == "display" or name == "mathvariant":
            value = value.lower()
        if pattern is not None and pattern.fullmatch(value):
            target.set(name, value)


def _children(source: etree._Element, target: etree._Element) -> None:
    _stray_text(source.text, target)
    for child in source:
        name = _local(child)
        if name in MATHML_ELEMENTS and name != "math":
            element = etree.SubElement(target, _M + name)
            _copy_attributes(child, element)
            if name in MATHML_TOKENS or name == "annotation":
                text = _text(child)
                element.text = text.strip() if name == "annotation" else " ".join(text.split())
            else:
                _children(child, element)
        elif name and name not in _DROPPED:
            _children(child, target)  # an unknown wrapper (or a nested <math>): its content
        _stray_text(child.tail, target)


def _stray_text(text: str | None, target: etree._Element) -> None:
    """Text outside a token element is not MathML: it is kept as ``<mtext>``."""
    if text and text.strip():
        etree.SubElement(target, _M + "mtext").text = " ".join(text.split())


def _repair(math: etree._Element) -> None:
    for element in reversed(list(math.iter())):  # innermost first
        name = _local(element)
        if name == "annotation":
            parent = element.getparent()
            tex = (element.get("encoding") or "").lower() in TEX_ENCODINGS
            if parent is None or _local(parent) != "semantics" or not tex:
                _remove(element)
        elif name == "semantics":
            _repair_semantics(element)
        elif name in _ARITY and len(element) != _ARITY[name]:
            _as_row(element)
        elif name in {"mprescripts", "none"}:
            parent = element.getparent()
            if parent is None or _local(parent) != "mmultiscripts":
                _remove(element)
        elif name == "mmultiscripts" and (not len(element) or _local(element[0]) == "mprescripts"):
            _as_row(element)

    for element in list(math.iter()):  # tables top-down: a row's place decides its cells'
        name, parent = _local(element), element.getparent()
        parent_name = _local(parent) if parent is not None else ""
        if name == "mtable":
            _wrap_strays(element, {"mtr"}, ("mtr", "mtd"))
        elif (name == "mtr" and parent_name != "mtable") or (
            name == "mtd" and parent_name != "mtr"
        ):
            _as_row(element)
        elif name == "mtr":
            _wrap_strays(element, {"mtd"}, ("mtd",))


def _repair_semantics(semantics: etree._Element) -> None:
    """One presentation formula first, then annotations; no formula: the annotations go."""
    formula = [child for child in semantics if _local(child) != "annotation"]
    annotations = [child for child in semantics if _local(child) == "annotation"]
    for child in list(semantics):
        semantics.remove(child)
    if not formula:
        _as_row(semantics)
        return
    if len(formula) == 1:
        semantics.append(formula[0])
    else:
        row = etree.SubElement(semantics, _M + "mrow")
        row.extend(formula)
    semantics.extend(annotations)


def _wrap_strays(parent: etree._Element, allowed: set[str], wrappers: tuple[str, ...]) -> None:
    for child in list(parent):
        if _local(child) in allowed:
            continue
        outer = inner = etree.Element(_M + wrappers[0])
        for name in wrappers[1:]:
            inner = etree.SubElement(inner, _M + name)
        child.addprevious(outer)
        inner.append(child)


def _as_row(element: etree._Element) -> None:
    """``element`` as an ``mrow``, which takes any number of parts (and no attributes)."""
    element.tag = _M + "mrow"
    element.attrib.clear()


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)
