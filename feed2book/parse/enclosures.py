"""Enclosures: the files entries carry (podcast audio, video, documents), read from every feed
format and labelled for the pages that link to them.

Audio gets a "Listen" link, video a "Watch" link and other files an "Attachment" link, each
with what is known of format, duration and size: ``Listen (MP3, 1:02:15, 45.3 MB)``. Image
enclosures are not linked: feeds use them for the post's picture, which the content shows
already (Substack sends every illustration again as an image enclosure of length 0). All the
wording is here, in :func:`label` and :data:`VERBS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from feed2book.models import Enclosure

# The link's verb by the media type's top-level type; types not listed are attachments.
VERBS = {"audio": "Listen", "video": "Watch"}
ATTACHMENT = "Attachment"
NOT_LINKED = frozenset({"image"})

_FORMATS = {
    "audio/mpeg": "MP3",
    "audio/mp3": "MP3",
    "audio/mp4": "M4A",
    "audio/x-m4a": "M4A",
    "audio/aac": "AAC",
    "audio/ogg": "Ogg",
    "audio/opus": "Opus",
    "audio/flac": "FLAC",
    "audio/wav": "WAV",
    "audio/x-wav": "WAV",
    "video/mp4": "MP4",
    "video/x-m4v": "M4V",
    "video/webm": "WebM",
    "video/ogg": "Ogg",
    "video/quicktime": "MOV",
    "application/pdf": "PDF",
    "application/epub+zip": "EPUB",
    "application/zip": "ZIP",
}
# A media type for files whose feed gives none, by the URL's extension.
_BY_EXTENSION = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/opus",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "mp4": "video/mp4",
    "m4v": "video/x-m4v",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "zip": "application/zip",
}
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:\.\d+)?")
_MAX_NUMBER = 2**53  # what a JSON reader keeps exactly

Resolve = Callable[[str], str]  # a URL as found -> an absolute http(s) URL, or "" to drop it


def from_entry(entry: Mapping[str, Any], resolve: Resolve) -> tuple[Enclosure, ...]:
    """An RSS/Atom entry's enclosures as feedparser reads them (``enclosures``; Media RSS
    ``media_content`` of audio or video), each URL once; ``itunes:duration`` goes to the first
    audio or video enclosure that has no duration of its own."""
    found: list[Enclosure] = []
    for raw in entry.get("enclosures", []) or []:
        found.append(_enclosure(resolve, raw.get("href"), raw.get("type"), raw.get("length")))
    for raw in entry.get("media_content", []) or []:
        enclosure = _enclosure(
            resolve, raw.get("url"), raw.get("type"), raw.get("filesize"), raw.get("duration")
        )
        medium = str(raw.get("medium") or "")
        if _top(enclosure.type) in VERBS or medium in VERBS:
            found.append(enclosure)
    unique = _unique(found)
    duration = seconds(entry.get("itunes_duration"))
    if duration is None:
        return unique
    for index, enclosure in enumerate(unique):
        if _top(enclosure.type) in VERBS:
            if enclosure.duration is None:
                timed = Enclosure(enclosure.url, enclosure.type, enclosure.length, duration)
                return (*unique[:index], timed, *unique[index + 1 :])
            break
    return unique


def from_json(value: Any, resolve: Resolve) -> tuple[Enclosure, ...]:
    """A JSON Feed item's ``attachments``."""
    return _unique(
        _enclosure(
            resolve,
            raw.get("url"),
            raw.get("mime_type"),
            raw.get("size_in_bytes"),
            raw.get("duration_in_seconds"),
        )
        for raw in (value if isinstance(value, list) else [])
        if isinstance(raw, dict)
    )


def from_records(value: Any, resolve: Resolve) -> tuple[Enclosure, ...]:
    """The ``enclosures`` of a feed2book JSON Lines record (as ``records`` writes them)."""
    return _unique(
        _enclosure(resolve, raw.get("url"), raw.get("type"), raw.get("length"), raw.get("duration"))
        for raw in (value if isinstance(value, list) else [])
        if isinstance(raw, dict)
    )


def records(enclosures: Iterable[Enclosure]) -> list[dict[str, Any]]:
    """The JSON Lines form: keys url, type, length, duration (the last two may be null)."""
    return [
        {"url": e.url, "type": e.type, "length": e.length, "duration": e.duration}
        for e in enclosures
    ]


def _enclosure(
    resolve: Resolve, url: Any, media_type: Any, length: Any, duration: Any = None
) -> Enclosure:
    address = resolve(url.strip()) if isinstance(url, str) else ""
    kind = media_type.split(";")[0].strip().lower() if isinstance(media_type, str) else ""
    if not _MEDIA_TYPE.fullmatch(kind):
        extension = _EXTENSION.search(urlsplit(address).path) if address else None
        kind = _BY_EXTENSION.get(extension.group(1).lower(), "") if extension else ""
    return Enclosure(address, kind, _count(length), seconds(duration))


def _unique(found: Iterable[Enclosure]) -> tuple[Enclosure, ...]:
    unique: dict[str, Enclosure] = {}
    for enclosure in found:
        if enclosure.url:
            unique.setdefault(enclosure.url, enclosure)
    return tuple(unique.values())


def _count(value: Any) -> int | None:
    """A positive whole number from a feed (text or JSON number), else ``None``."""
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    else:
        return None
    return number if 0 < number < _MAX_NUMBER else None


def seconds(value: Any) -> int | None:
    """A duration in whole seconds: ``3735``, ``"3735"``, ``"62:15"``, ``"1:02:15"``."""
    if isinstance(value, str):
        text = value.strip()
        clock = _CLOCK.fullmatch(text)
        if clock is not None:
            hours, minutes, secs = (int(part or 0) for part in clock.groups())
            return _count(hours * 3600 + minutes * 60 + secs)
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return _count(round(float(text)))
        return None
    if isinstance(value, float) and math.isfinite(value):
        return _count(round(value))
    return _count(value)


# --- labels ------------------------------------------------------------------------------------


def _top(media_type: str) -> str:
    return media_type.split("/")[0]


def linked(enclosures: Iterable[Enclosure]) -> tuple[Enclosure, ...]:
    """The enclosures a page links to: all but images."""
    return tuple(e for e in enclosures if _top(e.type) not in NOT_LINKED)


def label(enclosure: Enclosure) -> str:
    """``Listen (MP3, 1:02:15, 45.3 MB)``, ``Watch (MP4)``, ``Attachment (PDF, 1.2 MB)``."""
    verb = VERBS.get(_top(enclosure.type), ATTACHMENT)
    details = [
        detail
        for detail in (
            _format(enclosure),
            clock(enclosure.duration) if enclosure.duration else "",
            size(enclosure.length) if enclosure.length else "",
        )
        if detail
    ]
    return f"{verb} ({', '.join(details)})" if details else verb


def _format(enclosure: Enclosure) -> str:
    if enclosure.type in _FORMATS:
        return _FORMATS[enclosure.type]
    extension = _EXTENSION.search(urlsplit(enclosure.url).path)
    if extension is not None and not extension.group(1).isdigit():
        return extension.group(1).upper()
    return ""


def clock(total: int) -> str:
    """``1:02:15`` from an hour on, ``45:30`` below."""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size(length: int) -> str:
    """Bytes in decimal units, as players and stores show them: ``45.3 MB``."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if length >= scale:
            return f"{length / scale:.1f} {unit}"
    return f"{length} bytes"
