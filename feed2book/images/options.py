"""The values of the images stage: what to do with images, what one became, what happened.

No I/O here; the stage's own limits live in this file, the defaults it shares with other
stages (timeouts, sizes) in ``feed2book.defaults``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import platformdirs

from feed2book.defaults import DEADLINE, IMAGE_MAX_PX, MAX_IMAGE_BYTES, PER_HOST, RETRIES, TIMEOUT
from feed2book.defaults import MAX_REDIRECTS as MAX_REDIRECTS
from feed2book.sources.politeness import CONCURRENCY, Politeness

IMAGE_ACCEPT: Final = "image/jpeg,image/png,image/gif;q=0.8,*/*;q=0.5"
CACHE_DIR_ENV: Final = "FEED2BOOK_CACHE_DIR"  # feed2book's cache root; images go in "images/"
IMAGES_FOLDER: Final = "images"  # inside a book, and inside the cache root
NAME_HASH_LENGTH: Final = 16  # hex digits of sha256 in an embedded image's file name
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT: Final = 30.0  # seconds: a longer Retry-After is cut to this
BACKOFF_BASE: Final = 0.5  # seconds: the first retry waits this, then doubles
TRACKING_PIXEL_MAX_EDGE: Final = 2  # an image no larger than 2x2 only counts readers
# Pixels decoded at most (before any JPEG draft scaling): about 160 MB as RGBA.
MAX_DECODE_PIXELS: Final = 40_000_000
# Pixels decoded at once by all threads together: one image at the limit, or several smaller.
DECODE_PIXEL_BUDGET: Final = MAX_DECODE_PIXELS


class ImageMode(StrEnum):
    """``embed``: images go into the book; ``link``: remote addresses stay; ``none``: alt text."""

    EMBED = "embed"
    LINK = "link"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """How images are fetched and made fit for e-readers.

    ``deadline`` bounds one image in total (every attempt, wait and byte), so a server that
    trickles or keeps asking to retry cannot hold a build; ``timeout`` bounds each network
    operation. ``cache_dir`` ``None`` means :func:`default_cache_dir`. ``revalidate`` asks the
    server whether a cached image changed (``If-None-Match``/``If-Modified-Since``) instead of
    trusting the cache outright.
    """

    mode: ImageMode = ImageMode.EMBED
    max_px: int = IMAGE_MAX_PX  # longest edge
    grayscale: bool = False  # for e-ink
    jpeg_quality: int = 80
    max_bytes: int = MAX_IMAGE_BYTES  # per image, decoded bytes
    concurrency: int = CONCURRENCY
    per_host: int = PER_HOST  # politeness: at most this many requests at once per host
    timeout: float = TIMEOUT
    deadline: float = DEADLINE
    retries: int = RETRIES  # on 429/5xx and connection errors
    cache_dir: Path | None = None
    insecure: bool = False
    revalidate: bool = False

    def __post_init__(self) -> None:
        if self.max_px < 16:
            raise ValueError(f"max_px must be at least 16, not {self.max_px}")
        if not 1 <= self.jpeg_quality <= 95:
            raise ValueError(f"jpeg_quality must be between 1 and 95, not {self.jpeg_quality}")
        _ = self.politeness  # Politeness checks the download limits

    @property
    def politeness(self) -> Politeness:
        """How the images' downloads treat their servers."""
        return Politeness.of(self)

    @property
    def conversion_key(self) -> str:
        """The options that change converted bytes (a cache key part)."""
        return f"px={self.max_px};gray={int(self.grayscale)};q={self.jpeg_quality}"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$FEED2BOOK_CACHE_DIR/images`` when set, else the user cache dir's ``images``."""
    environ = os.environ if environ is None else environ
    root = environ.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir("feed2book")
    return Path(root) / IMAGES_FOLDER


@dataclass(frozen=True, slots=True)
class EmbeddedImage:
    """An image ready for a book: ``name`` is ``images/<16 hex of sha256(data)>.<ext>``, so
    identical images (after conversion) share one file."""

    name: str
    media_type: str
    data: bytes
    width: int
    height: int


@dataclass
class ImageStats:
    """What a resolver did; ``bytes_in`` counts what arrived, ``bytes_out`` what was kept."""

    downloaded: int = 0
    cached: int = 0
    converted: int = 0
    failed: int = 0
    dropped: int = 0  # tracking pixels
    bytes_in: int = 0
    bytes_out: int = 0

    def summary_line(self) -> str:
        """``images: 12 downloaded, 30 cached, 8 converted, 1 failed, 2.1 MB saved``."""
        parts = [
            f"{self.downloaded} downloaded",
            f"{self.cached} cached",
            f"{self.converted} converted",
            f"{self.failed} failed",
        ]
        if self.dropped:
            parts.append(f"{self.dropped} tracking pixels dropped")
        saved = self.bytes_in - self.bytes_out
        parts.append(f"{format_size(abs(saved))} {'saved' if saved >= 0 else 'added'}")
        return "images: " + ", ".join(parts)


def format_size(size: int) -> str:
    """``2.1 MB``, ``340 kB``, ``12 B`` (decimal units, as file managers show)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} kB"
    return f"{size} B"
