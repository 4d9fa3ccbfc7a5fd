"""Articles as the library stores them: one JSON record per revision, plus the keys SQL filters on.

A record is the ``writers.jsonl`` layout (the fields in ``STORED_FIELDS``), so what the library
holds is what ``feed2book jsonl`` writes. Records in the library were written by feed2book itself
from articles that were already cleaned, so ``decode`` rebuilds an ``Article`` directly, without
``parse.article_from_record`` (which re-cleans the HTML of untrusted input and costs ~1.5 ms an
article). The derived keys fold text exactly as ``select.Selection.matches`` does, so SQL can
pre-filter with the same meaning.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feed2book import identity
from feed2book import series as series_detection
from feed2book.identity import normalise_title
from feed2book.models import Article, Author, Enclosure, FeedInfo, SeriesRef
from feed2book.writers.jsonl import FIELDS, article_record, dumps

# Derived from the others (reading_minutes) or expensive and on demand (markdown, text).
STORED_FIELDS: tuple[str, ...] = tuple(
    name for name in FIELDS if name not in ("reading_minutes", "content_markdown", "text")
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode(article: Article) -> str:
    """The stored record: compact JSON, keys in schema order (the same article, the same text).

    ``enclosures`` is left out when there are none, ``content_source`` when it is ``feed`` and
    ``fetched`` when there is none: the record of such an article (and its content hash) stays
    what libraries written before those fields existed hold.
    """
    record = article_record(article, STORED_FIELDS)
    if not record["enclosures"]:
        del record["enclosures"]
    if record["content_source"] == "feed":  # likewise for full text from the feed
        del record["content_source"]
    if record["fetched"] is None:
        del record["fetched"]
    return dumps(record)


def content_hash(record: str) -> str:
    """What tells two copies of an article apart: any difference in any stored field."""
    return hashlib.sha256(record.encode("utf-8")).hexdigest()[:32]


def decode(record: str, revision_key: str) -> Article:
    """The ``Article`` a stored record holds (trusted: written by ``encode``)."""
    data = json.loads(record)
    feed = data["feed"]
    series = data["series"]
    updated = data["updated"]
    return Article(
        id=data["id"],
        url=data["url"],
        title=data["title"],
        authors=tuple(Author(author["name"], author["handle"]) for author in data["authors"]),
        published=datetime.fromisoformat(data["published"]),
        updated=datetime.fromisoformat(updated) if updated is not None else None,
        tags=tuple(data["tags"]),
        feed=FeedInfo(feed["title"], feed["url"], feed["site"]),
        language=data["language"],
        content_html=data["content_html"],
        word_count=data["word_count"],
        series=SeriesRef(series["name"], float(series["index"])) if series is not None else None,
        revision_key=revision_key,
        enclosures=tuple(
            Enclosure(e["url"], e["type"], e["length"], e["duration"])
            for e in data.get("enclosures", ())
        ),
        content_source=data.get("content_source", "feed"),
        fetched=datetime.fromisoformat(data["fetched"]) if data.get("fetched") else None,
    )


# --- keys for SQL ---------------------------------------------------------------------------


def micros(stamp: datetime) -> int:
    """A datetime as whole microseconds since the Unix epoch (exact, sortable, compact)."""
    return (stamp - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def text_stamp(stamp: datetime) -> str:
    """A fixed-width UTC time for bookkeeping columns; sorts as text in time order."""
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def author_key(wanted: str) -> str:
    """``--author`` as ``Selection`` compares it: no ``@``, case folded."""
    return wanted.strip().lstrip("@").casefold()


def tag_key(tag: str) -> str:
    """A tag as ``Selection`` compares it: case folded, no leading ``#``."""
    return tag.casefold().lstrip("#")


def series_key(title: str) -> str | None:
    """The normalised name of the series a title *might* belong to (``series.candidate``).

    Series detection compares these keys across articles, so the library keeps every article's
    key to find, in SQL, all the articles a detection might involve.
    """
    guess = series_detection.candidate(title)
    return normalise_title(guess.name) if guess is not None else None


def series_name_key(article: Article) -> str | None:
    """The normalised name of the series an article carries itself (from JSON Lines)."""
    return normalise_title(article.series.name) if article.series is not None else None


@dataclass(frozen=True, slots=True)
class Rank:
    """Which copy of an article is current: the one ``select`` would keep among copies seen
    together (updated last, then the longest), copies seen in a later run before earlier ones
    of the same date, and the first seen on a full tie."""

    stamp: int  # updated, else published (microseconds)
    seen_at: str  # the run that saw it last (text_stamp)
    size: int  # len(content_html)
    n: int  # revision number

    def beats(self, other: Rank) -> bool:
        mine = (self.stamp, self.seen_at, self.size, -self.n)
        return mine > (other.stamp, other.seen_at, other.size, -other.n)


def rank(article: Article, seen_at: str, n: int) -> Rank:
    return Rank(micros(article.updated or article.published), seen_at, len(article.content_html), n)


def derived_fingerprint() -> str:
    """Changes whenever the code that computes the stored keys changes (series detection, title
    normalisation), so a library opened by a newer feed2book recomputes them."""
    digest = hashlib.sha256()
    for module in (series_detection, identity):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]
