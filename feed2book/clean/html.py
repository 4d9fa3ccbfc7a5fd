"""The clean stage: any feed HTML in, a safe and well-formed XHTML fragment out.

One lenient lxml parse, then one walk that builds a *new* tree from an allow-list: what is not
explicitly kept never reaches the output, so sanitising happens here, once. The walk also
rebuilds the structure a book needs (inline text always inside a block, no block inside a
paragraph, embeds as visible links, code blocks as ``<pre><code class="language-x">``, headings
nested under the article title). The rules themselves live in ``htmlrules.py``,
``embeds.py``, ``codeblocks.py`` and ``mathml.py``; ``_sink.py`` holds the tree-building helpers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from html import escape as html_escape
from html.parser import HTMLParser
from typing import Final, cast

from lxml import etree

from feed2book.clean.codeblocks import code_language, code_table_pre, code_text
from feed2book.clean.embeds import Embed, codepen_embed, embed_for, script_embed
from feed2book.clean.mathml import build_math, math_tex, math_text
from feed2book.clean.remembered import Remembered
from feed2book.clean.rules import (
    ANCHOR_CLASSES,
    ANCHOR_GLYPHS,
    ATTRIBUTES,
    BLOCK_UNWRAP,
    DROP_WITH_CONTENT,
    EMBED_TAGS,
    ENUM_ATTRIBUTES,
    HEADINGS,
    HIDDEN_CLASSES,
    INLINE_KEEP,
    LISTS,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_HTML_CHARS,
    NUMERIC_ATTRIBUTES,
    REMOVE_IF_EMPTY,
    TABLE_SECTIONS,
    TEXT_BLOCKS,
    best_srcset_url,
    is_permalink_text,
    is_tracking_pixel,
    is_widget,
    safe_id,
    safe_url,
)
from feed2book.clean.structure import build_definitions, build_list, build_table
from feed2book.xhtml import sink as _sink
from feed2book.xhtml.sink import (
    Sink,
    append_text,
    is_empty,
    last_child,
    plain_text,
    remove_keep_tail,
    text_content,
    unwrap,
    unwrap_all,
)

__all__ = ["clean_html", "clean_html_tree", "prefix_ids"]

# Characters XML 1.0 forbids: removed before parsing so the output always parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# The ASCII ones as bytes (what ``_without_non_xml`` looks for at C speed).
_NOT_XML_ASCII: Final = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
_ID_VALUES: Final = etree.XPath("//@id", smart_strings=False)
_HTML_SPACE: Final = " \t\n\r\f"
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_BARE_URL = re.compile(r"https?://\S+")
# A heading that starts with a paragraph (<h2><p>…</p></h2>): libxml2 closes the heading at the
# <p> and loses the end tag, so its paragraphs are made spans before parsing. Only headings up to
# 2,000 characters long are looked at (real ones are far shorter).
_HEADING_PARAGRAPH = re.compile(r"<h([1-6])\b[^<>]{0,500}>\s*<p\b", re.IGNORECASE)
_PARAGRAPH_TAG = re.compile(r"<(/?)p\b[^>]*>", re.IGNORECASE)
_HEADING_END = re.compile(r"</h([1-6])", re.IGNORECASE)
_HEADING_LENGTH: Final = 2_000
_LAZY_SOURCES: Final = ("data-src", "data-lazy-src", "data-original", "data-orig-file", "src")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.\-]*")
# An absolute http(s) URL that safe_url gives back as it is, whatever the base: nothing to strip,
# a lower-case scheme, a plain ASCII host, no ";" parameters (urljoin would re-split them) and no
# empty "?" or "#" (urljoin would drop them).
_PLAIN_WEB_URL = re.compile(
    r"https?://[A-Za-z0-9.\-_]+(?::[0-9]{1,4})?"
    r"(?:/[^?#;\x00-\x20\x7f-\U0010ffff\"<>\\^`{|}\[\]%]*)?"
    r"(?:\?[^#\x00-\x20\x7f-\U0010ffff\"<>\\^`{|}\[\]%]+)?(?:#[!#$&-;=?-Z_a-z~]+)?\Z"
)
_VOID: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Nesting kept when libxml2's own limit had to be avoided; MAX_DEPTH then applies.
_PARSE_DEPTH: Final = 128
# Source elements walked one inside the other (wrappers that leave no output element count too):
# at most ~6 Python frames each, well inside the default recursion limit of 1,000.
_WALK_DEPTH: Final = 100
# Containers holding only blocks: a newline after each child keeps the XHTML readable.
_PRETTY: Final = frozenset(
    {"div", "blockquote", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr"}
)


def clean_html(
    html: str, base_url: str | None = None, *, on_problem: Callable[[str], None] | None = None
) -> str:
    """Return ``html`` as a safe XHTML fragment: block elements serialised as XML.

    Relative URLs are resolved against ``base_url`` (and any ``xml:base`` inside). The result
    has no namespace declarations except on MathML formulas (``<math xmlns="…MathML">``);
    ``""`` for empty input. Cleaning is idempotent.

    Hostile input is bounded (``htmlrules.MAX_HTML_CHARS``, ``MAX_DEPTH``, ``MAX_ELEMENTS``):
    what lies beyond a limit is cut or kept as plain text, and ``on_problem`` is told why.
    """
    return clean_html_tree(html, base_url, on_problem=on_problem)[0]


def clean_html_tree(
    html: str, base_url: str | None = None, *, on_problem: Callable[[str], None] | None = None
) -> tuple[str, etree._Element]:
    """``clean_html``'s XHTML and the tree it was serialised from: a ``<div>`` holding the
    fragment (empty for empty input), which reads as ``<div>{xhtml}</div>`` parsed again would,
    so a caller that wants more from the cleaned article (its word count) need not parse it."""
    if not html or not html.strip():
        return "", etree.Element("div")
    report = on_problem or _ignore
    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]
        report(f"HTML longer than {MAX_HTML_CHARS:,} characters; cut there")
    html = _without_non_xml(html)
    if "&#" in html:
        html = _CHARACTER_REFERENCE.sub(_drop_non_xml_reference, html)
    if _HEADING_PARAGRAPH.search(html):
        html = _heading_paragraphs_as_spans(html)
    body, limited = _parse_body(html)
    if body is None:
        return "", etree.Element("div")
    cleaner = _Cleaner(base_url, report)
    root = cleaner.run(body)
    if cleaner.too_deep or limited:
        report(f"HTML nested more than {MAX_DEPTH} levels deep; the deeper part kept as plain text")
    if cleaner.too_many:
        report(f"more than {MAX_ELEMENTS:,} HTML elements; the rest kept as plain text")
    _renumber_headings(root)
    return _serialise(root), root


def _ignore(message: str) -> None:
    pass


# Inline elements the walk keeps as they are, with what they hold, when they have no attribute.
_PLAIN_INLINE: Final = INLINE_KEEP - {"a", "code", "rt", "ruby"}
# How deep a paragraph's plain inline markup may nest for ``_plain_run`` (real markup: 1 to 3).
_PLAIN_NESTING: Final = 8


def _plain_run(source: etree._Element, nesting: int = 1) -> tuple[int, int] | None:
    """``(elements, levels)`` of what ``source`` holds when the walk would copy it as it is,
    but for its whitespace (``_copy_run``): inline elements without attributes that keep their
    content, none of them left empty (it would go, its tail joining the text before); links
    to plain web addresses (``_web_url`` keeps them as written) holding only words; inline
    code holding only words, its classes none the walk drops it for; line breaks. Else None.
    """
    if nesting > _PLAIN_NESTING:
        return None
    elements, levels = 0, 0
    for child in source:
        tag = child.tag
        if tag == "br":
            if len(child.attrib) or len(child):
                return None
            inner = (0, 0)
        elif tag in _PLAIN_INLINE:
            if len(child.attrib):
                return None
            found = _plain_run(child, nesting + 1) if len(child) else (0, 0)
            if found is None:
                return None
            if not found[0] and not (child.text or "").strip():  # left empty: removed
                return None
            inner = found
        elif tag == "a" or tag == "code":
            if len(child) or not (child.text or "").strip() or not _plain_leaf(child, tag):
                return None
            inner = (0, 0)
        else:
            return None
        elements += 1 + inner[0]
        levels = max(levels, 1 + inner[1])
    return elements, levels


def _plain_leaf(leaf: etree._Element, tag: str) -> bool:
    """A link (``anchor``) or code (``inline``) that the walk keeps as a copy of it: a link
    with only a plain web address (no class: no permalink), code that no class hides."""
    names = leaf.keys()
    if tag == "a":
        return names == ["href"] and _PLAIN_WEB_URL.match(leaf.get("href") or "") is not None
    if not names:
        return True
    classes = leaf.get("class")
    return names == ["class"] and not _widget(classes) and not _hidden_classes(classes)


def _copy_run(source: etree._Element, target: etree._Element) -> None:
    """Copy what ``source`` holds (a ``_plain_run``) into the empty ``target`` as the walk
    would: each text and tail as ``text`` writes it (a tail after a line break starts with no
    space: ``append_text``); a link keeps only its address, inline code no attribute."""
    for child in source:
        tag = child.tag
        if tag == "a":
            copy = etree.SubElement(target, "a", {"href": child.get("href") or ""})
        else:
            copy = etree.SubElement(target, tag)
        if tag != "br":
            copy.text = _inline_text(child.text)
        if len(child):
            _copy_run(child, copy)
        tail = _inline_text(child.tail)
        if tail is not None:  # ("" after a line break, as append_text leaves it)
            copy.tail = tail.lstrip(" ") if tag == "br" else tail


def _without_non_xml(html: str) -> str:
    """``html`` without the characters XML forbids. Most HTML has none, and finding that out
    with ``bytes.translate`` (a C table lookup per byte) costs a third of the regex search."""
    try:
        encoded = html.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _NOT_XML.sub("", html)
    if (
        len(encoded.translate(None, _NOT_XML_ASCII)) == len(encoded)
        and "\ufffe" not in html
        and "\uffff" not in html
    ):
        return html
    return _NOT_XML.sub("", html)


def _inline_text(text: str | None) -> str | None:
    """What ``text`` becomes as the only content of an inline-only ``Sink``, or as one piece
    of a paragraph's (``_Cleaner.text``): a blank one is one space."""
    if not text:
        return None
    return _collapsed(text) if text.strip(_HTML_SPACE) else " "


def _collapsed(text: str) -> str:
    """``text`` with each run of HTML whitespace (space, tab, LF, CR, FF) as one space.
    ``str.replace`` finds at C speed what a regex tests character by character; a run of n
    spaces takes log2(n) rounds."""
    if "\n" in text or "\t" in text or "\r" in text or "\f" in text:
        text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ").replace("\f", " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def _parse_body(html: str) -> tuple[etree._Element | None, bool]:
    """The ``<body>`` of ``html`` parsed leniently, never cut short by deep nesting; and whether
    its nesting had to be limited for that.

    libxml2 stops at 2,048 levels (256 without ``huge_tree``, which also lifts its 10 MB limit
    on one text) and drops everything after that point; nesting that deep is first limited
    (deeper tags removed, their text kept) and the result parsed again.
    """
    for limit in (None, _PARSE_DEPTH, 0):
        attempt = html if limit is None else _limit_nesting(html, limit)
        parser = etree.HTMLParser(
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            default_doctype=False,
            huge_tree=True,
        )  # type: ignore[call-arg]
        # A leading "<body>" keeps a first <script> (a gist embed) or <title> out of <head>.
        document = etree.fromstring("<body>" + attempt, parser)
        if not any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
            body = document.find("body") if document is not None else None
            return body, limit is not None
    return None, True


class _NestingLimiter(HTMLParser):
    """Re-emits HTML with start and end tags deeper than ``limit`` left out (text kept)."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropped: dict[str, int] = {}
        self.silent = 0  # inside a dropped <script> or <style>: its text is not text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_startendtag(tag, attrs)
        elif len(self.open) >= self.limit:
            self.dropped[tag] = self.dropped.get(tag, 0) + 1
            self.silent += tag in DROP_WITH_CONTENT
        else:
            self.open.append(tag)
            self.out.append(f"<{tag}{_attributes(attrs)}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.open) < self.limit:
            self.out.append(f"<{tag}{_attributes(attrs)}>")

    def handle_endtag(self, tag: str) -> None:
        if self.dropped.get(tag):
            self.dropped[tag] -= 1
            self.silent -= tag in DROP_WITH_CONTENT and self.silent > 0
        elif tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.silent:
            self.out.append(html_escape(data, quote=False))

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")


def _attributes(attrs: list[tuple[str, str | None]]) -> str:
    return "".join(
        f' {name}="{html_escape(value or "", quote=True)}"'
        for name, value in attrs
        if _ATTRIBUTE_NAME.fullmatch(name)
    )


def _limit_nesting(html: str, limit: int) -> str:
    limiter = _NestingLimiter(limit)
    limiter.feed(html)
    limiter.close()
    return "".join(limiter.out)


def _heading_paragraphs_as_spans(html: str) -> str:
    """``<h2><p>A</p><p>B</p></h2>`` as ``<h2><span>A</span> <span>B</span> </h2>``."""
    closing = [(m.start(), m.group(1)) for m in _HEADING_END.finditer(html)]
    positions = [position for position, _ in closing]
    pieces: list[str] = []
    done = 0
    for match in _HEADING_PARAGRAPH.finditer(html):
        start = match.end() - len("<p")
        if start < done:
            continue
        index = bisect.bisect_left(positions, start)
        while (
            index < len(closing)
            and closing[index][1] != match.group(1)
            and positions[index] - start <= _HEADING_LENGTH
        ):
            index += 1
        if (
            index == len(closing)
            or closing[index][1] != match.group(1)
            or positions[index] - start > _HEADING_LENGTH
        ):
            continue
        end = positions[index]
        inner = _PARAGRAPH_TAG.sub(
            lambda tag: "</span> " if tag.group(1) else "<span>", html[start:end]
        )
        pieces += [html[done:start], inner]
        done = end
    return "".join(pieces) + html[done:]


def _drop_non_xml_reference(match: re.Match[str]) -> str:
    """``&#1;`` would decode to a character XML forbids: drop the reference instead."""
    hexadecimal, decimal = match.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if code > 0x10FFFF or _NOT_XML.match(chr(code)) or code == 0:
        return ""
    return match.group(0)


def prefix_ids(xhtml: str, prefix: str) -> str:
    """Prefix every id, and every same-document ``#fragment`` link, with ``prefix``."""
    if not xhtml:
        return ""
    root = etree.fromstring(f"<div>{xhtml}</div>")
    for element in root.iter():
        if element.get("id"):
            element.set("id", _prefixed(prefix, element.get("id") or ""))
        href = element.get("href") if element.tag == "a" else None
        if href and href.startswith("#") and len(href) > 1:
            element.set("href", "#" + _prefixed(prefix, href[1:]))
    return _serialise(root)


def _prefixed(prefix: str, identifier: str) -> str:
    combined = prefix + identifier
    return combined if _NCNAME.fullmatch(combined) else safe_id(combined)


def _serialise(root: etree._Element) -> str:
    text = etree.tostring(root, encoding="unicode")
    return "" if text == "<div/>" else text[len("<div>") : -len("</div>")].strip("\n") + "\n"


def _renumber_headings(root: etree._Element) -> None:
    """Give the levels used consecutive levels from h2: the title is the book's h1.

    Done on the output, so headings that were dropped or flattened do not count.
    """
    headings = list(root.iter(*HEADINGS))
    used = sorted({str(heading.tag) for heading in headings})
    levels = {tag: f"h{min(6, 2 + rank)}" for rank, tag in enumerate(used)}
    for heading in headings:
        heading.tag = levels[str(heading.tag)]


class _Cleaner:
    """One article's walk: the state is the base URL, heading map and the ids handed out."""

    def __init__(self, base_url: str | None, report: Callable[[str], None] = _ignore) -> None:
        self.base = safe_url(base_url, None) if base_url else None
        self.report = report
        self.ids: set[str] = set()
        self.depth = 0  # source elements being walked, one inside the other
        self.budget = MAX_ELEMENTS  # elements still to walk before the rest becomes text
        self.too_deep = False  # MAX_DEPTH was reached: deeper content became plain text
        self.too_many = False  # MAX_ELEMENTS was reached: later content became plain text

    def run(self, body: etree._Element) -> etree._Element:
        root = etree.Element("div")
        sink = Sink(root, wrap=True, blocks=True)
        self.children(body, sink, self.base)
        sink.close()
        self._drop_dangling_fragments(root)
        _complete_rubies(root)
        for element in root.iter(*_PRETTY):
            if len(element):
                element.text = "\n"
                for child in element:
                    if not child.tail:
                        child.tail = "\n"
        return root

    # -- the walk ------------------------------------------------------------------------

    def children(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        # (each .text and .tail read decodes a new str from libxml2's UTF-8: read once)
        text = source.text
        if text:
            self.text(text, sink)
        for child in source:
            if not self.descend(child, sink, base):
                return
            tail = child.tail
            if tail:
                self.text(tail, sink)

    def fill(
        self, source: etree._Element, target: etree._Element, base: str | None, *, link: bool
    ) -> None:
        """Walk ``source``'s content into the new, empty inline-only ``target``."""
        if len(source):
            if not self.copied(source, target, None, link=link):
                inner = Sink(target, link=link)
                self.children(source, inner, base)
                inner.close()
        else:  # text only (most are): what the walk above makes of it
            target.text = _inline_text(source.text)

    def descend(self, child: etree._Element, sink: Sink, base: str | None) -> bool:
        """Walk ``child``, counted against the limits. Past a limit (hostile or hopelessly
        broken HTML) ``child`` and the siblings after it become plain text, taken without
        recursion, and False says so: the caller stops walking them."""
        # Inline content goes into the open paragraph, or one opened for it: count it already,
        # whether or not the child turns out to be inline, so a second pass decides the same.
        opens = sink.target is not None or (sink.blocks and sink.wrap)
        if self.exhausted(sink.container, 1 if opens else 0, sink.level()):
            self.rest_as_text(child, sink)
            return False
        tag = child.tag
        if isinstance(tag, str):
            self.budget -= 1
            self.depth += 1
            try:
                self.element(child, tag, sink, base)
            finally:
                self.depth -= 1
        return True

    def copied(
        self, source: etree._Element, target: etree._Element, level: int | None, *, link: bool
    ) -> bool:
        """Copy what ``source`` holds into the empty ``target`` (``level`` deep in the output;
        None: to be found) when it is text with plain inline markup (most paragraphs that have
        any markup): what the walk would make of it is that copy, whitespace collapsed as
        ``text`` does. False, and nothing done, when it is not, or when the walk would pass a
        limit."""
        run = None if link else _plain_run(source)  # (in a link, links are unwrapped)
        if run is None:
            return False
        elements, levels = run  # what ``exhausted`` checks for the deepest one, met last:
        if (
            elements > self.budget
            or self.depth + levels > _WALK_DEPTH
            or (_level(target) if level is None else level) + levels > MAX_DEPTH
        ):
            return False
        self.budget -= elements
        target.text = _inline_text(source.text)
        _copy_run(source, target)
        return True

    def exhausted(self, parent: etree._Element, below: int = 0, level: int | None = None) -> bool:
        """Whether walking another element, whose output would go into ``parent`` (or ``below``
        levels under it), passes a limit: the element budget, the walk's own depth (Python's
        recursion) or the output's depth. The output's, not the input's, so that cleaning stays
        idempotent: what one pass kept, the next pass keeps too. ``level``: ``parent``'s, when
        the caller knows it."""
        if self.budget <= 0:
            self.too_many = True
        elif (
            self.depth >= _WALK_DEPTH
            or (_level(parent) if level is None else level) + below >= MAX_DEPTH
        ):
            self.too_deep = True
        else:
            return False
        return True

    def rest_as_text(self, first: etree._Element, sink: Sink) -> None:
        """``first``, its following siblings and their tails, as text added to ``sink``."""
        self.text(plain_text([first, *first.itersiblings()], skip=DROP_WITH_CONTENT), sink)

    def text(self, text: str, sink: Sink) -> None:
        if not text.strip(_HTML_SPACE):  # whitespace between elements: the common case
            if sink.pending_break or (sink.blocks and sink.target is None and sink.wrap):
                return
            text = " "
        else:
            text = _collapsed(text)
        sink.add_text(text)

    def element(self, source: etree._Element, tag: str, sink: Sink, base: str | None) -> None:
        # Most elements have no attribute: then none of these questions needs asking.
        attributed = len(source.attrib) > 0
        if attributed and source.get("xml:base"):
            base = safe_url(source.get("xml:base") or "", base) or base
        if tag == "input" and (source.get("type") or "").strip().lower() == "checkbox":
            self.text("☑ " if source.get("checked") is not None else "☐ ", sink)  # a task
            return
        if tag in DROP_WITH_CONTENT or (
            attributed
            and (
                _widget(source.get("class"))
                or _hidden(source)
                or (_screen_reader_only(source) and _permalink_only(source))
            )
        ):
            if tag == "script":
                self.embed(script_embed(source, base), sink)
            return
        handler = _HANDLERS.get(tag)
        if sink.blocks and tag in INLINE_KEEP and tag != "a" and _holds_blocks(source):
            self.unwrap_block(source, sink, base)  # <b><table><tr><td><pre>: the block stays
        elif handler is not None:
            handler(self, source, sink, base)
        elif tag in INLINE_KEEP and (tag != "rt" or sink.container.tag == "ruby"):
            self.inline(source, tag, sink, base)
        elif tag in BLOCK_UNWRAP or tag in _OUT_OF_CONTEXT:
            self.unwrap_block(source, sink, base)
        else:  # span, font and unknown tags: keep the content, lose the tag
            self.adopt_id(source, sink)
            self.children(source, sink, base)

    # -- blocks --------------------------------------------------------------------------

    def unwrap_block(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        classes = source.get("class") or ""
        if "codepen" in classes.split():
            self.embed(codepen_embed(source), sink)
            return
        if "wp-block-embed__wrapper" in classes and len(source) == 0:
            match = _BARE_URL.search(source.text or "")
            url = safe_url(match.group(0), base) if match else None
            if url:
                self.embed(embed_for(etree.Element("iframe", src=url), base), sink)
                return
        if "poll-embed" in classes.split():
            if self.base:  # a Substack poll: only the original page can show it
                self.embed(Embed("Poll: open the original post", self.base), sink)
            return
        if "wp-caption" in classes.split() and sink.blocks:
            self.figure(source, sink, base)
            return
        sink.boundary()
        self.adopt_id(source, sink)
        inherited = sink.attributes
        own = _direction_and_language(source)
        if own:  # dir/lang of a wrapper we drop go onto the blocks made inside it
            sink.attributes = {**inherited, **own}
        self.children(source, sink, base)
        sink.boundary()
        sink.attributes = inherited

    def paragraph(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        classes = source.get("class") or ""
        if "codepen" in classes.split():
            self.embed(codepen_embed(source), sink)
            return
        if sink.container.tag == "figure" and "caption" in classes:
            self.text_block(source, sink, base, "figcaption")
            return
        if not sink.blocks:
            self.unwrap_block(source, sink, base)
            return
        # The paragraph shares the enclosing sink, so a block found inside (an embed, a stray
        # div) closes it and the rest of the text continues in a new paragraph after that block.
        sink.close()
        paragraph = etree.SubElement(sink.container, "p", sink.attributes)
        sink.target = self.copy_attributes(source, paragraph)
        sink.auto = False
        if len(source):
            if self.copied(source, paragraph, sink.level() + 1, link=sink.link):
                sink.pending_break = False  # (its first element ends a pending break)
            else:
                self.children(source, sink, base)
            sink.close()
        else:  # text only (most paragraphs): what children() and close() make of it
            text = source.text
            words = ""
            if text and text.strip(_HTML_SPACE):
                sink.pending_break = False  # (text added to a paragraph ends a pending break)
                words = _collapsed(text).strip()
            if words:
                paragraph.text = words
            else:
                remove_keep_tail(paragraph)
            sink.target = None
        sink.resume = False

    def text_block(
        self, source: etree._Element, sink: Sink, base: str | None, tag: str = ""
    ) -> None:
        tag = tag or str(source.tag)
        if (
            tag == "summary"
            or (tag == "figcaption" and sink.container.tag != "figure")
            or (tag == "caption" and sink.container.tag != "table")
            or (tag == "dt" and sink.container.tag != "dl")
        ):
            tag = "p"
        if not sink.blocks:
            self.unwrap_block(source, sink, base)
            return
        block = self.copy_attributes(source, sink.add_block(tag))
        self.fill(source, block, base, link=sink.link)
        _sink.finish(block)
        if is_empty(block):
            remove_keep_tail(block)

    def container(
        self, source: etree._Element, sink: Sink, base: str | None, tag: str, *, wrap: bool
    ) -> etree._Element | None:
        if not sink.blocks:
            self.unwrap_block(source, sink, base)
            return None
        block = self.copy_attributes(source, sink.add_block(tag))
        inner = Sink(block, wrap=wrap, blocks=True, link=sink.link)
        self.children(source, inner, base)
        inner.close()
        _sink.finish(block)
        if is_empty(block) and tag in REMOVE_IF_EMPTY:
            remove_keep_tail(block)
            return None
        return block

    def blockquote(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        self.container(source, sink, base, "blockquote", wrap=True)

    def figure(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        if "code" in (source.get("class") or "").split():
            pre = source.find(".//pre[@class='line-numbers']/../../td[2]//pre")
            pre = pre if pre is not None else source.find(".//td[@class='code']//pre")
            pre = pre if pre is not None else source.find(".//pre")
            if pre is not None:
                self.pre(pre, sink, base)
                return
        figure = self.container(source, sink, base, "figure", wrap=False)
        if figure is None:
            return
        captions = [child for child in figure if child.tag == "figcaption"]
        kept = None  # XHTML allows one figcaption, as the first or the last child
        if captions and (captions[-1] is figure[-1] or captions[0] is figure[0]):
            kept = captions[-1] if captions[-1] is figure[-1] else captions[0]
        for caption in captions:
            if caption is not kept:
                caption.tag = "p"
        if not (figure.text or "").strip() and all(
            c.tag in {"figcaption", "p"} and not (c.tail or "").strip() for c in figure
        ):  # (text between them would end up outside any block)
            for caption in captions:  # the image went (a tracking pixel, unsafe src)
                caption.tag = "p"
            unwrap(figure)

    def pre(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        text = code_text(source)
        if not text.strip():
            return
        if not sink.blocks:  # a code block inside a line of text: inline code, as a browser shows
            append_text(etree.SubElement(sink.inline_parent(), "code"), _collapsed(text))
            return
        block = self.copy_attributes(source, sink.add_block("pre"))  # dir/lang: idempotent
        code = etree.SubElement(block, "code")
        language = code_language(source)
        if language:
            code.set("class", "language-" + language)
        code.text = text

    def heading_or_text(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        self.text_block(source, sink, base)

    def rule(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        if sink.blocks:  # its own dir/lang as well as a dropped wrapper's: idempotent
            self.copy_attributes(source, sink.add_block("hr"))

    # -- inline --------------------------------------------------------------------------

    def inline(self, source: etree._Element, tag: str, sink: Sink, base: str | None) -> None:
        if tag == "code":
            text = _collapsed(text_content(source) if len(source) else source.text or "")
            if text.strip():
                code = etree.SubElement(sink.inline_parent(), "code")
                code.text = text
            return
        element = self.copy_attributes(source, etree.SubElement(sink.inline_parent(), tag))
        self.fill(source, element, base, link=sink.link or tag == "a")
        if is_empty(element) and last_child(element) is None:
            remove_keep_tail(element)

    def anchor(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        anchor_class = _anchor_class(source.get("class"))
        text = (text_content(source) if len(source) else source.text or "").strip()
        if anchor_class and (text.lower() in ANCHOR_GLYPHS or is_permalink_text(text)):
            self.adopt_id(source, sink)  # a heading permalink: keep its target, drop the glyph
            return
        href = _web_url(source.get("href") or "", base)
        permalink = not href or href.startswith("#") or href == self.base
        if (
            sink.blocks and (permalink or anchor_class) and _holds_headings(source)
        ):  # a heading wrapped in its own permalink (<a class="anchor" href="#x"><h2>)
            self.unwrap_block(source, sink, base)
            return
        if not text and next(source.iter("img"), None) is None:
            self.adopt_id(source, sink)  # an empty <a name=...>: a link target, nothing to show
            return
        if not href or sink.link:
            self.adopt_id(source, sink)
            self.children(source, sink, base)
            return
        if href.startswith("#"):
            href = "#" + safe_id(href[1:]) if len(href) > 1 else ""
        # href first, whatever the source order: the attribute order must not depend on it
        link = etree.SubElement(sink.inline_parent(), "a", {"href": href} if href else {})
        self.copy_attributes(source, link)
        self.fill(source, link, base, link=True)
        if is_empty(link) and last_child(link) is None:
            remove_keep_tail(link)

    def line_break(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        sink.line_break()

    def image(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        src = None
        for attribute in _LAZY_SOURCES:
            src = _web_url(source.get(attribute) or "", base, image=True)
            if src and not (src.startswith("data:") and attribute == "src" and _lazy(source)):
                break
        srcset = source.get("data-srcset") or source.get("srcset")
        if (not src or src.startswith("data:")) and srcset:
            src = safe_url(best_srcset_url(srcset), base, image=True) or src
        alt = _collapsed(source.get("alt") or "").strip()
        if not src:  # every dropped image is reported (tracking pixels: when they had alt text)
            self.report("an image dropped: no usable address")
            return
        if is_tracking_pixel(src, source.get("width"), source.get("height")):
            if alt:
                self.report("a tracking pixel dropped with its alt text")
            return
        image = etree.SubElement(sink.inline_parent(), "img", src=src, alt=alt)
        self.copy_attributes(source, image)

    def picture(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        image = source.find(".//img")
        if image is None:
            srcset = next((s.get("srcset") for s in source.iter("source") if s.get("srcset")), "")
            image = etree.Element("img", srcset=srcset or "")
        elif not image.get("src") and not image.get("srcset"):
            for candidate in source.iter("source"):
                image.set("srcset", candidate.get("srcset") or "")
                break
        self.image(image, sink, base)

    def math(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        """A formula as MathML (EPUB 3 shows it), within the limits; else its TeX as code,
        else its text."""
        size = sum(1 for _ in source.iter())
        fits = size <= self.budget and _depth(source) < MAX_DEPTH  # (build_math recurses)
        formula = build_math(source) if fits else None
        parent = sink.inline_parent() if formula is not None else sink.container
        if formula is not None and _level(parent) + _depth(formula) < MAX_DEPTH:
            self.budget -= size
            parent.append(formula)
            return
        tex = math_tex(source)
        if tex:
            code = etree.SubElement(sink.inline_parent(), "code")
            code.text = tex
            return
        self.text(math_text(source), sink)

    def embed_element(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        self.embed(embed_for(source, base), sink)

    def embed(self, embed: Embed | None, sink: Sink) -> None:
        """An embed as a visible link: its own figure among blocks, a link inside text."""
        if embed is None:
            return
        if sink.blocks and sink.container.tag != "figure":
            parent = sink.add_block("figure")
        elif sink.link:
            append_text(sink.inline_parent(), f" ({embed.label})")
            return
        else:
            parent = sink.inline_parent()
        link = etree.SubElement(parent, "a", href=embed.url)
        link.text = embed.label

    # -- structure -----------------------------------------------------------------------

    def listing(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        build_list(self, source, sink, base)

    def definitions(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        build_definitions(self, source, sink, base)

    def table(self, source: etree._Element, sink: Sink, base: str | None) -> None:
        pre = code_table_pre(source)
        if pre is not None:
            self.pre(pre, sink, base)
            return
        build_table(self, source, sink, base)

    # -- attributes and ids --------------------------------------------------------------

    def copy_attributes(self, source: etree._Element, target: etree._Element) -> etree._Element:
        if not len(source.attrib):
            return target
        allowed = _ALLOWED.get(str(target.tag), ATTRIBUTES["*"])
        for raw_name, raw_value in source.items():
            name = "lang" if raw_name == "xml:lang" else str(raw_name)
            value = str(raw_value)
            if name not in allowed or name in {"href", "src", "alt"}:
                continue
            value = value.strip()
            if name == "id":
                self.claim_id(target, value)
            elif name == "lang":
                if _LANG.fullmatch(value):
                    target.set("lang", value)
            elif name in NUMERIC_ATTRIBUTES:
                if value.isdigit() and 0 < int(value) <= 10000:
                    target.set(name, value)
            elif name in ENUM_ATTRIBUTES:
                if value.lower() in ENUM_ATTRIBUTES[name]:
                    target.set(name, value.lower())
            elif value:
                target.set(name, _collapsed(value))
        return target

    def claim_id(self, target: etree._Element, raw: str) -> None:
        identifier = safe_id(raw) if raw else ""
        if identifier and identifier not in self.ids and target.get("id") is None:
            self.ids.add(identifier)
            target.set("id", identifier)

    def adopt_id(self, source: etree._Element, sink: Sink) -> None:
        """Keep an unwrapped element's id (link target) on the element that now holds it."""
        raw = source.get("id") or source.get("name")
        holder = sink.target if sink.target is not None else sink.container
        if raw and holder.getparent() is not None:
            self.claim_id(holder, raw)

    def _drop_dangling_fragments(self, root: etree._Element) -> None:
        # Not self.ids: an element holding an id may have been removed (empty) since.
        present = set(cast(list[str], _ID_VALUES(root))) - {""}
        unwrap_all(link for link in root.iter("a") if _dangling(link.get("href"), present))


def _web_url(raw: str, base: str | None, *, image: bool = False) -> str | None:
    """``safe_url``, without urljoin's parsing when ``raw`` is a plain absolute web address
    (most links are): then ``safe_url`` would return it unchanged."""
    if _PLAIN_WEB_URL.match(raw):
        return raw
    return safe_url(raw, base, image=image)


def _complete_rubies(root: etree._Element) -> None:
    """Every ``<ruby>`` ends with an ``<rt>``, as (X)HTML requires: one without any annotation
    (its ``<rt>`` was empty, or never there) is unwrapped, and base text after the last
    annotation moves out behind the ruby."""
    for ruby in reversed(list(root.iter("ruby"))):  # innermost first
        annotations = [child for child in ruby if child.tag == "rt"]
        if not annotations:
            unwrap(ruby)
            continue
        last = annotations[-1]
        trailing, following = last.tail, list(last.itersiblings())
        if not (trailing or "").strip() and not following:
            continue
        last.tail, after = None, ruby.tail
        ruby.tail = trailing
        anchor = ruby
        for element in following:
            anchor.addnext(element)  # its tail moves along
            anchor = element
        anchor.tail = (anchor.tail or "") + (after or "") or None


def _level(element: etree._Element) -> int:
    """How deep ``element`` sits in the output (the root ``<div>`` is 0)."""
    return sum(1 for _ in element.iterancestors())


def _depth(element: etree._Element) -> int:
    """How many levels ``element`` and what it holds take (without recursion: any depth)."""
    deepest, stack = 0, [(element, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in current)
    return deepest


def _dangling(href: str | None, present: set[str]) -> bool:
    return href is None or (href.startswith("#") and href[1:] not in present)


def _direction_and_language(source: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    direction = (source.get("dir") or "").strip().lower()
    if direction in ENUM_ATTRIBUTES["dir"]:
        found["dir"] = direction
    language = (source.get("lang") or source.get("xml:lang") or "").strip()
    if _LANG.fullmatch(language):
        found["lang"] = language
    return found


def _hidden(source: etree._Element) -> bool:
    style = source.get("style")
    return source.get("hidden") is not None or (
        style is not None and "display:none" in style.replace(" ", "").lower()
    )


def _screen_reader_only(source: etree._Element) -> bool:
    hidden = (source.get("aria-hidden") or "").strip().lower() == "true"
    return hidden or _hidden_classes(source.get("class"))


def _has_anchor_class(classes: str | None) -> bool:
    """A heading permalink's class (``anchor``, ``headerlink``) among ``classes``."""
    return not ANCHOR_CLASSES.isdisjoint((classes or "").split())


def _has_hidden_class(classes: str | None) -> bool:
    return not HIDDEN_CLASSES.isdisjoint((classes or "").split())


# Decisions that depend on the class attribute only, remembered per value.
_widget: Final = Remembered(is_widget)
_anchor_class: Final = Remembered(_has_anchor_class)
_hidden_classes: Final = Remembered(_has_hidden_class)


def _permalink_only(source: etree._Element) -> bool:
    """Nothing but permalink text ("#", "Link to heading"): no image, no other words."""
    return is_permalink_text(text_content(source)) and not any(
        True for _ in source.iter("img", "picture", "math", "iframe", "video", "object")
    )


def _holds_headings(source: etree._Element) -> bool:
    return any(True for _ in source.iter(*HEADINGS))


def _holds_blocks(source: etree._Element) -> bool:
    """Whether an inline element wraps a code block or a heading, which must stay blocks."""
    return len(source) > 0 and any(True for _ in source.iter("pre", *HEADINGS))


def _lazy(source: etree._Element) -> bool:
    return any(source.get(name) for name in _LAZY_SOURCES[:-1]) or bool(source.get("data-srcset"))


_Handler = Callable[[_Cleaner, etree._Element, Sink, str | None], None]

_HANDLERS: dict[str, _Handler] = {
    "p": _Cleaner.paragraph,
    "blockquote": _Cleaner.blockquote,
    "figure": _Cleaner.figure,
    "pre": _Cleaner.pre,
    "hr": _Cleaner.rule,
    "a": _Cleaner.anchor,
    "br": _Cleaner.line_break,
    "img": _Cleaner.image,
    "picture": _Cleaner.picture,
    "math": _Cleaner.math,
    "table": _Cleaner.table,
    "dl": _Cleaner.definitions,
    **{tag: _Cleaner.heading_or_text for tag in TEXT_BLOCKS - {"p"}},
    **{tag: _Cleaner.listing for tag in LISTS},
    **{tag: _Cleaner.embed_element for tag in EMBED_TAGS},
}

_ALLOWED: Final = {tag: names | ATTRIBUTES["*"] for tag, names in ATTRIBUTES.items()}

# Structural elements met outside their parent (a <td> with no table): treated as a <div>.
_OUT_OF_CONTEXT: Final = frozenset({"li", "dd", "tr", "td", "th", *TABLE_SECTIONS})
