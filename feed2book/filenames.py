"""File names that are safe on Windows, macOS and Linux. One rule, used by every writer."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 80
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.I)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]+')

# A Kobo opens a book as a kepub by this ending; to everything else it is an ``.epub``.
KEPUB_SUFFIX = ".kepub.epub"


def safe_stem(text: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file-name stem: no separators, control or bidi characters, no reserved names, no
    leading dots, at most ``max_bytes`` bytes of UTF-8 (cut on a character boundary)."""
    cleaned = unicodedata.normalize("NFC", text)
    cleaned = _UNSAFE.sub("-", cleaned)
    cleaned = re.sub(r"\s+", "-", cleaned.strip())
    cleaned = cleaned.strip(" .-") or "untitled"
    if _WINDOWS_RESERVED.match(cleaned):
        cleaned = f"_{cleaned}"
    encoded = cleaned.encode("utf-8")
    if len(encoded) > max_bytes:
        cleaned = encoded[:max_bytes].decode("utf-8", errors="ignore").rstrip(" .-")
    return cleaned


def unique_names(stems: list[str], suffix: str) -> list[str]:
    """``stems`` + ``suffix``, made unique case-insensitively by numbering repeats."""
    taken: set[str] = set()
    names = []
    for stem in stems:
        candidate, number = stem, 2
        while (candidate + suffix).casefold() in taken:
            tail = f"-{number}"
            candidate = safe_stem(stem, MAX_NAME_BYTES - len(tail)) + tail
            number += 1
        taken.add((candidate + suffix).casefold())
        names.append(candidate + suffix)
    return names
