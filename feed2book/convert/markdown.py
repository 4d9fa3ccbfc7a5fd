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

import re
from typing import Any, Final

from bs4.element import NavigableString, Tag
from markdownify import ATX, BACKSLASH, MarkdownConverter

from feed2book.clean.rules import MATHML_TOKENS, TEX_ENCODINGS

__all__ = [
    "BookMarkdownConverter",
    "break_directives",
    "escape_braces",
    "title_text",
    "to_markdown",
    "url_text",
]

# Text at the start of a line that Markdown would read as block syntax.
_LINE_START = re.compile(
    r"^(?:#{1,6}(?=\s|$)|>|[-+](?=\s|$)|=+\s*$|-+\s*$|\d{1,9}[.)](?=\s|$)|:{3,})"
)  # ``:::`` opens a pandoc fenced div
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
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

    # -- text --------------------------------------------------------------------------

    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None) -> str:
        text: str = super().process_text(el, parent_tags=parent_tags)
        tags = parent_tags or set()
        if "_noformat" in tags or not text:
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

    def escape(self, text: str, parent_tags: set[str]) -> str:
        if not text:
            return ""
        text = text.replace("\\", "\\\\").replace("`", "\\`").replace("*", "\\*")
        text = _EDGE_UNDERSCORE.sub(r"\\_", text)
        text = text.replace("[", "\\[").replace("]", "\\]")
        text = _TAG_START.sub(r"\\<", text)
        text = _ENTITY.sub(r"\\&", text)
        text = text.replace("~~", "\\~\\~").replace("$", "\\$")
        text = escape_braces(text)
        if "td" in parent_tags or "th" in parent_tags:
            text = text.replace("|", "\\|")
        return text

    # -- code --------------------------------------------------------------------------

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        code = el.get_text()
        if not code.strip():
            return ""
        if "_inline" in parent_tags:  # a code block inside a table cell or heading
            lines = [line for line in code.rstrip("\n").split("\n") if line.strip()]
            return "<br>".join(self._code_span(line, parent_tags) for line in lines)
        child = el.find("code")
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

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags or (el.parent is not None and el.parent.name == "pre"):
            return text
        return self._code_span(el.get_text(), parent_tags)

    def _code_span(self, code: str, parent_tags: set[str]) -> str:
        if self.options["break_directives"]:
            code = break_directives(code)
        return _code_span(code, parent_tags)

    convert_kbd = convert_code
    convert_samp = convert_code

    # -- links, images, figures --------------------------------------------------------

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        href = el.get("href")
        if isinstance(href, str):
            href = url_text(href)
            el["href"] = f"<{href}>" if _NEEDS_BRACKETS.search(href) else href
        title = el.get("title")
        if isinstance(title, str):
            el["title"] = title_text(title)
        result: str = super().convert_a(el, text, parent_tags)
        return result

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # The alt is inline Markdown (pandoc shows it as a figure caption): escaped as text.
        alt = self.escape(" ".join(str(el.get("alt") or "").split()), parent_tags)
        src = url_text(str(el.get("src") or ""))
        if _NEEDS_BRACKETS.search(src):
            src = f"<{src}>"
        title = title_text(str(el.get("title") or ""))
        title_part = ' "{}"'.format(title.replace('"', '\\"')) if title else ""
        return f"![{alt}]({src}{title_part})"

    def convert_figure(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_inline" in parent_tags:
            return " " + text.strip() + " "
        return f"\n\n{text.strip()}\n\n"

    def convert_figcaption(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self.convert_p(el, text, parent_tags)

    # -- formulas ----------------------------------------------------------------------

    def convert_math(self, el: Tag, text: str, parent_tags: set[str]) -> str:
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

    def convert_td(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        colspan = str(el.get("colspan") or "1")
        span = max(1, min(1000, int(colspan))) if colspan.isdigit() else 1
        return " " + _CELL_BREAKS.sub("<br>", text.strip()) + " |" * span

    convert_th = convert_td

    def convert_tr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if el.parent is not None and el.parent.name == "tfoot":
            return "|" + text + "\n"  # footer rows are body rows in GFM, never a header
        result: str = super().convert_tr(el, text, parent_tags)
        return result

    def convert_p(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "td" in parent_tags or "th" in parent_tags:
            return "\n\n" + text.strip() + "\n\n"  # convert_td turns the breaks into <br>
        result: str = super().convert_p(el, text, parent_tags)
        return result

    def convert_br(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "td" in parent_tags or "th" in parent_tags:
            return "\n"
        result: str = super().convert_br(el, text, parent_tags)
        return result

    # -- lists and definitions ---------------------------------------------------------

    def convert_list(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        result: str = super().convert_list(el, text, parent_tags)
        previous = el.find_previous_sibling()
        if "li" not in parent_tags and previous is not None and previous.name == el.name:
            # Two lists in a row would merge into one: an empty comment keeps them apart.
            return "\n\n<!-- -->\n\n" + result.lstrip("\n")
        return result

    convert_ul = convert_list
    convert_ol = convert_list

    def convert_dt(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = " ".join(text.split())
        if not text or "_inline" in parent_tags:
            return f" {text} "
        return f"\n\n**{text}**\n\n"

    def convert_dd(self, el: Tag, text: str, parent_tags: set[str]) -> str:
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


def _code_span(code: str, parent_tags: set[str]) -> str:
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
    converter = BookMarkdownConverter(break_directives=break_directives)
    raw: str = converter.convert(xhtml)
    return _tidy(raw)


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
