"""Plain text from clean XHTML (for ``--content text``, search indexes and word counts).

Paragraphs are separated by a blank line, list items get a bullet (or their number), table
rows become ``cell | cell`` lines and code keeps its exact text. ``block_sequence_from_xhtml``
describes the block structure, so tests can check the Markdown against it.
"""

from __future__ import annotations

import re
from typing import Final

from lxml import etree

from feed2book.clean.mathml import MATH_TAG, math_as_text, math_text

__all__ = [
    "block_sequence_from_xhtml",
    "count_words",
    "text_as_html",
    "to_text",
    "tree_word_count",
    "xhtml_word_count",
]

_BLOCKS: Final = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "blockquote", "figure", "figcaption", "pre", "table", "caption", "hr",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\n]+")
_HORIZONTAL = re.compile(r"[ \t\r\f]+")
# Ideographs and kana: CJK is written without spaces, so each character counts as a word.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
_WORD = re.compile(r"\w+(?:['’.\-]\w+)*")
_FIRST_CJK = "\u2e80"  # no character below it is in _CJK
# ASCII text in three classes: word characters (what \w matches), the joiners of _WORD, the rest.
_ASCII_CLASSES = bytes(
    ord("a") if chr(c).isalnum() or c == ord("_") else ord("j") if chr(c) in "'.-" else ord(" ")
    for c in range(256)  # bytes.translate wants 256 entries; ASCII text only uses the first 128
)
_JOINERS_AS_SPACE = bytes.maketrans(b"j", b" ")
_ASCII_BYTES: Final = bytes(range(0x80))


_BLANK_LINES = re.compile(r"\n[ \t\f\v]*\n\s*")
_TEXT_URL = re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)
_URL_END_PUNCTUATION = ".,;:!?'\")]}"


def text_as_html(text: str) -> str:
    """HTML for a plain-text field (Atom ``type="text"``, ``media:description type="plain"``,
    podcast notes): blank lines separate paragraphs, a single newline is a ``<br/>``, bare
    http(s) URLs become links, and everything else is escaped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [part.strip() for part in _BLANK_LINES.split(text)]
    return "".join(
        "<p>" + "<br/>".join(_linked(line.strip()) for line in part.split("\n")) + "</p>"
        for part in paragraphs
        if part
    )


def _linked(line: str) -> str:
    pieces: list[str] = []
    end = 0
    for match in _TEXT_URL.finditer(line):
        url = match.group()
        while (
            url
            and url[-1] in _URL_END_PUNCTUATION
            and not (url[-1] == ")" and url.count("(") >= url.count(")"))
        ):
            url = url[:-1]
        pieces.append(_escape(line[end : match.start()]))
        pieces.append(f'<a href="{_escape(url, quote=True)}">{_escape(url)}</a>')
        end = match.start() + len(url)
    pieces.append(_escape(line[end:]))
    return "".join(pieces)


def _escape(text: str, *, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def to_text(xhtml: str) -> str:
    """Readable plain text for a ``clean_html`` fragment."""
    if not xhtml.strip():
        return ""
    root = etree.fromstring(f"<div>{xhtml}</div>")
    return "\n\n".join(_container(root)).strip("\n")


def count_words(text: str) -> int:
    """Words in ``text``; each CJK ideograph or kana counts as one word."""
    if text.isascii():
        return _count_ascii_words(text)
    others = _non_ascii(text)
    ideographs = len(_CJK.findall(text)) if max(others) >= _FIRST_CJK else 0
    if ideographs:
        text = _CJK.sub(" ", text)
        others = {character for character in others if not _CJK.match(character)}
    # Every other non-ASCII character is replaced by an ASCII one of its ``_WORD`` class (a word
    # character, ``\w``, is ``str.isalnum`` or ``_``), so the count stays the regex's without a
    # match per word: few distinct characters, each replaced at C speed.
    for character in others:
        ascii_class = "a" if character.isalnum() else "'" if character == "’" else " "
        text = text.replace(character, ascii_class)
    return ideographs + _count_ascii_words(text)


def _non_ascii(text: str) -> set[str]:
    """The distinct non-ASCII characters of ``text``: its UTF-8 without the ASCII bytes, found
    at C speed (a ``set`` of the whole text hashes every character)."""
    encoded = text.encode("utf-8", "surrogatepass")
    return set(encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))


def _count_ascii_words(text: str) -> int:
    """``len(_WORD.findall(text))`` for ASCII text, in a few passes at C speed.

    A match of ``_WORD`` is a run of word characters, extended over every single joiner
    (``'.-``) that has word characters on both sides. So: the runs, less those joiners.
    """
    classes = text.encode("ascii").translate(_ASCII_CLASSES)
    runs = len(classes.translate(_JOINERS_AS_SPACE).split())
    return runs - classes.replace(b"aj", b"aJ").count(b"Ja")


def xhtml_word_count(xhtml: str) -> int:
    """``count_words(to_text(xhtml))``, without writing the text out.

    The text is gathered the way ``to_text`` gathers it (the same elements, in the same order,
    with a line break wherever ``to_text`` starts a new block, line or cell) but without its
    tidying, which only ever changes whitespace; runs of inline markup are read by libxml2 in one
    call.
    """
    if not xhtml.strip():
        return 0
    return tree_word_count(etree.fromstring(f"<div>{xhtml}</div>"))


def tree_word_count(root: etree._Element) -> int:
    """``xhtml_word_count`` of a fragment already parsed: ``root`` is the element that holds it
    (``clean_html_tree`` gives it with the XHTML)."""
    pieces: list[str] = []
    _gather_container(root, pieces)
    return count_words("".join(pieces))


def _gather_container(element: etree._Element, pieces: list[str]) -> None:
    if element.text:
        pieces.append(element.text)
    for child in element:
        if child.tag in _BLOCKS:
            pieces.append("\n")
            _gather_block(child, pieces)
            pieces.append("\n")
        else:
            _gather_inline(child, pieces)
        if child.tail:
            pieces.append(child.tail)


def _gather_block(element: etree._Element, pieces: list[str]) -> None:
    tag = element.tag
    if tag == "pre":
        pieces.append(_text_of(element))
    elif tag in {"ul", "ol"}:
        number = int(element.get("start") or 1)
        for item in element:
            if item.tag != "li":
                continue
            if element.tag == "ol":
                pieces.append(f"{number}. ")
            number += 1
            _gather_container(item, pieces)
            pieces.append("\n")
    elif tag == "table":
        for caption in element.iter("caption"):
            _gather_inline(caption, pieces)
            pieces.append("\n")
        for row in element.iter("tr"):
            for cell in row:
                _gather_container(cell, pieces)
                pieces.append("\n")
    elif tag in {"blockquote", "figure", "dd", "li", "dl"}:
        _gather_container(element, pieces)
    elif tag != "hr":
        _gather_inline(element, pieces)


def _gather_inline(element: etree._Element, pieces: list[str]) -> None:
    """What ``_inline`` reads: all the text inside, a ``<br>`` as a line break."""
    if element.tag == "br":
        pieces.append("\n")
    elif element.tag == MATH_TAG:
        pieces.append(f" {math_text(element)} ")  # the annotation is not more words
    elif (
        next(element.iter("br", MATH_TAG, etree.Comment, etree.ProcessingInstruction), None) is None
    ):
        pieces.append(_text_of(element))  # libxml2 reads the same text nodes in one call
    else:
        if element.text:
            pieces.append(element.text)
        for child in element:
            _gather_inline(child, pieces)
            if child.tail:
                pieces.append(child.tail)


def _text_of(element: etree._Element) -> str:
    return str(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def _container(element: etree._Element) -> list[str]:
    """The blocks inside a container; runs of inline content become paragraphs."""
    blocks: list[str] = []
    inline: list[str] = []

    def flush() -> None:
        text = _tidy("".join(inline))
        if text:
            blocks.append(text)
        inline.clear()

    if element.text:
        inline.append(element.text)
    for child in element:
        if child.tag in _BLOCKS:
            flush()
            blocks.extend(block for block in _block(child) if block)
        else:
            inline.append(_inline(child))
        if child.tail:
            inline.append(child.tail)
    flush()
    return blocks


def _block(element: etree._Element) -> list[str]:
    tag = element.tag
    if tag == "pre":
        return [
            str(etree.tostring(element, method="text", encoding="unicode", with_tail=False)).rstrip(
                "\n"
            )
        ]
    if tag in {"ul", "ol"}:
        return [_list(element)]
    if tag == "table":
        return _table(element)
    if tag == "hr":
        return []
    if tag in {"blockquote", "figure", "dd", "li", "dl"}:
        return _container(element)
    return [_tidy(_inline(element, with_tail=False))]


def _list(element: etree._Element) -> str:
    number = int(element.get("start") or 1)
    lines: list[str] = []
    for item in element:
        if item.tag != "li":
            continue
        bullet = f"{number}. " if element.tag == "ol" else "- "
        number += 1
        body = "\n".join(_container(item)).split("\n") or [""]
        lines.append(bullet + body[0])
        lines.extend((" " * len(bullet) + line) if line else "" for line in body[1:])
    return "\n".join(lines)


def _table(element: etree._Element) -> list[str]:
    blocks = [_tidy(_inline(caption, with_tail=False)) for caption in element.iter("caption")]
    rows = [
        " | ".join(" ".join(_container(cell)).replace("\n", " ") for cell in row)
        for row in element.iter("tr")
    ]
    return [*blocks, "\n".join(rows)]


def _inline(element: etree._Element, *, with_tail: bool = False) -> str:
    if element.tag == "br":
        return "\n"
    if element.tag == MATH_TAG:
        return math_as_text(element)
    parts = [_SPACES.sub(" ", element.text or "")]
    for child in element:
        parts.append(_inline(child))
        parts.append(_SPACES.sub(" ", child.tail or ""))
    return "".join(parts)


def _tidy(text: str) -> str:
    lines = (_HORIZONTAL.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def block_sequence_from_xhtml(xhtml: str) -> list[tuple[str, str]]:
    """The block structure of a clean fragment, as Markdown can express it.

    Kinds: ``h2``..``h6``, ``p`` (a paragraph, caption, term or image line), ``li``, ``code``
    (detail: the language), ``table`` (detail: ``rows x columns``), ``blockquote``, ``hr``.
    Blocks inside list items and table cells are not listed: Markdown flattens them.
    """
    if not xhtml.strip():
        return []
    sequence: list[tuple[str, str]] = []
    _sequence(etree.fromstring(f"<div>{xhtml}</div>"), sequence)
    return sequence


def _sequence(element: etree._Element, out: list[tuple[str, str]]) -> None:
    has_inline = bool((element.text or "").strip())
    for child in element:
        tag = str(child.tag)
        if tag not in _BLOCKS:
            has_inline = True
        else:
            if has_inline:
                out.append(("p", ""))
                has_inline = False
            _sequence_block(child, tag, out)
        if (child.tail or "").strip():
            has_inline = True
    if has_inline:
        out.append(("p", ""))


def _sequence_block(element: etree._Element, tag: str, out: list[tuple[str, str]]) -> None:
    if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        out.append((tag, ""))
    elif tag in {"p", "figcaption", "dt", "caption"}:
        out.append(("p", ""))
    elif tag == "pre":
        code = element.find("code")
        language = (code.get("class") or "") if code is not None else ""
        out.append(("code", language.removeprefix("language-")))
    elif tag in {"ul", "ol"}:
        for item in element:
            out.append(("li", ""))
            nested = [child for child in item if child.tag in {"ul", "ol"}]
            for sublist in nested:
                _sequence_block(sublist, str(sublist.tag), out)
    elif tag == "table":
        caption = element.find("caption")
        if caption is not None:
            out.append(("p", ""))
        rows = list(element.iter("tr"))
        columns = max((_width(row) for row in rows), default=0)
        out.append(("table", f"{len(rows)}x{columns}"))
    elif tag == "blockquote":
        out.append(("blockquote", ""))
        _sequence(element, out)
    elif tag == "hr":
        out.append(("hr", ""))
    else:  # figure, dl, dd: containers
        _sequence(element, out)


def _width(row: etree._Element) -> int:
    return sum(int(cell.get("colspan") or 1) for cell in row)
