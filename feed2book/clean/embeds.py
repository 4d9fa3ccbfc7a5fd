"""Embedded players and widgets, turned into something a reader can follow: a labelled link.

A book cannot play an iframe, and feedparser's own sanitiser deletes them silently, so every
iframe, object, embed, video, audio and embed script becomes ``Embed(label, url)``; ``clean.py``
renders it as a figure (or an inline link inside a paragraph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from feed2book.clean.rules import safe_url

_YOUTUBE_ID = re.compile(r"/(?:embed|v|shorts|e)/([A-Za-z0-9_-]{6,})")
_VIMEO_ID = re.compile(r"/video/(\d+)")
_GIST = re.compile(r"^(https://gist\.github\.com/[^?#]+?)(?:\.js)?(?:[?#].*)?$")

# Host suffix (and path prefix) -> what the embed was and whose: the label says what to do.
_KINDS: Final[tuple[tuple[str, str, str], ...]] = (
    ("youtube.com", "video", "YouTube"), ("youtube-nocookie.com", "video", "YouTube"),
    ("youtu.be", "video", "YouTube"), ("vimeo.com", "video", "Vimeo"),
    ("dailymotion.com", "video", "Dailymotion"), ("twitch.tv", "video", "Twitch"),
    ("loom.com", "video", "Loom"), ("wistia.com", "video", "Wistia"),
    ("wistia.net", "video", "Wistia"), ("ted.com", "video", "TED"),
    ("streamable.com", "video", "Streamable"), ("bilibili.com", "video", "Bilibili"),
    ("soundcloud.com", "audio", "SoundCloud"), ("podcasters.spotify.com", "audio", "Spotify"),
    ("spotify.com", "audio", "Spotify"), ("anchor.fm", "audio", "Anchor"),
    ("bandcamp.com", "audio", "Bandcamp"),
    ("codepen.io", "view", "CodePen"), ("codesandbox.io", "view", "CodeSandbox"),
    ("jsfiddle.net", "view", "JSFiddle"), ("stackblitz.com", "view", "StackBlitz"),
    ("replit.com", "view", "Replit"), ("gist.github.com", "view", "GitHub Gist"),
    ("twitter.com", "view", "X"), ("x.com", "view", "X"),
    ("google.com/maps", "view", "Google Maps"), ("maps.google.com", "view", "Google Maps"),
    ("openstreetmap.org", "view", "OpenStreetMap"), ("slideshare.net", "view", "SlideShare"),
    ("speakerdeck.com", "view", "Speaker Deck"), ("docs.google.com", "view", "Google Docs"),
)  # fmt: skip
_ACTIONS: Final = {"video": "▶ Watch on {}", "audio": "▶ Listen on {}", "view": "View on {}"}
_UNKNOWN: Final = {"video": "▶ Video", "audio": "▶ Audio"}

# iframe titles that say nothing about the content.
_GENERIC_TITLES: Final = frozenset(
    {"youtube video player", "vimeo video player", "embedded content", "embed", "iframe",
     "video", "player", ""}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Embed:
    """What an embed pointed at, as a link: ``label`` is the visible text."""

    label: str
    url: str


def embed_for(element: etree._Element, base: str | None) -> Embed | None:
    """The link that stands in for an iframe/object/embed/video/audio element, if any."""
    tag = element.tag
    raw = element.get("src") or element.get("data-src") or element.get("data") or ""
    if tag == "object" or (tag in {"video", "audio"} and not raw):
        raw = raw or _nested_source(element)
    url = safe_url(raw, base) if raw else None
    if url is None or url.startswith("#"):
        return None
    url = canonical_url(url)
    title = " ".join((element.get("title") or "").split())
    return Embed(embed_label(url, title, str(tag)), url)


def embed_label(url: str, title: str = "", tag: str = "iframe") -> str:
    """What a reader sees for an embed: the provider and the title when the markup has one,
    "▶ Watch on YouTube: Product Catalog Service", else the address to look up,
    "▶ Watch on YouTube: youtube.com/watch?v=…"; "Embedded content: <url>" when unknown."""
    shown = title if title.lower() not in _GENERIC_TITLES else ""
    known = _kind(url)
    if known is not None:
        kind, provider = known
        return f"{_ACTIONS[kind].format(provider)}: {shown or _short(url)}"
    return f"{_UNKNOWN.get(tag, 'Embedded content')}: {shown or url}"


def _short(url: str) -> str:
    """``url`` as a person writes it: no scheme, no ``www.``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    rest = url.split(parts.netloc, 1)[1] if parts.netloc else url
    return host + rest if host else url


def script_embed(element: etree._Element, base: str | None) -> Embed | None:
    """A gist (``<script src=gist.github.com/...js>``) as a link; other scripts give None."""
    url = safe_url(element.get("src") or "", base)
    match = _GIST.match(url or "")
    return Embed(embed_label(match.group(1)), match.group(1)) if match else None


def codepen_embed(element: etree._Element) -> Embed | None:
    """CodePen's ``<p class="codepen" data-slug-hash=... data-user=...>`` as a link."""
    slug, user = element.get("data-slug-hash"), element.get("data-user") or "anon"
    if not slug or not re.fullmatch(r"[\w-]+", slug) or not re.fullmatch(r"[\w-]+", user):
        return None
    url = f"https://codepen.io/{user}/pen/{slug}"
    return Embed(embed_label(url), url)


def canonical_url(url: str) -> str:
    """The address a person would open: YouTube's watch page, Vimeo's video page."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.endswith(("youtube.com", "youtube-nocookie.com")):
        match = _YOUTUBE_ID.search(parts.path)
        if match:
            return f"https://www.youtube.com/watch?v={match.group(1)}"
    if host == "player.vimeo.com":
        match = _VIMEO_ID.search(parts.path)
        if match:
            secret = parse_qs(parts.query).get("h", [""])[0]
            suffix = f"/{secret}" if re.fullmatch(r"[0-9a-f]+", secret) else ""
            return f"https://vimeo.com/{match.group(1)}{suffix}"
    return url


def _kind(url: str) -> tuple[str, str] | None:
    """``(kind, provider)`` of a known embed's address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    for pattern, kind, provider in _KINDS:
        pattern_host, _, pattern_path = pattern.partition("/")
        if (host == pattern_host or host.endswith("." + pattern_host)) and parts.path.startswith(
            "/" + pattern_path
        ):
            return kind, provider
    return None


def _nested_source(element: etree._Element) -> str:
    for child in element.iter("source", "embed", "param"):
        if child.tag == "param":
            if (child.get("name") or "").lower() in {"movie", "src", "url"}:
                return child.get("value") or ""
        elif child.get("src"):
            return child.get("src") or ""
    return ""
