"""SVG images: kept only when they are plain, self-contained drawings.

An SVG is a document, not a picture: it can run scripts, load other files and embed HTML. One
is accepted only when it parses as XML without help (no entities, no DTD, no network, no huge
tree), its root is ``<svg>``, and nothing in it can run or reach outside the file: no
``<script>``, no ``<foreignObject>``, no ``on*`` handler, no animation of a link, and every
reference (``href``, ``xlink:href``, ``src``, ``url(...)``) is a same-document ``#id`` or an
embedded PNG/JPEG/GIF. Anything else is refused (``ConversionError``) and the reader sees the
alt text. An accepted SVG is re-serialised without comments, processing instructions,
``<metadata>`` or editor namespaces (Inkscape, Sodipodi...), and with its internal references
repaired where they point nowhere or at the wrong kind of element (``_repair_references``).
"""

from __future__ import annotations

import math
import re
from typing import Final

from lxml import etree

from feed2book.images.errors import ConversionError
from feed2book.xhtml.sink import remove_keep_tail

SVG_NS: Final = "http://www.w3.org/2000/svg"
XLINK_NS: Final = "http://www.w3.org/1999/xlink"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
DEFAULT_SIZE: Final = (300, 150)  # what a browser gives an SVG without a size

_PARSER: Final = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    remove_comments=True,
    remove_pis=True,
)
_FORBIDDEN_ELEMENTS: Final = frozenset({"script", "foreignobject", "handler", "listener"})
_ANIMATIONS: Final = frozenset({"set", "animate", "animatemotion", "animatetransform"})
_REFERENCE_ATTRIBUTES: Final = frozenset({"href", "src"})
_URL_FUNCTION = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(.))", re.S)
# Functions besides url() that take a file address as a plain string.
_CSS_LOADER = re.compile(r"((?:-[a-z]+-)?(?:image-set|image|cross-fade|element|src))\s*\(")
_SAFE_DATA = re.compile(r"data:image/(?:png|jpeg|jpg|gif)[;,]", re.I)
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px)?\s*\Z")


def sanitise_svg(data: bytes) -> tuple[bytes, tuple[int, int]]:
    """The SVG re-serialised and its size in CSS px; ``ConversionError`` says why it is refused."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ConversionError(f"the SVG is not well-formed XML ({error})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ConversionError("not an SVG image (its root element is not <svg>)")
    if root.getroottree().docinfo.internalDTD is not None:
        raise ConversionError("the SVG declares a DTD (entities are not allowed)")
    for node in list(root.iter()):
        if not isinstance(node.tag, str):  # an entity reference: nothing would resolve it
            raise ConversionError("the SVG uses entities")
        _check_element(node)
    _strip_foreign(root)
    _repair_references(root)
    _check_render_cost(root)
    _clamp_filters(root)
    size = _clamp_size(root)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True), size


def _check_element(element: etree._Element) -> None:
    name = etree.QName(element).localname.lower()
    if name in _FORBIDDEN_ELEMENTS:
        raise ConversionError(f"the SVG contains <{etree.QName(element).localname}>")
    if name in _ANIMATIONS and (element.get("attributeName") or "").endswith("href"):
        raise ConversionError("the SVG animates a link")
    for attribute, raw in element.attrib.items():
        value = str(raw)
        local = etree.QName(attribute).localname.lower()
        if local.startswith("on"):
            raise ConversionError(f"the SVG has an event handler ({local})")
        if local in _REFERENCE_ATTRIBUTES and not _safe_reference(value):
            raise ConversionError(f"the SVG refers to another file ({_short(value)})")
        _check_css(value)
    if name == "style":
        _check_css("".join(str(text) for text in element.itertext()))


def _check_css(text: str) -> None:
    """Refuse CSS that could load a file, however it is spelt (escapes, comments, image-set)."""
    if "\\" in text or "/*" in text:
        text = _unescape_css(_CSS_COMMENT.sub("", text))
    lowered = text.lower()
    if "@import" in lowered:
        raise ConversionError("the SVG's style sheet imports another file")
    loader = _CSS_LOADER.search(lowered)
    if loader:
        raise ConversionError(f"the SVG's style uses {loader.group(1)}()")
    if "url(" not in lowered:
        return
    for match in _URL_FUNCTION.finditer(text):
        if not _safe_reference(match.group(2)):
            raise ConversionError(f"the SVG refers to another file ({_short(match.group(2))})")


def _unescape_css(text: str) -> str:
    """CSS escapes decoded (``\\75 rl(`` is ``url(``), as a browser's tokenizer would."""

    def decode(match: re.Match[str]) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match.group(2)

    return _CSS_ESCAPE.sub(decode, text)


def _safe_reference(value: str) -> bool:
    value = value.strip()
    return value.startswith("#") or bool(_SAFE_DATA.match(value))


def _strip_foreign(root: etree._Element) -> None:
    """Drop metadata and editor namespaces: elements and attributes outside SVG/XLink/XML."""
    for element in list(root.iter()):
        namespace = etree.QName(element).namespace
        if element is not root and (namespace != SVG_NS or element.tag == f"{{{SVG_NS}}}metadata"):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
            continue
        for attribute in list(element.attrib):
            if etree.QName(attribute).namespace not in (None, XLINK_NS, XML_NS):
                del element.attrib[attribute]


_PAINT_SERVERS: Final = frozenset({"lineargradient", "radialgradient", "pattern"})
_NOT_FOR_USE: Final = _PAINT_SERVERS | {"clippath"}
_HREFS: Final = ("href", f"{{{XLINK_NS}}}href")
_PAINT_REFERENCE = re.compile(r"\s*url\(\s*(['\"]?)#(.*?)\1\s*\)\s*(.*)\Z", re.S)


def _repair_references(root: etree._Element) -> None:
    """Same-document references that point nowhere, or at the wrong kind of element, are
    dropped: an e-reader draws nothing for them and EPUBCheck rejects them (RSC-012, RSC-014).

    A ``<use>`` of a missing element, a gradient, a pattern or a clip path goes; another
    ``#id`` link to a missing element loses the link; a ``fill``/``stroke`` that is not a
    gradient or pattern falls back to its fallback colour, or ``none`` (what SVG 2 draws).
    """
    kinds = {
        str(element.get("id")): etree.QName(element).localname.lower()
        for element in root.iter()
        if element.get("id")
    }
    for element in list(root.iter()):
        name = etree.QName(element).localname.lower()
        for attribute in _HREFS:
            value = (element.get(attribute) or "").strip()
            if not value.startswith("#"):
                continue
            kind = kinds.get(value[1:])
            if name == "use" and (kind is None or kind in _NOT_FOR_USE):
                remove_keep_tail(element)
                break
            if kind is None:
                del element.attrib[attribute]
        for attribute in ("fill", "stroke"):
            match = _PAINT_REFERENCE.match(element.get(attribute) or "")
            if match and kinds.get(match.group(2)) not in _PAINT_SERVERS:
                element.set(attribute, match.group(3).strip() or "none")


# Render bombs: what a reader would draw is bounded, not only what the file holds.
MAX_USE_DEPTH: Final = 8  # <use> of a <use> of ... at most this deep
MAX_RENDERED_ELEMENTS: Final = 50_000  # elements drawn once every <use> is expanded
MAX_EDGE: Final = 4096  # CSS px: a larger drawing is scaled down (its viewBox keeps it whole)
# Filter primitives' attributes whose cost grows with their value, and the largest kept.
_FILTER_LIMITS: Final = {
    ("feturbulence", "numoctaves"): 8.0,
    ("fegaussianblur", "stddeviation"): 100.0,
    ("femorphology", "radius"): 100.0,
    ("feconvolvematrix", "order"): 5.0,
    ("fedropshadow", "stddeviation"): 100.0,
}
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _check_render_cost(root: etree._Element) -> None:
    """Refuse a drawing whose ``<use>`` references nest deeper than ``MAX_USE_DEPTH`` or
    expand to more than ``MAX_RENDERED_ELEMENTS`` (ten ``<use>`` of ten ``<use>``... is
    10^n elements in a file of a few hundred bytes)."""
    by_id = {str(element.get("id")): element for element in root.iter() if element.get("id")}
    # element -> (elements drawn, <use> hops inside); keyed by the element objects themselves,
    # which the dict keeps alive (lxml proxies, so their id() could otherwise be reused)
    known: dict[etree._Element, tuple[int, int]] = {}
    active: set[etree._Element] = set()

    def drawn(element: etree._Element, above: int) -> tuple[int, int]:
        """``above``: <use> hops on the way here (checked now: a long chain of <use> must
        not recurse through Python's stack before the total says no)."""
        key = element
        if key in known:
            return known[key]
        if key in active:
            raise ConversionError("the SVG's <use> elements refer to themselves")
        if above > MAX_USE_DEPTH:
            raise ConversionError(f"the SVG nests <use> more than {MAX_USE_DEPTH} deep")
        active.add(key)
        total, hops = 1, 0
        for child in element:
            count, depth = drawn(child, above)
            total, hops = total + count, max(hops, depth)
        if etree.QName(element).localname == "use":
            href = next((element.get(a) for a in _HREFS if element.get(a)), "") or ""
            target = by_id.get(href.strip()[1:]) if href.strip().startswith("#") else None
            if target is not None:
                count, depth = drawn(target, above + 1)
                total, hops = total + count, max(hops, depth + 1)
        active.discard(key)
        if hops > MAX_USE_DEPTH:
            raise ConversionError(f"the SVG nests <use> more than {MAX_USE_DEPTH} deep")
        if total > MAX_RENDERED_ELEMENTS:
            raise ConversionError(
                f"the SVG draws too many elements once its <use> are expanded"
                f" (more than {MAX_RENDERED_ELEMENTS:,})"
            )
        known[key] = total, hops
        return total, hops

    drawn(root, 0)


def _clamp_filters(root: etree._Element) -> None:
    """Filter parameters whose cost grows with their value are cut to ``_FILTER_LIMITS``."""
    for element in root.iter():
        name = etree.QName(element).localname.lower()
        for attribute in list(element.attrib):
            limit = _FILTER_LIMITS.get((name, str(attribute).lower()))
            if limit is None:
                continue
            values = _NUMBER.findall(str(element.get(attribute)))
            clamped = [min(abs(float(value)), limit) for value in values] or [0.0]
            element.set(attribute, " ".join(f"{value:g}" for value in clamped))


def _clamp_size(root: etree._Element) -> tuple[int, int]:
    """The drawing's size, scaled to at most ``MAX_EDGE`` px (on the root too: a reader
    sizes its canvas from it); the viewBox is set so the whole drawing still shows."""
    width, height = _size(root)
    if max(width, height) <= MAX_EDGE:
        return width, height
    scale = MAX_EDGE / max(width, height)
    if len((root.get("viewBox") or "").replace(",", " ").split()) != 4:
        root.set("viewBox", f"0 0 {width} {height}")
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    root.set("width", str(width))
    root.set("height", str(height))
    return width, height


def _size(root: etree._Element) -> tuple[int, int]:
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            box_width, box_height = float(box[2]), float(box[3])
        except ValueError:
            box_width = box_height = 0.0
        if 0 < box_width < math.inf and 0 < box_height < math.inf:
            if width and not height:
                height = width * box_height / box_width
            elif height and not width:
                width = height * box_width / box_height
            elif not width and not height:
                width, height = box_width, box_height
    if not width or not height:
        return DEFAULT_SIZE
    return max(1, round(width)), max(1, round(height))


def _length(value: str | None) -> float:
    """A width/height in px (a bare number or ``px``); 0 for %, em and anything else."""
    match = _LENGTH.match(value or "")
    number = float(match.group(1)) if match else 0.0
    return number if number < math.inf else 0.0


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 60 else value[:57] + "..."
