"""Language tags for the EPUB: normalise what feeds say into BCP 47, and tell writing direction.

Feeds say ``en-US``, ``en_us``, ``English`` or nonsense; EPUBCheck (and Kindle's converter)
reject a malformed ``dc:language``/``xml:lang``, so every tag that reaches the book goes through
:func:`normalise_language`.
"""

from __future__ import annotations

import re

from feed2book.defaults import LANGUAGE

DEFAULT_LANGUAGE = LANGUAGE

# ISO 639-1: a two-letter primary subtag must be one of these to be believed.
_ISO_639_1_CODES = """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr
cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb
lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os
pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th
ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"""
_ISO_639_1 = frozenset(_ISO_639_1_CODES.split())

# Deprecated codes still seen in the wild.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}

# Language names (English and endonyms) that feeds put where a code belongs.
_NAMES = {
    "english": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "german": "de",
    "deutsch": "de",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "italian": "it",
    "italiano": "it",
    "portuguese": "pt",
    "português": "pt",
    "dutch": "nl",
    "nederlands": "nl",
    "russian": "ru",
    "polish": "pl",
    "polski": "pl",
    "turkish": "tr",
    "swedish": "sv",
    "japanese": "ja",
    "chinese": "zh",
    "korean": "ko",
    "arabic": "ar",
    "hebrew": "he",
    "persian": "fa",
    "farsi": "fa",
    "urdu": "ur",
    "hindi": "hi",
    "ukrainian": "uk",
    "greek": "el",
    "czech": "cs",
    "indonesian": "id",
    "vietnamese": "vi",
}

# Primary subtags written right to left (ISO 639-1 and -3), and scripts that are.
_RTL_LANGUAGE_CODES = (
    "ar he fa ur ps sd ug yi dv ckb syr arc azb bal bqi glk lrc mzn nqo pnb prs sdh ks"
)
_RTL_LANGUAGES = frozenset(_RTL_LANGUAGE_CODES.split())
_RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg", "samr", "mand"})
_LTR_SCRIPTS = frozenset({"latn", "cyrl", "grek"})

_SUBTAG = re.compile(r"[a-z0-9]{1,8}")


def normalise_language(raw: str, default: str = DEFAULT_LANGUAGE) -> str:
    """A well-formed BCP 47 tag for ``raw``, or ``default`` when ``raw`` is not a language.

    ``en_us`` -> ``en-US``, ``English`` -> ``en``, ``zh-hant-tw`` -> ``zh-Hant-TW``,
    ``garbage`` -> ``default``.
    """
    text = raw.strip().split(",")[0].split(";")[0].strip().replace("_", "-").lower()
    if text in _NAMES:
        return _NAMES[text]
    subtags = text.split("-")
    primary = _RENAMED.get(subtags[0], subtags[0])
    if not (primary in _ISO_639_1 or re.fullmatch(r"[a-z]{3}", primary)) or primary == "und":
        first_word = re.split(r"[^a-zà-ÿ]+", text)[0]
        return _NAMES.get(first_word, default)
    parts = [primary]
    for subtag in subtags[1:]:
        if not _SUBTAG.fullmatch(subtag):
            break  # keep what was well formed before the first bad subtag
        if len(subtag) == 4 and subtag.isalpha():
            parts.append(subtag.title())
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            parts.append(subtag.upper())
        else:
            parts.append(subtag)
    while len(parts) > 1 and len(parts[-1]) == 1:
        parts.pop()  # a singleton (extension/private-use marker) needs a subtag after it
    return "-".join(parts)


def text_direction(language: str) -> str:
    """``"rtl"`` or ``"ltr"`` for a normalised tag; an explicit script subtag wins."""
    subtags = language.lower().split("-")
    for subtag in subtags[1:]:
        if subtag in _RTL_SCRIPTS:
            return "rtl"
        if subtag in _LTR_SCRIPTS:
            return "ltr"
    return "rtl" if subtags[0] in _RTL_LANGUAGES else "ltr"
