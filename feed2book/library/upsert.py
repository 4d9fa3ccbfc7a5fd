"""Storing a batch of articles: upsert by id, a new revision for every changed copy.

The decisions are made in Python over what the library already knows of the batch's ids (one
query per chunk), then written with ``executemany``: this is also the bulk path. The caller holds
the write transaction.

- An id never seen: a new article (revision 1).
- A copy identical to a known revision: unchanged (that revision is marked as seen by this run).
- A copy that differs from every known revision: a new revision, kept forever; it becomes the
  current one when it ranks first (``records.Rank``: updated last, then seen last, then longest).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from feed2book.library.records import (
    Rank,
    content_hash,
    encode,
    micros,
    rank,
    series_key,
    series_name_key,
    tag_key,
)
from feed2book.models import Article

_CHUNK = 500  # ids per query: well under SQLite's limit on bound variables


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What storing one source's articles changed."""

    new: int = 0  # ids the library had never seen
    updated: int = 0  # changed copies of known articles (each kept as a revision)
    unchanged: int = 0  # copies identical to a revision the library holds

    def __add__(self, other: StoreResult) -> StoreResult:
        return StoreResult(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)


@dataclass
class _Known:
    current: int
    ranks: dict[str, Rank] = field(default_factory=dict)  # by content hash

    @property
    def current_rank(self) -> Rank:
        return next(r for r in self.ranks.values() if r.n == self.current)

    @property
    def last_n(self) -> int:
        return max(r.n for r in self.ranks.values())


@dataclass
class _Plan:
    """The rows one chunk writes."""

    new_ids: set[str] = field(default_factory=set)
    current: dict[str, tuple[Article, str, int]] = field(default_factory=dict)  # id -> row
    revisions: list[tuple[object, ...]] = field(default_factory=list)
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0


def store_articles(
    db: sqlite3.Connection, source: str, articles: Iterable[Article], seen_at: str
) -> StoreResult:
    """Upsert ``articles`` (in chunks, inside the caller's transaction)."""
    total = StoreResult()
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) >= _CHUNK:
            total += _store_chunk(db, source, chunk, seen_at)
            chunk = []
    if chunk:
        total += _store_chunk(db, source, chunk, seen_at)
    return total


def _store_chunk(
    db: sqlite3.Connection, source: str, articles: Sequence[Article], seen_at: str
) -> StoreResult:
    known = _known(db, sorted({article.id for article in articles}))
    plan = _Plan()
    for article in articles:
        _decide(article, known, plan, seen_at)
    _write(db, plan, seen_at)
    db.executemany(
        "INSERT OR IGNORE INTO article_sources (article_id, source) VALUES (?, ?)",
        [(article_id, source) for article_id in sorted({a.id for a in articles})],
    )
    return StoreResult(plan.new, plan.updated, plan.unchanged)


def _known(db: sqlite3.Connection, ids: list[str]) -> dict[str, _Known]:
    known: dict[str, _Known] = {}
    if not ids:
        return known
    marks = ",".join("?" * len(ids))
    for article_id, revision in db.execute(
        f"SELECT id, revision FROM articles WHERE id IN ({marks})", ids
    ):
        known[article_id] = _Known(revision)
    for article_id, n, digest, stamp, size, seen_at in db.execute(
        "SELECT article_id, n, content_hash, stamp, size, seen_at FROM revisions "
        f"WHERE article_id IN ({marks})",
        ids,
    ):
        known[article_id].ranks[digest] = Rank(stamp, seen_at, size, n)
    return known


def _decide(article: Article, known: dict[str, _Known], plan: _Plan, seen_at: str) -> None:
    record = encode(article)
    digest = content_hash(record)
    state = known.get(article.id)
    if state is None:
        mine = rank(article, seen_at, 1)
        known[article.id] = _Known(1, {digest: mine})
        plan.new_ids.add(article.id)
        plan.current[article.id] = (article, digest, 1)
        plan.revisions.append(_revision_row(article.id, mine, digest, record))
        plan.new += 1
        return
    seen = state.ranks.get(digest)
    if seen is not None:  # a copy the library holds: unchanged, unless it now ranks first
        if seen.seen_at != seen_at:
            seen = state.ranks[digest] = replace(seen, seen_at=seen_at)
            plan.seen.append((seen_at, article.id, seen.n))
        if seen.n != state.current and seen.beats(state.current_rank):
            state.current = seen.n
            plan.current[article.id] = (article, digest, seen.n)
            plan.updated += 1
        else:
            plan.unchanged += 1
        return
    mine = rank(article, seen_at, state.last_n + 1)
    plan.revisions.append(_revision_row(article.id, mine, digest, record))
    if mine.beats(state.current_rank):
        plan.current[article.id] = (article, digest, mine.n)
        state.current = mine.n
    state.ranks[digest] = mine
    plan.updated += 1


def _revision_row(article_id: str, mine: Rank, digest: str, record: str) -> tuple[object, ...]:
    return (article_id, mine.n, digest, record, mine.stamp, mine.size, mine.seen_at)


def _article_row(article: Article, digest: str, n: int) -> tuple[object, ...]:
    return (
        n,
        article.url,
        article.title,
        micros(article.published),
        micros(article.updated) if article.updated is not None else None,
        article.revision_key,
        series_key(article.title),
        series_name_key(article),
        article.feed.url,
        article.feed.title,
        article.language,
        article.word_count,
        digest,
        article.id,
    )


_COLUMNS = (
    "revision, url, title, published, updated, revision_key, series_key, series_name_key, "
    "feed_url, feed_title, language, word_count, content_hash"
)


def _write(db: sqlite3.Connection, plan: _Plan, seen_at: str) -> None:
    inserted = [(*_article_row(*plan.current[i]), seen_at) for i in sorted(plan.new_ids)]
    db.executemany(
        f"INSERT INTO articles ({_COLUMNS}, id, first_seen) VALUES ({'?, ' * 14}?)", inserted
    )
    db.executemany(
        "INSERT INTO revisions (article_id, n, content_hash, record, stamp, size, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        plan.revisions,
    )
    replaced = [i for i in sorted(plan.current) if i not in plan.new_ids]
    assignments = ", ".join(f"{name.strip()} = ?" for name in _COLUMNS.split(","))
    db.executemany(
        f"UPDATE articles SET {assignments} WHERE id = ?",
        [_article_row(*plan.current[i]) for i in replaced],
    )
    db.executemany("UPDATE revisions SET seen_at = ? WHERE article_id = ? AND n = ?", plan.seen)
    for table in ("article_authors", "article_tags"):
        db.executemany(f"DELETE FROM {table} WHERE article_id = ?", [(i,) for i in replaced])
    current = [plan.current[i][0] for i in sorted(plan.current)]
    db.executemany(
        "INSERT INTO article_authors (article_id, position, handle, name, handle_key, name_key) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                a.id,
                position,
                author.handle,
                author.name,
                author.handle.casefold(),
                author.name.casefold(),
            )
            for a in current
            for position, author in enumerate(a.authors)
        ],
    )
    db.executemany(
        "INSERT OR IGNORE INTO article_tags (article_id, tag_key) VALUES (?, ?)",
        [(a.id, key) for a in current for key in sorted({tag_key(tag) for tag in a.tags})],
    )
