"""Character encodings that a feed gets wrong: undeclared, wrongly declared, cut mid-character.

feedparser trusts the HTTP charset or the XML declaration and, when the bytes do not decode,
falls back to windows-1252: a Russian or Chinese feed then comes out as "Ïðèâåò". ``guess``
looks at the bytes only when the declared (or default UTF-8) reading fails or yields text that
no Latin-script language writes, and picks the reading whose characters make sense: UTF-8 (with
a truncated last character or a stray byte or two), the common CJK encodings, or Cyrillic.
Pure functions, no state; a ``None`` answer means "leave it to feedparser".
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_MARKUP = re.compile(r"<[^>]*>|&lt;.*?&gt;|&#?\w+;|\w+://\S+")
_LATIN = frozenset({"iso8859-1", "cp1252", "latin-1", "ascii"})
# A Latin-script text has far fewer accented letters than plain ones (Vietnamese, the most
# accented, has about a third); Cyrillic or CJK read as windows-1252 has almost only those.
_MAX_ACCENTED_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class Guess:
    encoding: str  # a Python codec name
    text: str  # the document decoded with it
    declared: str | None  # what the document said (None: nothing, UTF-8 assumed)


def declared_encoding(data: bytes, http_charset: str | None = None) -> str | None:
    """The charset the document claims: HTTP's first, then the XML declaration's."""
    if http_charset:
        return http_charset.strip().strip("\"'") or None
    match = _DECLARATION.match(data[:1024])
    return match.group(1).decode("ascii") if match else None


def guess(data: bytes, http_charset: str | None = None) -> Guess | None:
    """A better reading of ``data`` than its declaration gives, or None when that one is fine."""
    if data.startswith(_BOMS) or b"\x00" in data[:4]:
        return None  # a byte-order mark or UTF-16/32: feedparser reads those correctly
    declared = declared_encoding(data, http_charset)
    codec = _codec(declared or "utf-8")
    if codec is None:
        codec = "utf-8"  # an unknown name: read as the XML default
    elif codec.startswith(("utf-16", "utf-32")):
        return None
    if data.isascii() and _ascii_compatible(codec):
        return None  # every reading agrees, and nothing can be misread
    if codec in _LATIN:
        as_declared = _decode(data, codec)
        if as_declared is not None and not _looks_misread(as_declared):
            return None
    elif decodes(data, codec):
        return None
    if codec == "utf-8":
        text = _utf8_mostly(data)
        if text is not None:
            return Guess("utf-8", text, declared)
    if not _looks_misread(data.decode("cp1252", errors="replace")):
        return None  # Latin-script text: feedparser's windows-1252 fallback reads it right
    for candidate, plausible in _CANDIDATES:
        if candidate == codec:
            continue
        text = _decode(data, candidate)
        if text is not None and plausible(text):
            return Guess(candidate, text, declared)
    return None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _ascii_compatible(codec: str) -> bool:
    try:
        return b"<?xml encoding".decode(codec) == "<?xml encoding"
    except UnicodeDecodeError:
        return False


_CHUNK = 1 << 18


def decodes(data: bytes, codec: str) -> bool:
    """Whether ``data`` decodes strictly with ``codec``, a chunk at a time: a 27 MB feed is
    not copied into a str of up to four times its size just to find out."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _non_ascii(text: str) -> list[str]:
    return [char for char in text if ord(char) > 0x7F]


def _looks_misread(text: str) -> bool:
    """Latin-1/windows-1252 text whose letters are mostly accented: another script, misread.

    Only the words count, not the markup (raw or escaped) around them.
    """
    letters = [char for char in _MARKUP.sub(" ", text) if char.isalpha()]
    accented = [char for char in letters if ord(char) > 0x7F]
    return len(accented) >= 8 and len(accented) > _MAX_ACCENTED_SHARE * len(letters)


def _utf8_mostly(data: bytes) -> str | None:
    """UTF-8 with a character cut off at the end (a truncated file) or a rare stray byte."""
    for cut in (1, 2, 3):
        text = _decode(data[:-cut], "utf-8")
        if text is not None:
            return text
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = len(_non_ascii(text)) - bad
    return text if good >= 10 * bad and good > 0 else None


def _share(text: str, test: Callable[[str], bool]) -> float:
    chars = [char for char in _non_ascii(text) if not _is_punctuation(char)]
    return sum(1 for char in chars if test(char)) / len(chars) if chars else 0.0


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    return 0x80 <= code <= 0xBF or 0x2000 <= code <= 0x206F or code == 0xFFFD


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF


def _is_kana(char: str) -> bool:
    return 0x3040 <= ord(char) <= 0x30FF


def _is_hangul(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7AF or 0x3130 <= code <= 0x318F


def _is_cyrillic(char: str) -> bool:
    return 0x0400 <= ord(char) <= 0x04FF


def _encodable(text: str, codec: str) -> float:
    """How much of the CJK text also exists in ``codec`` (GB2312 holds the common hanzi;
    Japanese or Big5 bytes read as GB18030 give rare characters outside it)."""
    chars = [char for char in _non_ascii(text) if _is_cjk(char)]
    if not chars:
        return 0.0
    fits = 0
    for char in chars:
        try:
            char.encode(codec)
            fits += 1
        except UnicodeEncodeError:
            pass
    return fits / len(chars)


def _chinese_simplified(text: str) -> bool:
    return _share(text, _is_cjk) > 0.9 and _encodable(text, "gb2312") > 0.9


def _chinese_traditional(text: str) -> bool:
    return _share(text, _is_cjk) > 0.9


def _japanese(text: str) -> bool:
    return _share(text, lambda c: _is_cjk(c) or _is_kana(c)) > 0.9 and _share(text, _is_kana) > 0.1


def _korean(text: str) -> bool:
    return _share(text, _is_hangul) > 0.5


def _russian(text: str) -> bool:
    cyrillic = [char for char in _non_ascii(text) if _is_cyrillic(char) and char.isalpha()]
    if _share(text, _is_cyrillic) < 0.9 or not cyrillic:
        return False
    return sum(1 for char in cyrillic if char.islower()) > 0.5 * len(cyrillic)


# Tried in order; multi-byte encodings first: their strict decoding already rules most out.
_CANDIDATES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("gb18030", _chinese_simplified),
    ("big5", _chinese_traditional),
    ("shift_jis", _japanese),
    ("euc_kr", _korean),
    ("cp1251", _russian),
    ("koi8_r", _russian),
)
