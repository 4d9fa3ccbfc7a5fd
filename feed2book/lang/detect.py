"""The language of a text guessed from its writing system, for feeds that declare none.

Letters are counted per Unicode script (code blocks and inline code left out: they are Latin
whatever the prose is). A script used by one main language names it (Hangul -> ``ko``, Thai ->
``th``, Hebrew -> ``he``…); Han is ``ja`` when kana appear among it, else ``zh`` (``zh-Hans`` /
``zh-Hant`` when characters only one of the two spellings uses say which); Arabic script is
``ur`` or ``fa`` when letters only those alphabets have are frequent enough, else ``ar``;
Cyrillic is ``uk`` or ``ru`` only on letters that tell them apart, otherwise no guess. Latin
text gives no guess either: the caller keeps its default (``en``).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import Counter

# How many characters of the text are looked at: enough to tell the script, cheap on long posts.
SAMPLE_CHARACTERS = 2000
# Fewer letters of the winning script than this is no evidence (a name, a stray symbol).
MIN_LETTERS = 6
# Han, kana and Hangul carry a word in one to three characters, alphabets in about five letters:
# each of those characters counts this many times against Latin letters.
_SYLLABIC_WEIGHT = 3

# (first code point, last code point, script) for the scripts that decide a language.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "Latin"),
    (0x0061, 0x007A, "Latin"),
    (0x00C0, 0x024F, "Latin"),
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0530, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0750, 0x077F, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
    (0x0D80, 0x0DFF, "Sinhala"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Lao"),
    (0x1000, 0x109F, "Myanmar"),
    (0x10A0, 0x10FF, "Georgian"),
    (0x1100, 0x11FF, "Hangul"),
    (0x1780, 0x17FF, "Khmer"),
    (0x1E00, 0x1EFF, "Latin"),
    (0x1F00, 0x1FFF, "Greek"),
    (0x3040, 0x309F, "Kana"),
    (0x30A0, 0x30FF, "Kana"),
    (0x3130, 0x318F, "Hangul"),
    (0x31F0, 0x31FF, "Kana"),
    (0x3400, 0x4DBF, "Han"),
    (0x4E00, 0x9FFF, "Han"),
    (0xAC00, 0xD7AF, "Hangul"),
    (0xF900, 0xFAFF, "Han"),
    (0xFB1D, 0xFB4F, "Hebrew"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
    (0xFF66, 0xFF9F, "Kana"),
    (0x20000, 0x2FA1F, "Han"),
)
_STARTS = [start for start, _, _ in _RANGES]

# Scripts one language stands for (Devanagari: Hindi, the most written by far).
_SCRIPT_LANGUAGES = {
    "Greek": "el",
    "Armenian": "hy",
    "Hebrew": "he",
    "Devanagari": "hi",
    "Bengali": "bn",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Thai": "th",
    "Lao": "lo",
    "Myanmar": "my",
    "Georgian": "ka",
    "Hangul": "ko",
    "Khmer": "km",
}
_SYLLABIC = frozenset({"Han", "Kana", "Hangul"})

# Letters only Urdu writes (ٹ ڈ ڑ ں ے ۓ ھ), and letters Persian writes that Arabic does not
# (پ چ ژ گ; not the Persian forms of yeh and kaf, which some Arabic keyboards type too).
_URDU_LETTERS = frozenset("ٹڈڑںےۓھ")
_PERSIAN_LETTERS = frozenset("پچژگ")
_ARABIC_SHARE = 0.02  # of the Arabic-script letters, for ur/fa to be believed

# Ukrainian has є ї ґ (and і), Belarusian ў, Serbian/Macedonian ђ ћ ј љ њ џ ѓ ќ ѕ; Russian
# writes ы and э, which none of those (nor Bulgarian) do.
_UKRAINIAN_LETTERS = frozenset("єїґЄЇҐ")
_OTHER_CYRILLIC_LETTERS = frozenset("ўЎђћјљњџѓќѕЂЋЈЉЊЏЃЌЅ")
_RUSSIAN_LETTERS = frozenset("ыэЫЭ")
_CYRILLIC_SHARE = 0.005

# Frequent characters that only one of the two Chinese spellings uses (the same words).
_SIMPLIFIED = frozenset(
    "们这个为说时会国来对学发经过还没现开关问题后进么动实样长书网车门见电话务机点应从数据"
)
_TRADITIONAL = frozenset(
    "們這個為說時會國來對學發經過還沒現開關問題後進麼動實樣長書網車門見電話務機點應從數據"
)

_ASCII = re.compile(r"[\x00-\x7f]+")
_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())

_CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def prose_of(xhtml: str) -> str:
    """The readable prose of an XHTML fragment: tags and code (blocks and inline) removed."""
    return html.unescape(_TAG.sub(" ", _CODE.sub(" ", xhtml)))


def script_of(char: str) -> str | None:
    """The script of one letter among those ``detect_language`` tells apart, else ``None``."""
    code = ord(char)
    index = bisect_right(_STARTS, code) - 1
    if index >= 0 and code <= _RANGES[index][1]:
        return _RANGES[index][2]
    return None


def detect_language(text: str) -> str | None:
    """A BCP 47 tag for the language ``text`` is written in, from its script; ``None`` when the
    script is Latin, the text too short, or the script does not tell the language."""
    sample = text[:SAMPLE_CHARACTERS]
    ascii_bytes = sample.encode("ascii", "ignore")
    counts: Counter[str] = Counter()
    latin = len(ascii_bytes.translate(None, _ASCII_NON_LETTERS))
    if latin:
        counts["Latin"] = latin
    letters: Counter[str] = Counter()
    # Counted per distinct character first (in C): the script of each is looked up once.
    for char, count in Counter(_ASCII.sub("", sample)).items():
        script = script_of(char)
        if script is not None and (char.isalpha() or script in _SYLLABIC):
            counts[script] += count
            letters[char] = count
    weighted = {
        script: count * (_SYLLABIC_WEIGHT if script in _SYLLABIC else 1)
        for script, count in counts.items()
    }
    if not weighted:
        return None
    script = max(sorted(weighted), key=lambda name: weighted[name])
    if script == "Kana" or (script == "Han" and counts["Kana"] * 10 >= counts["Han"]):
        return "ja" if counts["Kana"] + counts["Han"] >= MIN_LETTERS else None
    if counts[script] < MIN_LETTERS or script == "Latin":
        return None
    if script == "Han":
        return _chinese(letters)
    if script == "Arabic":
        return _arabic(letters, counts[script])
    if script == "Cyrillic":
        return _cyrillic(letters, counts[script])
    return _SCRIPT_LANGUAGES.get(script)


def _share(letters: Counter[str], alphabet: frozenset[str]) -> int:
    return sum(letters[char] for char in alphabet)


def _chinese(letters: Counter[str]) -> str:
    simplified, traditional = _share(letters, _SIMPLIFIED), _share(letters, _TRADITIONAL)
    if simplified >= 3 * max(traditional, 1):
        return "zh-Hans"
    if traditional >= 3 * max(simplified, 1):
        return "zh-Hant"
    return "zh"


def _arabic(letters: Counter[str], total: int) -> str:
    if _share(letters, _URDU_LETTERS) >= _ARABIC_SHARE * total:
        return "ur"
    if _share(letters, _PERSIAN_LETTERS) >= _ARABIC_SHARE * total:
        return "fa"
    return "ar"


def _cyrillic(letters: Counter[str], total: int) -> str | None:
    ukrainian = _share(letters, _UKRAINIAN_LETTERS) >= _CYRILLIC_SHARE * total
    russian = _share(letters, _RUSSIAN_LETTERS) >= _CYRILLIC_SHARE * total
    if _share(letters, _OTHER_CYRILLIC_LETTERS) >= _CYRILLIC_SHARE * total:
        return None
    if ukrainian and not russian:
        return "uk"
    if russian and not ukrainian:
        return "ru"
    return None


def language_of(title: str, xhtml: str) -> str | None:
    """``detect_language`` of an article: its title and the prose of (the start of) its body."""
    return detect_language(title + "\n" + prose_of(xhtml[: SAMPLE_CHARACTERS * 8]))
