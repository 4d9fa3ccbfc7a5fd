"""Code blocks from every highlighter's markup, reduced to ``<pre><code class="language-x">``.

Highlighters (Rouge on dev.to and Jekyll, Chroma on Hugo, Pygments, highlight.js, WP-Syntax,
Octopress) wrap each token in a ``<span>`` and put the language in a different place each.
The text must come out exact, whitespace included, and the language must not be lost.
"""

from __future__ import annotations

import re
from typing import Final, cast

from lxml import etree

from feed2book.clean.remembered import Remembered

# Class tokens that say "this is highlighted code" rather than naming a language.
_NOT_LANGUAGES: Final = frozenset(
    {
        "highlight", "js-code-highlight", "highlighter-rouge", "chroma", "line-numbers",
        "prettyprint", "linenums", "code", "codehilite", "hljs", "notranslate", "sourcecode",
        "wp-block-code", "wp_syntax", "syntax", "source", "block", "shiki", "nohighlight",
        "language-none", "lang-none",
    }
)  # fmt: skip

# Bare class tokens accepted as a language (``<pre class="python">``, ``<code class="ruby">``).
_KNOWN_LANGUAGES: Final = frozenset(
    {
        "bash", "c", "cpp", "c++", "csharp", "cs", "css", "clojure", "console", "diff", "docker",
        "dockerfile", "elixir", "erlang", "go", "golang", "graphql", "haskell", "html", "http",
        "ini", "java", "javascript", "js", "json", "jsx", "kotlin", "lua", "makefile",
        "markdown", "nginx", "objectivec", "ocaml", "perl", "php", "plaintext", "powershell",
        "python", "py", "r", "ruby", "rb", "rust", "scala", "scss", "sh", "shell", "sql",
        "swift", "text", "toml", "ts", "tsx", "typescript", "vim", "xml", "yaml", "yml", "zsh",
    }
)  # fmt: skip

# Elements that carry line numbers, not code.
GUTTER_CLASSES: Final = frozenset(
    {"gutter", "line-numbers", "lineno", "linenos", "ln", "lnt", "rouge-gutter", "gl",
     "crayon-nums", "crayon-num", "line-number", "linenodiv"}
)  # fmt: skip

_PREFIXES: Final = ("language-", "lang-", "highlight-source-", "highlight-")
_LANGUAGE_TOKEN = re.compile(r"[a-z0-9][a-z0-9_+#.\-]{0,30}")


def code_language(pre: etree._Element) -> str:
    """The language of a ``<pre>`` block ("" when none is stated), lower-case."""
    candidates: list[etree._Element] = [child for child in pre if child.tag == "code"]
    candidates.append(pre)
    ancestor = pre.getparent()
    for _ in range(4):  # the wrappers highlighters put around <pre>
        if ancestor is None:
            break
        candidates.append(ancestor)
        ancestor = ancestor.getparent()
    for element in candidates:
        language = _language_of(element)
        if language:
            return language
    return ""


def _language_of(element: etree._Element) -> str:
    for attribute in ("data-lang", "data-language"):
        value = (element.get(attribute) or "").strip().lower()
        if _LANGUAGE_TOKEN.fullmatch(value):
            return value
    classes = element.get("class")
    return _class_language(classes, element.tag == "pre") if classes else ""


def _language_of_classes(classes: str, pre: bool) -> str:
    """The language a ``class`` attribute names ("" for none); ``pre``: it is a ``<pre>``'s."""
    tokens = classes.lower().split()
    for token in tokens:
        for prefix in _PREFIXES:
            rest = token.removeprefix(prefix)
            if rest != token and rest not in _NOT_LANGUAGES and _LANGUAGE_TOKEN.fullmatch(rest):
                return rest
    if "brush:" in tokens:  # SyntaxHighlighter: class="brush: python"
        following = tokens[tokens.index("brush:") + 1 :]
        if following and _LANGUAGE_TOKEN.fullmatch(following[0].rstrip(";")):
            return following[0].rstrip(";")
    rest_tokens = [t for t in tokens if t not in _NOT_LANGUAGES and t not in GUTTER_CLASSES]
    dev_to = pre and "highlight" in tokens and len(rest_tokens) == 1
    if dev_to and _LANGUAGE_TOKEN.fullmatch(rest_tokens[0]):
        return rest_tokens[0]  # dev.to / Rouge: <pre class="highlight sql">
    known = [t for t in rest_tokens if t in _KNOWN_LANGUAGES]
    return known[0] if len(known) == 1 else ""


def code_text(pre: etree._Element) -> str:
    """The exact text of a code block: spans dropped, ``<br>`` as a newline, gutters skipped,
    and each ``<div class="line">`` / ``<span class="line">`` (Hexo and other highlighters put
    one line in each, with no newline between them) on a line of its own."""
    if _plain(pre):
        # The common case (a highlighter's spans and nothing else): libxml2 reads every text
        # node in one call, which is what the walk below would collect.
        return str(etree.tostring(pre, method="text", encoding="unicode", with_tail=False))
    parts: list[str] = []
    _collect(pre, parts)
    return "".join(parts)


_CLASS_VALUES = etree.XPath(".//@class", smart_strings=False)


def _plain(pre: etree._Element) -> bool:
    """No ``<br>``, no gutter and no line element inside: the walk would collect every text
    node."""
    if next(pre.iter("br"), None) is not None:
        return False
    values = cast(list[str], _CLASS_VALUES(pre))
    return not any(_gutter_or_line(value) for value in set(values))


def _is_gutter_or_line(classes: str) -> bool:
    tokens = classes.split()
    return not GUTTER_CLASSES.isdisjoint(tokens) or "line" in tokens


# Decisions that depend on the class attribute only (and on the tag), remembered per value: a
# site's code blocks all carry the same few.
_class_language: Final = Remembered(_language_of_classes)
_gutter_or_line: Final = Remembered(_is_gutter_or_line)


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            if child.tag == "br":
                parts.append("\n")
            elif not is_gutter(child):
                start = len(parts)
                _collect(child, parts)
                if _is_line(child) and _needs_newline(child, "".join(parts[start:])):
                    parts.append("\n")  # the line element's own line ends here
        if child.tail:
            parts.append(child.tail)


def _is_line(element: etree._Element) -> bool:
    return element.tag in {"div", "span"} and "line" in (element.get("class") or "").split()


def _needs_newline(line: etree._Element, text: str) -> bool:
    """Whether a line element whose text is ``text`` needs a newline after it: it does not end
    with one, and code follows that does not start with one (or a ``<br>``)."""
    if text.endswith("\n"):
        return False
    if line.tail:
        return not line.tail.startswith(("\n", "\r"))
    following = line.getnext()
    return following is not None and following.tag != "br"


def is_gutter(element: etree._Element) -> bool:
    """True for an element that only holds line numbers."""
    classes = element.get("class")
    return bool(classes) and not GUTTER_CLASSES.isdisjoint((classes or "").split())


def code_table_pre(table: etree._Element) -> etree._Element | None:
    """The code ``<pre>`` of a table used as a line-number gutter layout, else None.

    Octopress (``td.gutter`` + ``td.code``), Chroma (``table.lntable``), Rouge
    (``td.rouge-gutter``) and Pygments (``td.linenos``) all lay code out this way.
    """
    cells = [cell for cell in table.iter("td") if cell.find(".//pre") is not None]
    if len(cells) != 2 or not (is_gutter(cells[0]) or "lntd" in (cells[0].get("class") or "")):
        return None
    return cells[1].find(".//pre")
