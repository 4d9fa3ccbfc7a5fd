"""The convert stage: clean XHTML in, Markdown a person would have written out.

Built on markdownify, extended by subclassing (one ``convert_<tag>`` per element) where its
defaults lose information: fenced code keeps its language and exact text, tables are GFM pipe
tables with a header row and ``<br>`` for line breaks in cells, images keep their title,
figures and embeds stay blocks, and text that would start a Markdown block is escaped.

Article text is data for every tool that reads the output: besides Markdown's own specials, the
syntax pandoc adds (``{…}`` attributes and raw ``{=html}``, ``:::`` fenced divs, ``$`` math) and
the directive openers of mdBook, Hugo and Liquid (``{{``, ``{%``) are escaped in text so each tool
shows the original characters (:func:`escape_braces`). Code cannot be escaped; with
``break_directives`` (Markdown bundles) a zero-width space is put between the two characters of
``{{`` and ``{%`` in code (:func:`break_directives`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set as AbstractSet
from typing import Any, Final, cast

from bs4.element import Comment, Doctype, NavigableString, PageElement, Tag
from lxml import etree
from markdownify import ATX, BACKSLASH, MarkdownConverter

from feed2book.clean.rules import MATHML_TOKENS, TEX_ENCODINGS
from feed2book.convert.soup import SpaceRule, soup_from_tree
from feed2book.xhtml.content import parse_fragment

__all__ = [
    "MARKDOWN_SPACE",
    "BookMarkdownConverter",
    "break_directives",
    "escape_braces",
    "title_text",
    "to_markdown",
    "tree_to_markdown",
    "url_text",
]

# Text at the start of a line that Markdown would read as block syntax.
_LINE_START = re.compile(
    r"^(?:#{1,6}(?=\s|$)|>|[-+](?=\s|$)|=+\s*$|-+\s*$|\d{1,9}[.)](?=\s|$)|:{3,})"
)  # ``:::`` opens a pandoc fenced div
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# What escape() escapes in text: Markdown's specials (``_`` only at a word's edge, ``<`` only
# where a tag could start, ``&`` only where an entity could), ``~~`` (strike-through), ``$``
# (pandoc math), ``{`` (pandoc attributes, directives) and the ``%`` of ``{%``; ``|`` in cells.
_SPECIAL = (
    r"[\\`*\[\]$]|~~|\{%?|<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)"
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"
)
_SPECIALS = re.compile(_SPECIAL)
_CELL_SPECIALS = re.compile(_SPECIAL + r"|\|")
_SPECIAL_CHARACTER = re.compile(r"[\\`*\[\]$~{<&_|]")  # a quick scan: most text has none
_ESCAPES: Final = {
    "\\": "\\\\", "`": "\\`", "*": "\\*", "[": "\\[", "]": "\\]", "$": "\\$",
    "~~": "\\~\\~", "{": "\\{", "{%": "\\{&#37;", "<": "\\<", "&": "\\&", "_": "\\_",
    "|": "\\|",
}  # fmt: skip
# markdownify's whitespace rules (outside <pre>) and block elements (whitespace at their
# edges is dropped), the same as its module's re_newline_whitespace, re_whitespace and
# should_remove_whitespace_inside.
_NEWLINE_SPACE = re.compile(r"[\t \r\n]*[\r\n][\t \r\n]*")
_SPACE_RUN = re.compile(r"[\t ]+")
_HEADING = re.compile(r"h(\d+)")
_BLOCKS: Final = frozenset(
    {"p", "blockquote", "article", "div", "section", "ol", "ul", "li", "dl", "dt", "dd",
     "table", "thead", "tbody", "tfoot", "tr", "td", "th"}
)  # fmt: skip
_EDGE_NEWLINES = re.compile(r"^(\n*)((?:.*[^\n])?)(\n*)$", re.DOTALL)
_NO_TAGS: Final[frozenset[str]] = frozenset()
_CELLS: Final = frozenset({"td", "th"})
_ROWS: Final = frozenset({"tr"})
_HEADS: Final = frozenset({"thead"})
_BACKTICKS = re.compile(r"`+")
_NEEDS_BRACKETS = re.compile(r"[\s()<>]")
_CELL_BREAKS = re.compile(r"\s*\n\s*")
_FENCE = re.compile(r"^ *(`{3,}|~{3,})")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")  # never pandoc's {=html} or {attributes}
_DIRECTIVE_OPENER = re.compile(r"\{(?=[{%])")
_URL_BRACES: Final = str.maketrans({"{": "%7B", "}": "%7D"})
ZERO_WIDTH_SPACE: Final = "\u200b"
_TEXT_BLOCK_PARENTS: Final = frozenset(
    {"p", "li", "td", "th", "dd", "dt", "figcaption", "caption", "blockquote", "figure",
     "h1", "h2", "h3", "h4", "h5", "h6", "[document]", "div"}
)  # fmt: skip


# markdownify has no type hints: its classes are used as Any so the overrides stay checked.
_Converter: Any = MarkdownConverter


class BookMarkdownConverter(_Converter):  # type: ignore[misc]
    """markdownify with the rules of feed2book's Markdown output."""

    class Options(_Converter.DefaultOptions):  # type: ignore[misc]
        heading_style = ATX
        bullets = "-"
        newline_style = BACKSLASH  # a trailing backslash, never trailing spaces
        table_infer_header = True  # GFM needs a header row: the first row becomes it
        sup_symbol = "<sup>"
        sub_symbol = "<sub>"
        bs4_options = "lxml"  # faster than html.parser; the input is our own clean XHTML
        break_directives = False  # Markdown bundles: no ``{{``/``{%`` in code either

    # -- the walk ----------------------------------------------------------------------
    # markdownify's process_tag/process_text, the same results for less work: the decisions per
    # tag name are made once, the parent context is a frozenset made once per (context, name),
    # "inside <pre>" is read from that context instead of searching the ancestors.

    def process_element(self, node: PageElement, parent_tags: AbstractSet[str] = _NO_TAGS) -> str:
        if isinstance(node, NavigableString):
            return self.process_text(node, parent_tags)
        return self.process_tag(cast(Tag, node), parent_tags)

    def process_tag(self, node: Tag, parent_tags: AbstractSet[str] = _NO_TAGS) -> str:
        name = node.name
        context = _child_context(frozenset(parent_tags), name)
        trim_inside = _trims_inside(name)
        strings = []
        for child in node.contents:
            if isinstance(child, NavigableString):
                if isinstance(child, (Comment, Doctype)) or not (
                    child.strip() or not _ignorable_space(child, trim_inside)
                ):
                    continue
                string = self.process_text(child, context)
            else:
                string = self.process_tag(cast(Tag, child), context)
            if string:
                strings.append(string)
        if len(strings) == 1:  # most elements: nothing to join
            text = strings[0]
        else:
            text = "".join(strings) if "pre" in context else _join_blocks(strings)
        convert = self.get_conv_fn_cached(name)
        if convert is not None:
            text = convert(node, text, parent_tags=parent_tags)
        return text

    def process_text(self, el: NavigableString, parent_tags: AbstractSet[str] | None = None) -> str:
        tags = parent_tags or _NO_TAGS
        text = str(el)
        if "pre" not in tags:
            if "\n" in text or "\r" in text:
                text = _NEWLINE_SPACE.sub("\n", text)
            if "\t" in text or "  " in text:
                text = _SPACE_RUN.sub(" ", text)
        if "_noformat" in tags:
            return _trim_text(el, text)
        text = _trim_text(el, self.escape(text, tags))
        if not text:
            return text
        node: Tag | NavigableString = el
        while (
            node.previous_sibling is None
            and node.parent is not None
            and node.parent.name not in _TEXT_BLOCK_PARENTS
        ):
            node = node.parent  # the text starts an inline element: look at where that starts
        previous, parent = node.previous_sibling, node.parent
        at_line_start = (previous is None and parent is not None) or (
            isinstance(previous, Tag) and previous.name == "br"
        )
        if at_line_start:
            stripped = text.lstrip()
            text = _LINE_START.sub(lambda match: _escape_line_start(match.group(0)), stripped)
        return text

    def escape(self, text: str, parent_tags: AbstractSet[str]) -> str:
        """Every Markdown, pandoc and directive special of ``text`` escaped, in one pass."""
        if not text or _SPECIAL_CHARACTER.search(text) is None:
            return text
        if "td" in parent_tags or "th" in parent_tags:
            return _CELL_SPECIALS.sub(_escaped, text)
        return _SPECIALS.sub(_escaped, text)

    # -- code --------------------------------------------------------------------------

    def convert_pre(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        code = el.get_text()
        if not code.strip():
            return ""
        if "_inline" in parent_tags:  # a code block inside a table cell or heading
            lines = [line for line in code.rstrip("\n").split("\n") if line.strip()]
            return "<br>".join(self._code_span(line, parent_tags) for line in lines)
        child = next(
            (node for node in el.descendants if isinstance(node, Tag) and node.name == "code"), None
        )
        classes = child.get_attribute_list("class") if isinstance(child, Tag) else []
        language = next((c[len("language-") :] for c in classes if c.startswith("language-")), "")
        if not _LANGUAGE.fullmatch(language):
            language = ""
        body = code[:-1] if code.endswith("\n") else code
        if self.options["break_directives"]:
            body = break_directives(body)
        longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{body}\n{fence}\n\n"

    def convert_code(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        if "_noformat" in parent_tags or (el.parent is not None and el.parent.name == "pre"):
            return text
        return self._code_span(el.get_text(), parent_tags)

    def _code_span(self, code: str, parent_tags: AbstractSet[str]) -> str:
        if self.options["break_directives"]:
            code = break_directives(code)
        return _code_span(code, parent_tags)

    convert_kbd = convert_code
    convert_samp = convert_code

    # -- links, images, figures --------------------------------------------------------

    def convert_a(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        href = el.get("href")
        if isinstance(href, str):
            href = url_text(href)
            el["href"] = f"<{href}>" if _NEEDS_BRACKETS.search(href) else href
        title = el.get("title")
        if isinstance(title, str):
            el["title"] = title_text(title)
        result: str = super().convert_a(el, text, parent_tags)
        return result

    def convert_img(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        # The alt is inline Markdown (pandoc shows it as a figure caption): escaped as text.
        alt = self.escape(" ".join(str(el.get("alt") or "").split()), parent_tags)
        src = url_text(str(el.get("src") or ""))
        if _NEEDS_BRACKETS.search(src):
            src = f"<{src}>"
        title = title_text(str(el.get("title") or ""))
        title_part = ' "{}"'.format(title.replace('"', '\\"')) if title else ""
        return f"![{alt}]({src}{title_part})"

    def convert_figure(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        if "_inline" in parent_tags:
            return " " + text.strip() + " "
        return f"\n\n{text.strip()}\n\n"

    def convert_figcaption(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        return self.convert_p(el, text, parent_tags)

    # -- formulas ----------------------------------------------------------------------

    def convert_math(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        """TeX from the formula's annotation (or ``alttext``): ``$…$``, ``$$…$$`` for a
        displayed formula; without TeX, the formula's text."""
        tex = next(
            (
                " ".join(node.get_text().split())
                for node in el.find_all("annotation")
                if str(node.get("encoding") or "").strip().lower() in TEX_ENCODINGS
            ),
            "",
        ) or " ".join(str(el.get("alttext") or "").split())
        if not tex:
            tokens = el.find_all(list(MATHML_TOKENS))
            return self.escape(" ".join("".join(t.get_text() for t in tokens).split()), parent_tags)
        delimiter = "$$" if str(el.get("display") or "") == "block" else "$"
        if "td" in parent_tags or "th" in parent_tags:
            tex = tex.replace("|", "\\|")
        # Renderers without a math extension (mdBook, CommonMark) read the TeX as Markdown: no
        # tag may start in it ("< b" is the same formula to TeX), no dollar may end it early,
        # and in bundles no directive may start in it.
        tex = _TAG_START.sub("< ", tex).replace("$", "\\$")
        if self.options["break_directives"]:
            tex = break_directives(tex)
        return f"{delimiter}{tex}{delimiter}"

    # -- tables ------------------------------------------------------------------------

    def convert_td(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        return " " + _CELL_BREAKS.sub("<br>", text.strip()) + " |" * _colspan(el)

    convert_th = convert_td

    def convert_tr(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        """markdownify's row (a header row first, the delimiter row under it), with its
        searches done by walking the tree (bs4's find_all builds a filter per call)."""
        parent = el.parent
        parent_name = parent.name if parent is not None else ""
        if parent_name == "tfoot":
            return "|" + text + "\n"  # footer rows are body rows in GFM, never a header
        cells = _tags_within(el, _CELLS)
        first_row = _previous_tag(el) is None
        head_row = all(cell.name == "th" for cell in cells) or (
            parent is not None and parent_name == "thead" and len(_tags_within(parent, _ROWS)) == 1
        )
        table = parent.parent if parent is not None else None
        head_row_missing = first_row and (
            parent_name != "tbody" or table is None or not _tags_within(table, _HEADS)
        )
        width = sum(_colspan(cell) for cell in cells)
        infer_header = self.options["table_infer_header"]
        if first_row and (head_row or (head_row_missing and infer_header)):
            return "|" + text + "\n" + "| " + " | ".join(["---"] * width) + " |\n"
        if (head_row_missing and not infer_header) or (
            first_row
            and (
                parent_name == "table"
                or (parent is not None and parent_name == "tbody" and _previous_tag(parent) is None)
            )
        ):
            overline = "| " + " | ".join([""] * width) + " |\n"
            overline += "| " + " | ".join(["---"] * width) + " |\n"
            return overline + "|" + text + "\n"
        return "|" + text + "\n"

    def convert_p(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        if "td" in parent_tags or "th" in parent_tags:
            return "\n\n" + text.strip() + "\n\n"  # convert_td turns the breaks into <br>
        result: str = super().convert_p(el, text, parent_tags)
        return result

    def convert_br(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        if "td" in parent_tags or "th" in parent_tags:
            return "\n"
        result: str = super().convert_br(el, text, parent_tags)
        return result

    # -- lists and definitions ---------------------------------------------------------

    def convert_list(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        result: str = super().convert_list(el, text, parent_tags)
        previous = _previous_tag(el)
        if "li" not in parent_tags and previous is not None and previous.name == el.name:
            # Two lists in a row would merge into one: an empty comment keeps them apart.
            return "\n\n<!-- -->\n\n" + result.lstrip("\n")
        return result

    convert_ul = convert_list
    convert_ol = convert_list

    def convert_li(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        """markdownify's list item (``N.`` in ``<ol>``, else a bullet by depth), with the item's
        number counted by walking its siblings rather than by bs4's find_previous_siblings."""
        text = text.strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = str(parent.get("start") or "")
            number = int(start) if start.isdecimal() else 1
            sibling = el.previous_sibling
            while sibling is not None:
                number += isinstance(sibling, Tag) and sibling.name == "li"
                sibling = sibling.previous_sibling
            bullet = f"{number}. "
        else:
            depth = -1
            node: Tag | None = el
            while node is not None:
                depth += node.name == "ul"
                node = node.parent
            bullets = self.options["bullets"]
            bullet = bullets[depth % len(bullets)] + " "
        indent = " " * len(bullet)
        lines = text.split("\n")
        rest = "".join("\n" + indent + line if line else "\n" for line in lines[1:])
        return bullet + lines[0] + rest + "\n"

    def convert_dt(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        text = " ".join(text.split())
        if not text or "_inline" in parent_tags:
            return f" {text} "
        return f"\n\n**{text}**\n\n"

    def convert_dd(self, el: Tag, text: str, parent_tags: AbstractSet[str]) -> str:
        if "_inline" in parent_tags:
            return f" {text.strip()} "
        return f"\n\n{text.strip()}\n\n"


def escape_braces(text: str) -> str:
    """``{`` as ``\\{`` (and the ``%`` of ``{%`` as ``&#37;``): no pandoc attribute or raw
    ``{=format}``, no mdBook ``{{#include}}``, Hugo ``{{<``/``{{%`` or Liquid ``{{``/``{%`` can
    start in the text; pandoc, CommonMark, kramdown and goldmark all show ``{`` and ``%``."""
    return text.replace("{", "\\{").replace("\\{%", "\\{&#37;")


def break_directives(code: str) -> str:
    """Code (where no escape works) with a zero-width space inside every ``{{`` and ``{%``."""
    return _DIRECTIVE_OPENER.sub("{" + ZERO_WIDTH_SPACE, code)


def url_text(url: str) -> str:
    """A link target with ``{``/``}`` percent-encoded (the same URL; no directive in it)."""
    return url.translate(_URL_BRACES)


def title_text(title: str) -> str:
    """A link or image title (a string where backslash escapes and entities work)."""
    return escape_braces(" ".join(title.replace("\\", "\\\\").split()))


def _escape_line_start(marker: str) -> str:
    if marker[:1].isdigit():
        return marker[:-1] + "\\" + marker[-1]  # 1\. is text, 1. a list item
    return "\\" + marker


def _code_span(code: str, parent_tags: AbstractSet[str]) -> str:
    code = " ".join(code.split("\n"))
    if not code.strip():
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    delimiter = "`" * (longest + 1)
    if longest or (code.startswith(" ") and code.endswith(" ")):
        code = f" {code} "
    if "td" in parent_tags or "th" in parent_tags:
        code = code.replace("|", "\\|")
    return f"{delimiter}{code}{delimiter}"


def to_markdown(xhtml: str, *, break_directives: bool = False) -> str:
    """Markdown for a ``clean_html`` fragment: no runs of blank lines, no trailing spaces.
    ``break_directives``: also break ``{{``/``{%`` in code (see :func:`break_directives`)."""
    if not xhtml.strip():
        return ""
    return tree_to_markdown(parse_fragment(xhtml), break_directives=break_directives)


def tree_to_markdown(root: etree._Element, *, break_directives: bool = False) -> str:
    """:func:`to_markdown` for a fragment already parsed by ``parse_fragment`` (left as it is)."""
    with soup_from_tree(root, MARKDOWN_SPACE) as soup:
        raw: str = _converter(break_directives).convert_soup(soup)
    return _tidy(raw)


@functools.cache
def _converter(break_directives: bool) -> BookMarkdownConverter:
    """One converter per setting, made once (it keeps no state between documents)."""
    return BookMarkdownConverter(break_directives=break_directives)


# -- markdownify's per-node decisions, made once per tag name or context ---------------------


@functools.lru_cache(maxsize=512)
def _trims_inside(name: str | None) -> bool:
    """Whether whitespace at the edges inside this element is dropped (a block element)."""
    return name is not None and (name in _BLOCKS or _HEADING.match(name) is not None)


@functools.lru_cache(maxsize=512)
def _trims_outside(name: str | None) -> bool:
    """Whether whitespace next to this element is dropped (a block element or ``<pre>``)."""
    return _trims_inside(name) or name == "pre"


@functools.lru_cache(maxsize=2048)
def _child_context(parent_tags: frozenset[str], name: str) -> frozenset[str]:
    """The parent tags of an element's children: the element's own, with markdownify's
    pseudo-tags ``_inline`` (in headings and cells) and ``_noformat`` (in code)."""
    names = set(parent_tags)
    names.add(name)
    if _HEADING.match(name) is not None or name in ("td", "th"):
        names.add("_inline")
    if name in ("pre", "code", "kbd", "samp"):
        names.add("_noformat")
    return frozenset(names)


# The whitespace-only text process_tag would drop is not even made (walking it cost as much as
# the rest of the text); code and formulas keep theirs, read whole by get_text().
MARKDOWN_SPACE: Final = SpaceRule(
    dropped_inside=_trims_inside,
    dropped_next_to=_trims_outside,
    kept_in=frozenset({"pre", "code", "kbd", "samp", "math"}),
)


def _trims_next_to(node: PageElement | None) -> bool:
    return isinstance(node, Tag) and _trims_outside(node.name)


def _ignorable_space(space: NavigableString, trim_inside: bool) -> bool:
    """Whether whitespace-only text is dropped: at the edge of a block, or next to one."""
    previous, following = space.previous_sibling, space.next_sibling
    if trim_inside and (not previous or not following):
        return True
    return _trims_next_to(previous) or _trims_next_to(following)


def _trim_text(el: NavigableString, text: str) -> str:
    """``text`` without the whitespace markdownify drops at block edges."""
    previous, following, parent = el.previous_sibling, el.next_sibling, el.parent
    block_parent = parent is not None and _trims_inside(parent.name)
    if _trims_next_to(previous) or (block_parent and not previous):
        text = text.lstrip(" \t\r\n")
    if _trims_next_to(following) or (block_parent and not following):
        text = text.rstrip()
    return text


def _join_blocks(strings: list[str]) -> str:
    """The children's Markdown joined, where one child's trailing and the next one's leading
    newlines meet: the longer run, at most two (markdownify's process_tag)."""
    parts: list[str] = []
    pending = ""  # the trailing newlines of the previous child
    for string in strings:
        if string[0] == "\n" or string[-1] == "\n":
            match = _EDGE_NEWLINES.match(string)
            assert match is not None  # the pattern matches every string
            leading, content, trailing = match.groups()
        else:
            leading, content, trailing = "", string, ""
        if pending and leading:
            leading = "\n" * min(2, max(len(pending), len(leading)))
            pending = ""
        parts += (pending, leading, content)
        pending = trailing
    parts.append(pending)
    return "".join(parts)


def _previous_tag(el: Tag) -> Tag | None:
    """The element before ``el`` among its siblings (``el.find_previous_sibling()``)."""
    sibling = el.previous_sibling
    while sibling is not None and not isinstance(sibling, Tag):
        sibling = sibling.previous_sibling
    return sibling


def _tags_within(el: Tag, names: AbstractSet[str]) -> list[Tag]:
    """The elements named ``names`` inside ``el``, in document order (``el.find_all(names)``)."""
    return [node for node in el.descendants if isinstance(node, Tag) and node.name in names]


def _colspan(cell: Tag) -> int:
    colspan = str(cell.get("colspan") or "1")
    return max(1, min(1000, int(colspan))) if colspan.isdecimal() else 1


def _escaped(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _tidy(markdown: str) -> str:
    """Collapse blank-line runs and trailing spaces, leaving fenced code untouched."""
    lines: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        if fence:
            lines.append(line)
            content = line.lstrip(" >").rstrip()
            if content and set(content) == {fence[0]} and len(content) >= len(fence):
                fence = ""
            continue
        match = _FENCE.match(line.lstrip(" >"))
        if match:
            fence = match.group(1)
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        lines.append(line)
    return "\n".join(lines).strip("\n") + "\n"
