"""The allow-lists and URL rules the clean stage applies: data, plus a few pure helpers.

Everything that decides *what may survive* lives here, in one place, so a security review reads
one file. ``clean.py`` walks the tree and asks these questions; it holds no lists of its own.
"""

from __future__ import annotations

import math
import re
from typing import Final
from urllib.parse import urljoin, urlsplit

from feed2book.defaults import IMAGE_MAX_PX

# Elements removed together with everything inside them.
DROP_WITH_CONTENT: Final = frozenset(
    {
        "script", "style", "noscript", "template", "head", "title", "meta", "link", "base",
        "form", "input", "button", "select", "textarea", "option", "optgroup", "datalist",
        "output", "progress", "meter", "canvas", "map", "area", "svg", "frameset", "frame",
        "noframes", "param", "source", "track", "applet", "dialog", "slot", "portal",
        "colgroup", "col", "rp",
    }
)  # fmt: skip

# Elements turned into a visible link by ``embeds.py`` rather than kept.
EMBED_TAGS: Final = frozenset({"iframe", "object", "embed", "video", "audio"})

# Phrasing elements kept as themselves (with only the attributes in ``ATTRIBUTES``).
INLINE_KEEP: Final = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd",
        "mark", "q", "rt", "ruby", "s", "samp", "small", "strong", "sub", "sup", "u", "var",
    }
)  # fmt: skip

# Elements whose content is kept but whose tag goes (unknown tags are treated the same way).
INLINE_UNWRAP: Final = frozenset(
    {"span", "font", "time", "data", "label", "big", "tt", "strike", "nobr", "wbr", "blink"}
)

# Block containers that are only wrappers: their content is kept, and they end a paragraph.
BLOCK_UNWRAP: Final = frozenset(
    {
        "div", "section", "article", "main", "header", "footer", "aside", "nav", "center",
        "hgroup", "body", "html", "details", "fieldset", "legend", "search", "address",
    }
)  # fmt: skip

HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Blocks whose children are phrasing content only.
TEXT_BLOCKS: Final = frozenset({"p", "figcaption", "caption", "dt", "summary", *HEADINGS})

LISTS: Final = frozenset({"ul", "ol", "menu", "dir"})

TABLE_SECTIONS: Final = frozenset({"thead", "tbody", "tfoot"})

# Output blocks removed when they end up with no content at all.
REMOVE_IF_EMPTY: Final = frozenset(
    {"p", "li", "dt", "dd", "dl", "ul", "ol", "blockquote", "figure", "figcaption", "caption",
     "table", "thead", "tbody", "tfoot", "tr", *HEADINGS}
)  # fmt: skip

# Output inline elements removed (content-less) when empty.
INLINE_REMOVE_IF_EMPTY: Final = INLINE_KEEP - {"rt"}

# Attributes kept per element; ``*`` applies to every element.
ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "*": frozenset({"id", "lang", "dir"}),
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "dfn": frozenset({"title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
}

NUMERIC_ATTRIBUTES: Final = frozenset({"width", "height", "colspan", "rowspan", "start", "value"})
ENUM_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "dir": frozenset({"ltr", "rtl", "auto"}),
    "scope": frozenset({"row", "col", "rowgroup", "colgroup"}),
    "reversed": frozenset({"reversed"}),
}

# Widgets that carry no article content (share bars, subscribe boxes, related posts).
WIDGET_CLASSES: Final = frozenset(
    {
        "subscription-widget-wrap", "subscription-widget-wrap-editor", "subscription-widget",
        "subscribe-widget", "button-wrapper", "share-dialog", "image-link-expand",
        "sharedaddy", "sd-sharing-enabled", "jp-relatedposts", "wp-block-buttons",
        "addtoany_share_save_container", "a2a_kit", "post-share", "share-buttons",
        "social-share", "feedflare", "blogger-post-footer", "kg-signup-card",
        "footnotes-sep", "post-subscribe", "newsletter-signup", "medium-feed-link",
        "crayon-toolbar", "crayon-num",
    }
)  # fmt: skip

# Heading permalinks: dropped when they show a glyph rather than words.
ANCHOR_CLASSES: Final = frozenset(
    {"anchor", "anchor-link", "header-anchor", "headerlink", "heading-anchor", "hanchor",
     "anchorjs-link", "heading-link", "permalink", "zola-anchor"}
)  # fmt: skip

# Text that a heading permalink shows instead of words.
ANCHOR_GLYPHS: Final = frozenset({"", "#", "¶", "§", "🔗", "link", "permalink"})

# Text of a heading permalink: glyphs and the theme's words for it ("Link to heading"), alone or
# together ("Link to heading 🔗").
_PERMALINK_TEXT = re.compile(
    r"(?:[\s#¶§🔗\u200b]|(?:direct\s+)?link(?:\s+to\s+(?:this\s+)?(?:heading|section))?"
    r"|permalink|anchor)*",
    re.IGNORECASE,
)
# Classes of elements only screen readers see, or nobody ("hidden" is Tailwind's display:none).
HIDDEN_CLASSES: Final = frozenset(
    {"sr-only", "screen-reader-text", "visually-hidden", "visuallyhidden", "hidden"}
)


def is_permalink_text(text: str) -> bool:
    """True for text a heading permalink shows ("#", "¶", "🔗", "Link to heading")."""
    return _PERMALINK_TEXT.fullmatch(text) is not None


# MathML kept in books (EPUB 3 allows it): presentation elements only; ``annotation`` only with
# a TeX encoding; no ``annotation-xml``, ``maction``, ``mglyph`` (an image source) or links.
MATHML_NS: Final = "http://www.w3.org/1998/Math/MathML"
MATHML_TOKENS: Final = frozenset({"mi", "mn", "mo", "mtext", "ms"})
MATHML_ELEMENTS: Final = frozenset(
    {
        "math", "semantics", "annotation", "mrow", "mfrac", "msqrt", "mroot", "mstyle",
        "merror", "mpadded", "mphantom", "mfenced", "menclose", "msub", "msup", "msubsup",
        "munder", "mover", "munderover", "mmultiscripts", "mprescripts", "none", "mtable",
        "mtr", "mtd", "mspace", *MATHML_TOKENS,
    }
)  # fmt: skip
TEX_ENCODINGS: Final = frozenset({"application/x-tex", "tex", "text/x-tex", "latex"})
# Attributes kept on MathML elements, each with the values it may take (EPUBCheck checks them).
_LENGTH = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:em|ex|px|in|cm|mm|pt|pc|%)?"
_NAMED_SPACE = r"(?:negative)?(?:very){0,2}(?:thin|thick)mathspace|thin|medium|thick"
_TRUE_FALSE = r"true|false"
_WORDS = r"[a-z]+(?: [a-z]+)*"
MATHML_ATTRIBUTES: Final[dict[str, re.Pattern[str]]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "display": r"block|inline",
        "mathvariant": r"normal|bold|italic|bold-italic|double-struck|bold-fraktur|script"
        r"|bold-script|fraktur|sans-serif|bold-sans-serif|sans-serif-italic"
        r"|sans-serif-bold-italic|monospace",
        "displaystyle": _TRUE_FALSE,
        "scriptlevel": r"[+\-]?[0-9]{1,2}",
        "mathsize": f"{_LENGTH}|small|normal|big",
        "width": f"{_LENGTH}|{_NAMED_SPACE}",
        "height": _LENGTH,
        "depth": _LENGTH,
        "lspace": f"{_LENGTH}|{_NAMED_SPACE}",
        "rspace": f"{_LENGTH}|{_NAMED_SPACE}",
        "linethickness": f"{_LENGTH}|thin|medium|thick",
        "form": r"prefix|infix|postfix",
        "stretchy": _TRUE_FALSE,
        "symmetric": _TRUE_FALSE,
        "largeop": _TRUE_FALSE,
        "movablelimits": _TRUE_FALSE,
        "fence": _TRUE_FALSE,
        "separator": _TRUE_FALSE,
        "accent": _TRUE_FALSE,
        "accentunder": _TRUE_FALSE,
        "bevelled": _TRUE_FALSE,
        "open": r"[^<>&\s]{0,3}",
        "close": r"[^<>&\s]{0,3}",
        "separators": r"[^<>&]{0,10}",
        "notation": _WORDS,
        "columnalign": r"(?:left|center|right)(?: (?:left|center|right))*",
        "rowalign": r"(?:top|bottom|center|baseline|axis)(?: (?:top|bottom|center|baseline|axis))*",
        "columnlines": r"(?:none|solid|dashed)(?: (?:none|solid|dashed))*",
        "rowlines": r"(?:none|solid|dashed)(?: (?:none|solid|dashed))*",
        "frame": r"none|solid|dashed",
        "rowspan": r"[1-9][0-9]{0,2}",
        "columnspan": r"[1-9][0-9]{0,2}",
        "encoding": r"[A-Za-z0-9/+.\-]{1,40}",
        "alttext": r"[^<>]{0,2000}",
    }.items()
}

_TOKEN_STYLE = frozenset({"mathvariant", "mathsize"})
_OPERATOR = frozenset(
    {"form", "fence", "separator", "lspace", "rspace", "stretchy", "symmetric", "largeop",
     "movablelimits", "accent"}
)  # fmt: skip
# Which of those attributes each element takes (EPUBCheck rejects the others).
MATHML_ELEMENT_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "math": frozenset({"display", "alttext"}),
    **{token: _TOKEN_STYLE for token in MATHML_TOKENS - {"mo"}},
    "mo": _TOKEN_STYLE | _OPERATOR,
    "mstyle": _TOKEN_STYLE | {"displaystyle", "scriptlevel"},
    "mfrac": frozenset({"linethickness", "bevelled"}),
    "mspace": frozenset({"width", "height", "depth"}),
    "mpadded": frozenset({"width", "height", "depth", "lspace"}),
    "menclose": frozenset({"notation"}),
    "mfenced": frozenset({"open", "close", "separators"}),
    "mover": frozenset({"accent"}),
    "munder": frozenset({"accentunder"}),
    "munderover": frozenset({"accent", "accentunder"}),
    "mtable": frozenset({"columnalign", "rowalign", "columnlines", "rowlines", "frame"}),
    "mtr": frozenset({"columnalign", "rowalign"}),
    "mtd": frozenset({"rowspan", "columnspan", "columnalign", "rowalign"}),
    "annotation": frozenset({"encoding"}),
}

# Limits on one article's HTML, so hostile input costs bounded time and memory. Real posts stay
# far below them: 5 million characters holds a long post with inline data: images; 64 levels
# and 20,000 elements are several times what the longest, deepest posts of the seed and practice
# feeds use. Beyond the first the HTML is cut; beyond the others the rest is kept as plain text.
MAX_HTML_CHARS: Final = 2_000_000
MAX_DEPTH: Final = 64
MAX_ELEMENTS: Final = 20_000

HREF_SCHEMES: Final = frozenset({"http", "https", "mailto", "ftp", "ftps", "tel", "xmpp"})
SRC_SCHEMES: Final = frozenset({"http", "https"})
DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z", re.I)

# Browsers ignore these characters inside a URL, so "java\tscript:" is still javascript:.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_ID_INVALID = re.compile(r"[^A-Za-z0-9_.\-]+")
_ID_START = re.compile(r"[A-Za-z_]")


def safe_url(raw: str, base: str | None, *, image: bool = False) -> str | None:
    """Resolve ``raw`` against ``base`` and return it if its scheme is allowed, else None.

    Same-document fragments (``#x``) are returned unresolved; ``image`` allows raster
    ``data:image/...;base64`` sources and only http(s) otherwise.
    """
    url = _URL_NOISE.sub("", raw.strip()) if raw else ""
    if not url:
        return None
    if url.startswith("#"):
        return None if image else url
    if url.lower().startswith("data:"):
        return url if image and DATA_IMAGE.match(url) else None
    try:
        if url.startswith("//"):
            url = urljoin(base or "https:", url)
        elif base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if parts.netloc and not _HOST.fullmatch(parts.hostname or ""):
            return None  # "http://%", "http://a b": no host a reader could reach
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # "http://[::1/x", "http://a:99999999/" and the like: no URL at all
        return None
    if not scheme:  # relative and no base to resolve it: keep as the author wrote it
        return escape_url(url) if ":" not in url.split("/", 1)[0] else None
    allowed = SRC_SCHEMES if image else HREF_SCHEMES
    return escape_url(url) if scheme in allowed else None


# What a URL may not hold as it is (WHATWG URL: no URL code point; ASCII punctuation, controls,
# noncharacters, surrogates): browsers percent-encode it, EPUBCheck rejects it (RSC-020). Also "%"
# that starts no percent-escape. The host is left alone ("[" and "]" enclose an IPv6 address).
# ASCII controls, space and the characters RFC 3986 leaves out; Unicode spaces and line
# separators (which URL parsers such as EPUBCheck's read as a space) and bidi controls (which
# RFC 3987 forbids in IRIs: they reorder what a reader sees); non-characters and surrogates.
_NOT_IN_URL = re.compile(
    r'[\x00-\x20"<>\\^`{|}\[\]\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f'
    r"\u3000\ufeff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]|%(?![0-9A-Fa-f]{2})"
)
# A host name (IDN letters too) or an IP address (an IPv6 one comes without its brackets).
_HOST = re.compile(r"[\w.\-]+|[0-9A-Fa-f:.]+")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*|^//[^/?#]*")


def escape_url(url: str) -> str:
    """``url`` with what may not appear in a URL percent-encoded (outside the host)."""
    authority = _AUTHORITY.match(url)
    start = authority.end() if authority else 0
    rest = url[start:]
    if not _NOT_IN_URL.search(rest):
        return url
    return url[:start] + _NOT_IN_URL.sub(_percent, rest)


def _percent(match: re.Match[str]) -> str:
    data = match.group()[0].encode("utf-8", errors="surrogatepass")
    return "".join(f"%{byte:02X}" for byte in data)


def safe_id(raw: str) -> str:
    """A valid, stable XML id (an NCName) made from ``raw``: ``fn:1`` becomes ``fn-1``."""
    cleaned = _ID_INVALID.sub("-", raw.strip())
    if not cleaned or not _ID_START.match(cleaned):
        cleaned = "id-" + cleaned
    return cleaned


def is_widget(class_attr: str | None) -> bool:
    """True for share/subscribe/permalink widgets, recognised by one of their classes."""
    return bool(class_attr) and not WIDGET_CLASSES.isdisjoint((class_attr or "").split())


# Image addresses that only count readers (feed analytics, "web bugs").
_TRACKERS: Final = (
    "medium.com/_/stat", "feeds.feedburner.com/~r/", "feeds.feedburner.com/~ff/", "pixel.wp.com",
    "stats.wordpress.com", "doubleclick.net", "google-analytics.com", "/open.gif", "pixel.gif",
    "feedproxy.google.com/~r/", "substack.com/o/", "eotrx.substackcdn.com",
)  # fmt: skip


def is_tracking_pixel(src: str, width: str | None, height: str | None) -> bool:
    """True for a 1x1 (or 0x0) image or an image served by a known reader counter."""
    tiny = {"0", "1"}
    if width is not None and height is not None and {width.strip(), height.strip()} <= tiny:
        return True
    return any(tracker in src for tracker in _TRACKERS)


# Pixels: the width a ``srcset`` candidate is chosen for, and the default longest edge that
# images are scaled down to for e-readers (``feed2book.images.ImageOptions.max_px``).
IMAGE_TARGET_WIDTH: Final = IMAGE_MAX_PX
# A density descriptor says nothing about width; assume a "1x" candidate is this wide (a
# typical blog column), so "2x" counts as twice that.
_ASSUMED_1X_WIDTH: Final = 800


def best_srcset_url(srcset: str, target_width: int = IMAGE_TARGET_WIDTH) -> str:
    """The ``srcset`` candidate whose width is closest to ``target_width`` (ties: the wider).

    ``800w`` counts as 800 px; a density (``2x``, or none, meaning ``1x``) as that many times
    an assumed 800 px column. URLs may contain commas.
    """
    best, best_key = "", (float("inf"), 0.0)
    for url, width in _srcset_candidates(srcset):
        key = (abs(width - target_width), -width)
        if key < best_key:
            best, best_key = url, key
    return best


def _srcset_candidates(srcset: str) -> list[tuple[str, float]]:
    """``(url, width in px)`` per candidate; an unreadable descriptor counts as 0 px."""
    tokens = srcset.split()
    candidates: list[tuple[str, float]] = []
    index = 0
    while index < len(tokens):
        url, descriptor = tokens[index], ""
        index += 1
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            while index < len(tokens):
                token = tokens[index]
                index += 1
                if token.endswith(","):
                    descriptor = token.rstrip(",")
                    break
                descriptor = token
        candidates.append((url, _descriptor_width(descriptor)))
    return candidates


def _descriptor_width(descriptor: str) -> float:
    unit = descriptor[-1:].lower()
    number = descriptor[:-1] if unit in {"w", "x"} else "1"
    try:
        value = float(number)
    except ValueError:
        return 0.0
    if not math.isfinite(value) or value <= 0:
        return 0.0
    return value if unit == "w" else value * _ASSUMED_1X_WIDTH
