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
from typing import Any

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


class DamagedRecord(ValueError):
    """A stored record that cannot be read back (bad UTF-8, cut JSON, a field of the wrong type
    or missing): the message says what is wrong, in a few words."""


def decode(record: str | bytes | None, revision_key: object) -> Article:
    """The ``Article`` a stored record holds, or ``DamagedRecord`` saying what is wrong.

    Records are trusted to be clean (``encode`` wrote them), not to be intact: a disk error, a
    hand edit or another program can damage one, so every field's type is checked.
    """
    if record is None:
        raise DamagedRecord("the record is missing (NULL)")
    if not isinstance(revision_key, str):
        raise DamagedRecord(f"the revision key is {_kind(revision_key)}, not text")
    if isinstance(record, bytes):
        try:
            record = record.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DamagedRecord(f"the record is not valid UTF-8 (byte {error.start})") from None
    if not isinstance(record, str):
        raise DamagedRecord(f"the record is {_kind(record)}, not JSON text")
    try:
        data = json.loads(record)
    except json.JSONDecodeError as error:
        raise DamagedRecord(
            f"the record is not valid JSON (at character {error.pos} of {len(record)}: "
            f"{error.msg.lower()})"
        ) from None
    except RecursionError:
        raise DamagedRecord("the record is nested too deeply") from None
    if not isinstance(data, dict):
        raise DamagedRecord(f"the record is {_kind(data)}, not a JSON object")
    try:
        article = _built(data, revision_key)
    except (KeyError, TypeError, ValueError, AttributeError):
        article = None
    if article is not None and _well_typed(article, data):
        return article
    return _checked(data, revision_key)  # raises ``DamagedRecord`` naming the field


def _built(data: dict[str, Any], revision_key: str) -> Article:
    """The article, built as fast as a sound record allows (types checked after)."""
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


def _well_typed(article: Article, data: dict[str, Any]) -> bool:
    feed, series = article.feed, article.series
    return (
        type(article.id) is str
        and type(article.url) is str
        and type(article.title) is str
        and type(article.language) is str
        and type(article.content_html) is str
        and type(article.word_count) is int
        and type(data["authors"]) is list
        and type(data["tags"]) is list
        and all(type(a.name) is str and type(a.handle) is str for a in article.authors)
        and all(type(tag) is str for tag in article.tags)
        and type(feed.title) is str
        and type(feed.url) is str
        and type(feed.site) is str
        and article.published.tzinfo is not None
        and (article.updated is None or article.updated.tzinfo is not None)
        and (series is None or (type(series.name) is str and _is_number(data["series"]["index"])))
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _checked(data: dict[str, Any], revision_key: str) -> Article:
    """The article, every field checked on the way: the first surprise is a ``DamagedRecord``
    saying which field is wrong and how."""
    fields = _Fields(data)
    feed = fields.mapping("feed")
    series = fields.mapping("series") if data.get("series") is not None else None
    return Article(
        id=fields.text("id"),
        url=fields.text("url"),
        title=fields.text("title"),
        authors=tuple(
            Author(author.text("name"), author.text("handle"))
            for author in (_Fields(item, "authors[]") for item in fields.items("authors", dict))
        ),
        published=fields.stamp("published"),
        updated=fields.stamp("updated") if data.get("updated") is not None else None,
        tags=tuple(fields.items("tags", str)),
        feed=FeedInfo(feed.text("title"), feed.text("url"), feed.text("site")),
        language=fields.text("language"),
        content_html=fields.text("content_html"),
        word_count=fields.number("word_count"),
        series=SeriesRef(series.text("name"), series.real("index")) if series else None,
        revision_key=revision_key,
    )


# What the loading queries select for each article (``ROW_COLUMNS``): the id, revision number,
# revision key and record as bytes, so a value that is not valid UTF-8 (or not text at all)
# reaches ``decode_row`` instead of failing the whole query.
ROW_COLUMNS = "CAST(a.id AS BLOB), a.revision, CAST(a.revision_key AS BLOB), CAST(r.record AS BLOB)"


@dataclass(frozen=True, slots=True)
class Damage:
    """One stored record that cannot be read: which article, which revision, what is wrong."""

    article_id: str
    revision: object  # revisions.n (an int, unless that is damaged too)
    reason: str

    def __str__(self) -> str:
        return (
            f"the library's article {self.article_id!r} (revision {self.revision}) is damaged "
            f"and was left out: {self.reason}"
        )


def decode_row(
    article_id: bytes | None, revision: object, revision_key: bytes | None, record: bytes | None
) -> Article | Damage:
    """The article a ``ROW_COLUMNS`` row holds, or the ``Damage`` that keeps it from being read."""
    name = article_name(article_id)
    try:
        if revision_key is None:
            raise DamagedRecord("the revision key is missing (NULL)")
        try:
            key = revision_key.decode("utf-8")
        except UnicodeDecodeError:
            raise DamagedRecord("the revision key is not valid UTF-8") from None
        return decode(record, key)
    except DamagedRecord as damage:
        return Damage(name, revision, str(damage))


def article_name(article_id: bytes | None) -> str:
    """A stored article id as text, whatever bytes it holds (for messages)."""
    return article_id.decode("utf-8", "backslashreplace") if article_id is not None else "?"


class _Fields:
    """Typed access to a decoded JSON object; any surprise is a ``DamagedRecord``."""

    def __init__(self, data: object, name: str = "") -> None:
        if not isinstance(data, dict):
            raise DamagedRecord(f"field {name!r} is {_kind(data)}, not an object")
        self.data: dict[str, Any] = data
        self.prefix = f"{name}." if name else ""

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise DamagedRecord(f"field '{self.prefix}{key}' is missing")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise DamagedRecord(f"field '{self.prefix}{key}' is {_kind(value)}, not text")
        return value

    def number(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise DamagedRecord(f"field '{self.prefix}{key}' is {_kind(value)}, not a whole number")
        return value

    def real(self, key: str) -> float:
        value = self._get(key)
        if not _is_number(value):
            raise DamagedRecord(f"field '{self.prefix}{key}' is {_kind(value)}, not a number")
        return float(value)

    def stamp(self, key: str) -> datetime:
        text = self.text(key)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise DamagedRecord(
                f"field '{self.prefix}{key}' is not a date ({text[:40]!r})"
            ) from None
        if value.tzinfo is None:
            raise DamagedRecord(f"field '{self.prefix}{key}' has no time zone ({text[:40]!r})")
        return value

    def mapping(self, key: str) -> _Fields:
        return _Fields(self._get(key), f"{self.prefix}{key}")

    def items(self, key: str, kind: type) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(item, kind) for item in value):
            what = "objects" if kind is dict else "text"
            raise DamagedRecord(f"field '{self.prefix}{key}' is not a list of {what}")
        return value


def _kind(value: object) -> str:
    """A JSON value's type, as a person says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


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
