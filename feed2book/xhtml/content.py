"""Article XHTML as the EPUB needs it: parsed, with nothing remote and no dangling reference.

``clean.py`` already produced safe, well-formed XHTML; what is left here is what only the book
knows: which files exist in it (so a relative link or image can be kept or must go), that ids
must be XML names and unique per file, and that nothing may be fetched from the network.
"""

from __future__ import annotations

import functools
import pyexpat
import re
from collections.abc import Callable, Collection, Mapping
from typing import cast
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from feed2book.xhtml.sink import remove_keep_tail

XHTML_NS = "http://www.w3.org/1999/xhtml"
_X = "{" + XHTML_NS + "}"

# What parse_fragment (and a page holding a fragment) is read with: no entities, no network.
FRAGMENT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
)
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "tel"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_XML_NAME = re.compile(r"^[^\W\d][\w.-]*$")
# Elements that load what their src/data points to; a remote one becomes a visible link.
_MEDIA_SRC = {"img": "src", "iframe": "src", "embed": "src", "object": "data"}
_MEDIA_WITH_SOURCES = ("video", "audio")
# The elements that have an id, and the ids, in document order (what iter() would walk to).
_WITH_ID = cast(
    Callable[[etree._Element], list[etree._Element]],
    etree.XPath("descendant-or-self::*[@id]"),
)
_ID_VALUES = cast(
    Callable[[etree._Element], list[str]],
    etree.XPath("descendant-or-self::*/@id", smart_strings=False),
)


_MATH_ELEMENT = re.compile(r"<math[\s/>]")


def parse_fragment(xhtml: str) -> etree._Element:
    """A ``<div>`` in the XHTML namespace holding the fragment's nodes.

    Never raises: input that is not well-formed (which ``clean`` should not produce) is
    re-parsed as HTML, and as a last resort kept as plain text.
    """
    try:
        return etree.fromstring(f'<div xmlns="{XHTML_NS}">{xhtml}</div>', FRAGMENT_PARSER)
    except etree.XMLSyntaxError:
        pass
    text = re.sub(r"<[^>]*>", " ", xhtml)
    try:
        html_div = lxml.html.fragment_fromstring(xhtml, create_parent="div")
        as_xml = etree.tostring(html_div, method="xml", encoding="unicode")
        div = etree.fromstring(
            as_xml.replace("<div", f'<div xmlns="{XHTML_NS}"', 1), FRAGMENT_PARSER
        )
        if "".join(str(piece) for piece in div.itertext()).strip() or not text.strip():
            return div
    except (etree.XMLSyntaxError, etree.ParserError, ValueError, AssertionError):
        pass  # lxml.html asserts on a fragment that closes its body and opens another
    div = etree.Element(_X + "div")  # the text, at least (the HTML parse lost all of it)
    paragraph = etree.SubElement(div, _X + "p")
    paragraph.text = _xml_safe(text)
    return div


def has_mathml(xhtml: str) -> bool:
    """Whether a clean fragment holds a MathML formula (its page needs ``properties="mathml"``)."""
    return _MATH_ELEMENT.search(xhtml) is not None


def serialise_fragment(div: etree._Element) -> str:
    """The children of a :func:`parse_fragment` div, without namespace declarations."""
    div.tag = _X + "div"
    text = etree.tostring(div, encoding="unicode")
    opening = f'<div xmlns="{XHTML_NS}">'
    return text[len(opening) : -len("</div>")] if text.startswith(opening) else ""


def externalise_remote_images(xhtml: str) -> str:
    """Replace every remote image (and other remote media) by a visible link to it.

    The link reads as the image's alt text, or "Image" when it has none. ``images.py`` will
    replace this with downloading the images into the book.
    """
    div = parse_fragment(xhtml)
    externalise_remote_media(div)
    return serialise_fragment(div)


def externalise_remote_media(root: etree._Element) -> None:
    """In-place form of :func:`externalise_remote_images` on a parsed tree."""
    for picture in list(root.iter(_X + "picture")):
        for source in picture.findall(_X + "source"):
            remove_keep_tail(source)
        _unwrap(picture)
    for element in list(root.iter(_X + "source", _X + "track")):
        if _is_remote(element.get("src", "") or element.get("srcset", "")):
            remove_keep_tail(element)
    for tag, attribute in _MEDIA_SRC.items():
        for element in list(root.iter(_X + tag)):
            if "srcset" in element.attrib:
                del element.attrib["srcset"]
            url = element.get(attribute, "")
            if _is_remote(url):
                label = element.get("alt") or element.get("title") or _default_label(tag)
                _replace_with_link(element, url, label)
    for tag in _MEDIA_WITH_SOURCES:
        for element in list(root.iter(_X + tag)):
            url = element.get("src") or next(
                (s.get("src", "") for s in element.iter(_X + "source")), ""
            )
            if _is_remote(url) or not url:
                _replace_with_link(element, url, element.get("title") or _default_label(tag))


def fix_references(
    root: etree._Element,
    book_files: Collection[str],
    articles_by_url: Mapping[str, str] | None = None,
    own_file: str = "",
) -> None:
    """Make every id an XML name unique in the file and every link/image resolvable.

    ``book_files`` are the file names in the book relative to the content documents (other
    articles, ``images/x.jpg``...). A link to something absent loses its ``href`` (its text
    stays); an image that is absent is replaced by its alt text. A link to the original address
    of an article in the book (keys made by :func:`url_key`) is pointed at its file instead,
    unless that file is ``own_file``, the page being made: "Continue reading" on a page linking
    to that page would be a loop, so such a link keeps the original address.
    """
    renamed = _fix_ids(root)
    known_ids: set[str | None] = {value for value in _ID_VALUES(root) if value}
    for anchor in root.iter(_X + "a", _X + "area"):
        href = anchor.get("href")
        if href is None:
            continue
        target = _link_target(href, renamed, known_ids, book_files, articles_by_url, own_file)
        if target is None:
            del anchor.attrib["href"]
        else:
            anchor.set("href", target)
    for image in list(root.iter(_X + "img")):
        src = (image.get("src") or "").strip()
        if src.split("#")[0] not in book_files:
            alt = image.get("alt", "").strip()
            if alt:
                _replace_with_text(image, f"[{alt}]")
            else:
                remove_keep_tail(image)
        elif image.get("alt") is None:
            image.set("alt", "")


def _link_target(
    href: str,
    renamed: dict[str, str],
    known_ids: set[str | None],
    book_files: Collection[str],
    articles_by_url: Mapping[str, str] | None,
    own_file: str,
) -> str | None:
    """Where a link of :func:`fix_references` points in the book; None: nowhere (it goes)."""
    target = _resolve_href(href, renamed, known_ids, book_files)
    if target is not None and articles_by_url:
        in_book = articles_by_url.get(url_key(target), target)
        target = target if own_file and in_book == own_file else in_book
    return target


# What only a tree can fix: images and other media, ids, named anchors, links within the page,
# namespaced content (MathML, SVG, ``epub:``). In text lxml wrote, attributes are separated by
# one space: looking for the strings is enough.
_MEDIA_TAG = re.compile(r"<(?:img|iframe|embed|object|video|audio|picture|source|track|area)[\s/>]")
_NEEDS_TREE = (' id="', ' name="', ' href="#', "xmlns", "epub:")
# Markup lxml never writes: a reference other than the ones it uses; an empty element in two
# tags; an attribute in single quotes (or "='" in a value: a false alarm costs a parse, no
# more) or a line break or tab inside a tag; a space before ">" or "/>"; a raw carriage
# return; a comment, CDATA or processing instruction; a quote escaped in text.
_OTHER_REFERENCE = re.compile(r"&(?!amp;|lt;|gt;|quot;|#10;|#13;|#9;)")
_OTHER_TAG = re.compile(r"<(?:([\w:.-]+)(?: [^>]*)?></\1>|[^>]*(?:='|[\n\t]))")
_OTHER_MARKUP = (" >", " />", "\r", "<!", "<?")
_QUOTE_IN_TEXT = re.compile(r"(?:^|>)[^<]*&quot;")
_LINK_START = re.compile(r"<a\s[^>]*>")  # written by lxml: no ">" inside an attribute
_HREF = re.compile(r'\shref="([^"]*)"')
_ATTRIBUTE_ESCAPES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&#10;": "\n",
    "&#13;": "\r",
    "&#9;": "\t",
}
_ATTRIBUTE_ESCAPE = re.compile("|".join(_ATTRIBUTE_ESCAPES))
_ATTRIBUTE_SPECIAL = re.compile('[&<>"\n\r\t]')
_ESCAPED = {value: key for key, value in _ATTRIBUTE_ESCAPES.items()}


def written_by_lxml(xhtml: str) -> bool:
    """Whether ``xhtml`` has none of the markup lxml never writes: parsed and written again,
    such a fragment (``clean``'s output, ``serialise_fragment``'s) comes out as it went in."""
    if any(markup in xhtml for markup in _OTHER_MARKUP):
        return False
    if "&" in xhtml and _OTHER_REFERENCE.search(xhtml):
        return False
    if _OTHER_TAG.search(xhtml):
        return False
    return "&quot;" not in xhtml or _QUOTE_IN_TEXT.search(xhtml) is None


def well_formed(xhtml: str) -> bool:
    """Whether ``xhtml`` is well-formed XML, as content must be but a damaged library record or
    an API caller's ``Article`` need not be: such content goes through the tree, whose lenient
    parse mends it. expat, without building a tree: ~15 µs for a real article."""
    parser = pyexpat.ParserCreate()
    try:
        parser.Parse(b"<div>" + xhtml.encode("utf-8", "surrogatepass") + b"</div>", True)
    except (pyexpat.ExpatError, UnicodeEncodeError):
        return False
    return True


def fix_links_without_tree(
    xhtml: str,
    book_files: Collection[str],
    articles_by_url: Mapping[str, str] | None = None,
    own_file: str = "",
) -> str | None:
    """:func:`fix_references` on a fragment lxml wrote (``written_by_lxml``) as text, without
    parsing it: the same result, serialised, for the common fragment whose only references are
    links to other documents. None when it takes a tree: it has ids, named anchors, media,
    links within itself or a link that must go (see ``_NEEDS_TREE``)."""
    if any(markup in xhtml for markup in _NEEDS_TREE) or _MEDIA_TAG.search(xhtml):
        return None
    if "<a" not in xhtml:
        return xhtml
    pieces: list[str] = []
    start = 0
    for tag in _LINK_START.finditer(xhtml):
        href = _HREF.search(tag.group())
        if href is None:
            continue
        written = href.group(1)
        original = _ATTRIBUTE_ESCAPE.sub(lambda m: _ATTRIBUTE_ESCAPES[m.group()], written)
        target = _link_target(original, {}, set(), book_files, articles_by_url, own_file)
        if target is None:
            return None  # the link loses its href: a tree's work
        if target == original:
            continue
        value_start = tag.start() + href.start(1)
        pieces += (xhtml[start:value_start], _escape_attribute(target))
        start = value_start + len(written)
    return "".join(pieces) + xhtml[start:] if pieces else xhtml


def _escape_attribute(value: str) -> str:
    """``value`` as lxml writes an attribute's value."""
    return _ATTRIBUTE_SPECIAL.sub(lambda m: _ESCAPED[m.group()], value)


def _fix_ids(root: etree._Element) -> dict[str, str]:
    """Rename ids that are not XML names, drop duplicates; map old -> new for links."""
    for anchor in root.iter(_X + "a"):
        name = anchor.get("name")
        if name is not None:
            del anchor.attrib["name"]  # obsolete in HTML5: EPUBCheck rejects it
            if name and not anchor.get("id"):
                anchor.set("id", name)
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for element in _WITH_ID(root):
        old = element.get("id")
        if old is None:
            continue
        new = old if _XML_NAME.match(old) else "id-" + re.sub(r"[^\w.-]", "-", old)
        if new in seen or not new.strip("-"):
            del element.attrib["id"]
            continue
        seen.add(new)
        renamed.setdefault(old, new)
        element.set("id", new)
    return renamed


def _resolve_href(
    href: str, renamed: dict[str, str], known_ids: set[str | None], book_files: Collection[str]
) -> str | None:
    href = href.strip()
    scheme = _SCHEME.match(href)
    if scheme:
        return href if scheme.group(1).lower() in _LINK_SCHEMES else None
    if href.startswith("//"):
        return "https:" + href
    if href.startswith("#"):
        fragment = renamed.get(href[1:], href[1:])
        return "#" + fragment if fragment in known_ids else None
    path, _, fragment = href.partition("#")
    if path in book_files:
        return path  # the fragment was an id of the original page, not of our file
    return None


@functools.lru_cache(maxsize=16_384)  # links repeat across a book's articles; urlsplit is slow
def url_key(url: str) -> str:
    """``url`` compared loosely: no scheme, fragment or trailing slash, host in lower case."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return ""
    path = parts.path.rstrip("/")
    return f"{parts.netloc.lower()}{path}" + (f"?{parts.query}" if parts.query else "")


def _is_remote(url: str) -> bool:
    url = url.strip()
    return bool(_SCHEME.match(url)) or url.startswith("//")


def _default_label(tag: str) -> str:
    return {"img": "Image", "video": "Video", "audio": "Audio"}.get(tag, "Embedded content")


def _replace_with_link(element: etree._Element, url: str, label: str) -> None:
    url = "https:" + url.strip() if url.strip().startswith("//") else url.strip()
    inside_link = any(ancestor.tag == _X + "a" for ancestor in element.iterancestors())
    if inside_link or not url.lower().startswith(("http:", "https:")):
        _replace_with_text(element, f"[{label}]")
        return
    link = etree.Element(_X + "a", href=url)
    link.text = label
    link.tail = element.tail
    _replace(element, link)


def _replace_with_text(element: etree._Element, text: str) -> None:
    span = etree.Element(_X + "span")
    span.text = _xml_safe(text)
    span.tail = element.tail
    _replace(element, span)


def _replace(old: etree._Element, new: etree._Element) -> None:
    parent = old.getparent()
    if parent is not None:
        parent.replace(old, new)


def _unwrap(element: etree._Element) -> None:
    """Replace ``element`` by its children (``<picture>`` -> its ``<img>``)."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if element.text:
        span = etree.Element(_X + "span")
        span.text = element.text
        parent.insert(index, span)
    remove_keep_tail(element)


def _xml_safe(text: str) -> str:
    """``text`` without the control characters XML 1.0 forbids."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)
