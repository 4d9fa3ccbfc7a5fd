"""Setting text in a box: break into words, pick a face per run, auto-size, wrap.

Lines break only between words (or between CJK characters, which are words for this purpose),
never inside one. A text that does not fit at the largest size shrinks step by step; past the
style's smallest size it goes on shrinking and wraps to more lines, so that a long title is set
whole (only a text that does not fit even at ``FLOOR_SIZE`` loses its last words to an
ellipsis). Right-to-left text is shaped by Raqm one word at a time, and words are ordered on the
line by a word-level form of the bidi algorithm, which is enough for titles.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from feed2book.covers.fonts import FontFace, FontStack, is_ltr_char, is_rtl_char, pil_font
from feed2book.covers.fonts import shaping_available as _shaping
from feed2book.lang.tags import text_direction

ELLIPSIS = "…"
SHRINK_FACTOR = 0.93
# A text too long for its style's sizes shrinks further and takes more lines, down to this; only
# past it (thousands of characters) are the last words cut.
FLOOR_SIZE = 12
# Kinsoku: CJK punctuation that must not start (closing) or end (opening) a line.
_CLOSING = set(
    "、。，．・：；？！）］｝〕〉》」』】〙〗〟’”ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ」"
)
_OPENING = set("（［｛〔〈《「『【〘〖〝‘“")

Direction = Literal["ltr", "rtl", "neutral"]
Align = Literal["start", "center", "end"]
VAlign = Literal["top", "middle", "bottom"]


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class TextStyle:
    max_size: int
    min_size: int
    max_lines: int = 1
    line_height: float = 1.15
    align: Align = "start"
    valign: VAlign = "top"
    upper: bool = False


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    face: FontFace
    rtl: bool


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    runs: tuple[Run, ...]
    space_before: bool
    direction: Direction


@dataclass(frozen=True, slots=True)
class PlacedRun:
    """A run as drawn: ``origin`` is its left end on the baseline; ``bbox`` its ink box."""

    text: str
    face: FontFace
    size: int
    origin: tuple[float, float]
    rtl: bool
    bbox: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class TextBlock:
    lines: tuple[str, ...]  # logical text of each line, as a reader would type it
    size: int
    runs: tuple[PlacedRun, ...]
    ellipsized: bool
    rtl: bool
    language: str

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        boxes = [run.bbox for run in self.runs]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


def _is_cjk(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "FULLWIDTH"))


def _split_word(word: str) -> list[str]:
    """CJK characters are break opportunities; keep kinsoku punctuation with its neighbour."""
    pieces: list[str] = []
    for char in word:
        glue_to_previous = pieces and (
            char in _CLOSING
            or pieces[-1][-1] in _OPENING
            or not (_is_cjk(char) or _is_cjk(pieces[-1][-1]))
        )
        if glue_to_previous:
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _direction(text: str) -> Direction:
    for char in text:
        if is_rtl_char(char):
            return "rtl"
        if is_ltr_char(char):
            return "ltr"
    return "neutral"


def _runs(text: str, stack: FontStack) -> tuple[Run, ...] | None:
    """Split ``text`` into runs of one face each; None if some character has no face."""
    whole = stack.face_for_text(text)
    if whole is not None:
        return (Run(text, whole, _direction(text) == "rtl"),)
    runs: list[Run] = []
    for char in text:
        face = stack.face_for(char)
        if face is None:
            return None
        if runs and runs[-1].face == face:
            runs[-1] = Run(runs[-1].text + char, face, runs[-1].rtl or is_rtl_char(char))
        else:
            runs.append(Run(char, face, is_rtl_char(char)))
    return tuple(runs)


def tokenize(text: str, stack: FontStack) -> list[Token] | None:
    """Words with their runs, or None when some character cannot be drawn by any face."""
    tokens: list[Token] = []
    for word in text.split():
        for position, piece in enumerate(_split_word(word)):
            runs = _runs(piece, stack)
            if runs is None:
                return None
            tokens.append(Token(piece, runs, position == 0 and bool(tokens), _direction(piece)))
    return tokens


def layout_options(rtl: bool, language: str) -> tuple[str | None, str | None]:
    """(direction, language) for Pillow: only meaningful, and only allowed, with Raqm."""
    if not _shaping():
        return None, None
    return ("rtl" if rtl else "ltr"), language


def _token_width(token: Token, size: int, language: str) -> float:
    return sum(_run_length(run, size, language) for run in token.runs)


@lru_cache(maxsize=8192)
def _run_length(run: Run, size: int, language: str) -> float:
    direction, lang = layout_options(run.rtl, language)
    return pil_font(run.face, size).getlength(run.text, direction=direction, language=lang)


def _space_width(stack: FontStack, size: int) -> float:
    return _run_length(Run(" ", stack.primary, False), size, stack.language)


def _line_width(line: Sequence[Token], size: int, stack: FontStack) -> float:
    space = _space_width(stack, size)
    width = sum(_token_width(token, size, stack.language) for token in line)
    return width + space * sum(1 for token in line[1:] if token.space_before)


def _wrap(tokens: Sequence[Token], width: float, size: int, stack: FontStack) -> list[list[Token]]:
    lines: list[list[Token]] = []
    for token in tokens:
        if lines and _line_width([*lines[-1], token], size, stack) <= width:
            lines[-1].append(token)
        else:
            lines.append([token])
    return lines


def _balanced_wrap(
    tokens: Sequence[Token], width: float, size: int, stack: FontStack
) -> list[list[Token]]:
    """Greedy wrap at the narrowest width that keeps the same line count: even line lengths."""
    lines = _wrap(tokens, width, size, stack)
    low, high = max(_token_width(t, size, stack.language) for t in tokens), width
    while high - low > 4:
        middle = (low + high) / 2
        if len(_wrap(tokens, middle, size, stack)) <= len(lines):
            high = middle
        else:
            low = middle
    return _wrap(tokens, high, size, stack)


def _fits(
    lines: list[list[Token]], box: Box, size: int, style: TextStyle, stack: FontStack
) -> bool:
    return (
        len(lines) <= style.max_lines
        and len(lines) * size * style.line_height <= box.height
        and all(_line_width(line, size, stack) <= box.width for line in lines)
    )


def _sizes(style: TextStyle) -> list[int]:
    sizes, size = [], float(style.max_size)
    while size > style.min_size:
        sizes.append(round(size))
        size *= SHRINK_FACTOR
    sizes.append(style.min_size)
    return sizes


def _ellipsize(
    tokens: Sequence[Token], box: Box, size: int, style: TextStyle, stack: FontStack
) -> list[list[Token]]:
    """The lines that fit at ``size``, the last one ending in an ellipsis (whole words only)."""
    max_lines = max(1, min(style.max_lines, int(box.height // (size * style.line_height))))
    lines = _wrap(tokens, box.width, size, stack)[:max_lines]
    mark = _ellipsis_token(stack)
    last = lines[-1]
    while len(last) > 1 and _line_width([*last, mark], size, stack) > box.width:
        last.pop()
    last.append(mark)
    return lines


def _ellipsis_token(stack: FontStack) -> Token:
    for mark in (ELLIPSIS, "..."):
        runs = _runs(mark, stack)
        if runs is not None:
            return Token(mark, runs, False, "neutral")
    return Token("", (), False, "neutral")


def _visual_order(line: Sequence[Token], rtl: bool) -> list[Token]:
    """Word-level bidi: neutral words take their neighbours' direction when both agree."""
    resolved: list[Direction] = []
    for index, token in enumerate(line):
        if token.direction != "neutral":
            resolved.append(token.direction)
            continue
        before = next(
            (t.direction for t in reversed(line[:index]) if t.direction != "neutral"), None
        )
        after = next((t.direction for t in line[index + 1 :] if t.direction != "neutral"), None)
        resolved.append(
            before if before is not None and before == after else ("rtl" if rtl else "ltr")
        )
    groups: list[list[Token]] = []
    for token, direction in zip(line, resolved, strict=True):
        if groups and _direction_of(groups[-1][0], resolved, line) == direction:
            groups[-1].append(token)
        else:
            groups.append([token])
    ordered = [
        list(reversed(group)) if _direction_of(group[0], resolved, line) == "rtl" else group
        for group in groups
    ]
    if rtl:
        ordered.reverse()
    return [token for group in ordered for token in group]


def _direction_of(token: Token, resolved: list[Direction], line: Sequence[Token]) -> Direction:
    return resolved[next(i for i, t in enumerate(line) if t is token)]


def set_text(text: str, stack: FontStack, box: Box, style: TextStyle) -> TextBlock | None:
    """Fit ``text`` into ``box``; None when it is empty or some character has no face.

    The style's sizes are tried first within its ``max_lines``; a text too long for them keeps
    shrinking, below the style's smallest size, and wraps to as many lines as the box holds.
    Only a text too long even at ``FLOOR_SIZE`` is cut, after its last whole word that fits."""
    tokens = tokenize(text.upper() if style.upper else text, stack)
    if not tokens:
        return None
    for size in _sizes(style):
        block = _fitted(tokens, box, size, style, stack)
        if block is not None:
            return block
    more_lines = replace(style, max_lines=max(style.max_lines, box.height))
    size = round(style.min_size * SHRINK_FACTOR)
    while size >= FLOOR_SIZE:
        block = _fitted(tokens, box, size, more_lines, stack)
        if block is not None:
            return block
        size = min(size - 1, round(size * SHRINK_FACTOR))
    size = FLOOR_SIZE
    while True:
        block = _place(_ellipsize(tokens, box, size, style, stack), size, box, style, stack, True)
        if _ink_inside(block, box) or size <= 1:
            return block
        size -= 1


def _fitted(
    tokens: Sequence[Token], box: Box, size: int, style: TextStyle, stack: FontStack
) -> TextBlock | None:
    """The text set at ``size`` when it fits the box (advances and ink), else None."""
    lines = _balanced_wrap(tokens, box.width, size, stack)
    if not _fits(lines, box, size, style, stack):
        return None
    block = _place(lines, size, box, style, stack, ellipsized=False)
    return block if _ink_inside(block, box) else None


def _ink_inside(block: TextBlock, box: Box) -> bool:
    """Advance widths fit by construction; overhanging ink (italic, accents) may still not."""
    left, _, right, _ = block.bbox
    return box.left <= left and right <= box.right


def _place(
    lines: list[list[Token]],
    size: int,
    box: Box,
    style: TextStyle,
    stack: FontStack,
    ellipsized: bool,
) -> TextBlock:
    strong = [t.direction for line in lines for t in line if t.direction != "neutral"]
    rtl = strong[0] == "rtl" if strong else text_direction(stack.language) == "rtl"
    step = size * style.line_height
    ascent, descent = pil_font(stack.primary, size).getmetrics()
    block_height = step * (len(lines) - 1) + ascent + descent
    top = {"top": box.top, "middle": box.top + (box.height - block_height) / 2}.get(
        style.valign, box.bottom - block_height
    )
    align = {"start": "right" if rtl else "left", "end": "left" if rtl else "right"}.get(
        style.align, "center"
    )
    space = _space_width(stack, size)
    placed: list[PlacedRun] = []
    for number, line in enumerate(lines):
        width = _line_width(line, size, stack)
        x = {"left": box.left, "right": box.right - width}.get(
            align, box.left + (box.width - width) / 2
        )
        baseline = top + ascent + number * step
        visual = _visual_order(line, rtl)
        first = len(placed)
        for position, token in enumerate(visual):
            if position and _space_between(line, visual[position - 1], token):
                x += space
            runs = reversed(token.runs) if token.direction == "rtl" else token.runs
            for run in runs:
                font = pil_font(run.face, size)
                direction, lang = layout_options(run.rtl, stack.language)
                left, upper, right, lower = font.getbbox(
                    run.text, anchor="ls", direction=direction, language=lang
                )
                bbox = (
                    int(x + left),
                    int(baseline + upper),
                    int(x + right + 1),
                    int(baseline + lower + 1),
                )
                placed.append(PlacedRun(run.text, run.face, size, (x, baseline), run.rtl, bbox))
                x += _run_length(run, size, stack.language)
        placed[first:] = _inside(placed[first:], box)
    texts = tuple(_logical_text(line) for line in lines)
    return TextBlock(texts, size, tuple(placed), ellipsized, rtl, stack.language)


def _inside(runs: list[PlacedRun], box: Box) -> list[PlacedRun]:
    """Shift a line so its ink, not just its advance, is inside the box (accents such as the
    circumflex on a capital I reach past the glyph's origin)."""
    if not runs:
        return runs
    left = min(run.bbox[0] for run in runs)
    right = max(run.bbox[2] for run in runs)
    shift = max(0, box.left - left) - max(0, right - box.right)
    if shift == 0:
        return runs
    return [
        replace(
            run,
            origin=(run.origin[0] + shift, run.origin[1]),
            bbox=(run.bbox[0] + shift, run.bbox[1], run.bbox[2] + shift, run.bbox[3]),
        )
        for run in runs
    ]


def _space_between(line: Sequence[Token], first: Token, second: Token) -> bool:
    """Visual neighbours get a space when, in reading order, a space separates them."""
    i, j = (next(n for n, t in enumerate(line) if t is token) for token in (first, second))
    if abs(i - j) != 1:
        return True
    return line[max(i, j)].space_before


def _logical_text(line: Sequence[Token]) -> str:
    return "".join(
        (" " if index and token.space_before else "") + token.text
        for index, token in enumerate(line)
    )
