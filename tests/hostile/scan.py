"""What "nothing hostile survived" means, checked on every kind of output.

``unsafe_in_markup`` lists every script, event handler, dangerous element or attribute and
``javascript:``-like URL in an (X)HTML document or fragment; with ``book_files`` (an EPUB) it also
lists every resource that would be loaded from outside the book. ``unsafe_in_markdown`` renders
Markdown the way mdBook, Hugo or a static site would (raw HTML passed through, no link
sanitising) and checks the result the same way. ``unsafe_in_css`` checks a stylesheet.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import lxml.html
from lxml import etree
from markdown_it import MarkdownIt

DANGEROUS_ELEMENTS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
        "input", "button", "select", "textarea", "base", "meta", "link", "template", "noscript",
        "animate", "set", "foreignobject", "use", "isindex", "marquee", "bgsound",
        # MathML is kept (allow-listed), but not its actions, HTML islands or images
        "maction", "annotation-xml", "mglyph",
        "layer", "portal", "audio", "video", "source", "track",
    }
)  # fmt: skip
DANGEROUS_ATTRIBUTES = frozenset(
    {"style", "srcdoc", "formaction", "action", "background", "dynsrc", "lowsrc", "poster",
     "http-equiv", "srcset", "ping", "codebase", "archive"}
)  # fmt: skip
URL_ATTRIBUTES = frozenset({"href", "src", "xlink:href", "data", "cite", "longdesc", "usemap"})
LOADING = frozenset({"src", "data", "xlink:href"})  # loaded without a click (on non-links)
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "ftps", "xmpp"})
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|jpg|gif|webp);base64,", re.I)
_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)
_XLINK = "{http://www.w3.org/1999/xlink}href"


def _local_name(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].split(":")[-1].lower()


def _attributes(element: Any) -> list[tuple[str, str]]:
    found = []
    for name, value in element.items():
        name = "xlink:href" if name == _XLINK else str(name).rsplit("}", 1)[-1].lower()
        found.append((name, str(value)))
    return found


def unsafe_in_markup(
    root: Any, *, book_files: Collection[str] | None = None, allow_remote_images: bool = True
) -> list[str]:
    """Everything unsafe in the tree under ``root`` (an lxml element), as readable strings.

    ``book_files``: the EPUB's file names (relative to the page); then nothing may be loaded
    from anywhere else, and the cover's ``<svg><image>`` is allowed.
    """
    found = []
    for element in root.iter():
        name = _local_name(element)
        if not name:
            continue
        where = f"<{name}>"
        if name in DANGEROUS_ELEMENTS:
            found.append(f"element {where}")
        if name in ("svg", "image") and book_files is None:
            found.append(f"element {where}")
        for attribute, value in _attributes(element):
            if attribute.startswith("on"):
                found.append(f"event handler {attribute} on {where}")
            elif attribute in DANGEROUS_ATTRIBUTES:
                found.append(f"attribute {attribute} on {where}")
            elif attribute in URL_ATTRIBUTES:
                problem = _url_problem(name, attribute, value, book_files, allow_remote_images)
                if problem:
                    found.append(f"{attribute}={value!r} on {where}: {problem}")
    return found


def _url_problem(
    element: str,
    attribute: str,
    value: str,
    book_files: Collection[str] | None,
    allow_remote_images: bool,
) -> str:
    url = _NOISE.sub("", value)
    scheme_match = _SCHEME.match(url)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    loads = attribute in LOADING and element != "a"
    if book_files is not None:
        if loads and (scheme or url.startswith("//")):
            return "loads a resource from outside the book"
        if loads and url.split("#")[0] not in book_files:
            return "loads a file that is not in the book"
    if not scheme:
        return ""
    if loads:
        if scheme in ("http", "https") and element == "img" and allow_remote_images:
            return ""
        if DATA_IMAGE.match(url) and element == "img":
            return ""
        return f"loads a {scheme}: URL"
    return "" if scheme in LINK_SCHEMES else f"{scheme}: URL"


def unsafe_in_xhtml_fragment(xhtml: str, *, allow_remote_images: bool = True) -> list[str]:
    if not xhtml.strip():
        return []
    root = etree.fromstring(f"<div>{xhtml}</div>")  # also proves it is well-formed
    return unsafe_in_markup(root, allow_remote_images=allow_remote_images)


_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
# Render as mdBook does: no link sanitising.
_MARKDOWN.validateLink = lambda url: True  # type: ignore[method-assign]
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def render_markdown(markdown: str) -> str:
    return str(_MARKDOWN.render(_FRONT_MATTER.sub("", markdown, count=1)))


def unsafe_in_markdown(markdown: str, *, allow_remote_images: bool = True) -> list[str]:
    html = render_markdown(markdown)
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return unsafe_in_markup(root, allow_remote_images=allow_remote_images)


_CSS_DANGER = re.compile(
    r"expression\s*\(|javascript:|vbscript:|@import|behavior\s*:|-moz-binding|"
    r"url\(\s*['\"]?\s*(?:[a-z][a-z0-9+.\-]*:|//)",
    re.I,
)


def unsafe_in_css(css: str) -> list[str]:
    return [match.group(0) for match in _CSS_DANGER.finditer(css)]
