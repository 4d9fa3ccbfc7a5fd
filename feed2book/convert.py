"""The convert stage: clean XHTML in, Markdown a person would have written out.

Built on markdownify, extended by subclassing (one ``convert_<tag>`` per element) where its
defaults lose information: fenced code keeps its language and exact text, tables are GFM pipe
tables with a header row and ``<br>`` for line breaks in cells, images keep their title,
figures and embeds stay blocks, and text that would start a Markdown block is escaped.
"""

from __future__ import annotations

import re
from typing import Any, Final

from bs4.element import NavigableString, Tag
from markdownify import ATX, BACKSLASH, MarkdownConverter

from feed2book.htmlrules import MATHML_TOKENS, TEX_ENCODINGS

__all__ = ["BookMarkdownConverter", "to_markdown"]

# Text at the start of a line that Markdown would read as block syntax.
_LINE_START = re.compile(r"^(?:#{1,6}(?=\s|$)|>|[-+](?=\s|$)|=+\s*$|-+\s*$|\d{1,9}[.)](?=\s|$))")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_BACKTICKS = re.compile(r"`+")
_NEEDS_BRACKETS = re.compile(r"[\s()<>]")
_CELL_BREAKS = re.compile(r"\s*\n\s*")
_FENCE = re.compile(r"^ *(`{3,}|~{3,})")
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
        text = text.replace("~~", "\\~\\~")
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
            return "<br>".join(_code_span(line, parent_tags) for line in lines)
        child = el.find("code")
        classes = child.get_attribute_list("class") if isinstance(child, Tag) else []
        language = next((c[len("language-") :] for c in classes if c.startswith("language-")), "")
        body = code[:-1] if code.endswith("\n") else code
        longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{body}\n{fence}\n\n"

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags or (el.parent is not None and el.parent.name == "pre"):
            return text
        return _code_span(el.get_text(), parent_tags)

    convert_kbd = convert_code
    convert_samp = convert_code

    # -- links, images, figures --------------------------------------------------------

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        href = el.get("href")
        if isinstance(href, str) and _NEEDS_BRACKETS.search(href):
            el["href"] = f"<{href}>"
        result: str = super().convert_a(el, text, parent_tags)
        return result

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        alt = str(el.get("alt") or "").replace("[", "\\[").replace("]", "\\]")
        src = str(el.get("src") or "")
        if _NEEDS_BRACKETS.search(src):
            src = f"<{src}>"
        title = str(el.get("title") or "")
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


def to_markdown(xhtml: str) -> str:
    """Markdown for a ``clean_html`` fragment: no runs of blank lines, no trailing spaces."""
    if not xhtml.strip():
        return ""
    raw: str = BookMarkdownConverter().convert(xhtml)
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
