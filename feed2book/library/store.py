"""The ``Library``: every article feed2book has seen, in one SQLite file.

    with Library.open(default_library_path()) as library:
        library.add_source("https://dev.to/feed/ben", "url")
        library.store("https://dev.to/feed/ben", articles)
        for article in library.articles(Selection(authors=("ben",))):
            ...

SQLite in WAL mode (see ``connection``) and one ``BEGIN IMMEDIATE`` transaction per ``store``
call: a process killed at any moment leaves every source's articles stored fully or not at all.
Removing a source forgets the source; its articles stay (a book of last year keeps its chapters
when a feed is dropped).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import platformdirs

from feed2book.library import query, schema, transfer
from feed2book.library.connection import (
    LibraryError,
    check_ours,
    connect,
    refresh_derived,
    writing,
)
from feed2book.library.records import decode, text_stamp
from feed2book.library.stats import LibraryStats, library_stats
from feed2book.library.upsert import StoreResult, store_articles
from feed2book.models import Article
from feed2book.select import Selection

if TYPE_CHECKING:
    from feed2book.fulltext.detect import FullTextMode

LIBRARY_ENV = "FEED2BOOK_LIBRARY"
ADD_HINT = "remember feeds with `feed2book add URL…`"


def default_library_path() -> Path:
    """``$FEED2BOOK_LIBRARY``, else ``library.sqlite3`` in the user data directory."""
    configured = os.environ.get(LIBRARY_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_data_path("feed2book") / "library.sqlite3"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FetchState:
    """The validators a server gave for a feed URL, for the next conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class SourceInfo:
    spec: str
    kind: str
    added: str
    last_synced: str | None
    last_status: str | None
    last_error: str | None
    last_new: int
    last_updated: int
    last_unchanged: int
    articles: int  # how many articles this source brought (ever)


class Library:
    """One open library file. Use ``Library.open``; close it (or use ``with``)."""

    def __init__(self, db: sqlite3.Connection, path: Path, now: Callable[[], datetime]) -> None:
        self.db = db
        self.path = path
        self._now = now
        self.run = text_stamp(now())  # this process's run: the "seen at" of what it stores

    @classmethod
    def open(
        cls, path: Path, *, now: Callable[[], datetime] = _utc_now, create: bool = True
    ) -> Library:
        """Open (or, with ``create``, create) the library at ``path``, migrating it if needed."""
        path = Path(path)
        if not create and not path.is_file():
            raise LibraryError(f"no library at {path}", hint=ADD_HINT)
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            db = connect(path)
            check_ours(db, path)
            schema.migrate(db)
            refresh_derived(db, path)
        except sqlite3.OperationalError as error:
            raise LibraryError(f"{path}: cannot open the library ({error})") from None
        except sqlite3.DatabaseError as error:
            raise LibraryError(f"{path}: not a feed2book library ({error})") from None
        except OSError as error:
            raise LibraryError(f"{path}: cannot create the library ({error})") from None
        return cls(db, path, now)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (waiting for, then retrying, another process's write lock)."""
        with writing(self.db, self.path) as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot, whatever other processes write."""
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            self.db.execute("COMMIT")

    # -- sources --------------------------------------------------------------------------------
    def add_source(self, spec: str, kind: str) -> bool:
        """Remember a source; False when it was already remembered (its kind is updated)."""
        with self.writing() as db:
            if db.execute("SELECT 1 FROM sources WHERE spec = ?", (spec,)).fetchone():
                db.execute("UPDATE sources SET kind = ? WHERE spec = ?", (kind, spec))
                return False
            db.execute(
                "INSERT INTO sources (spec, kind, added) VALUES (?, ?, ?)",
                (spec, kind, text_stamp(self._now())),
            )
            return True

    def remove_source(self, spec: str) -> bool:
        """Forget a source; its articles stay. False when it was not remembered."""
        with self.writing() as db:
            db.execute("DELETE FROM article_sources WHERE source = ?", (spec,))
            return db.execute("DELETE FROM sources WHERE spec = ?", (spec,)).rowcount > 0

    def sources(self) -> list[SourceInfo]:
        """Every remembered source, in the order added."""
        rows = self.db.execute(
            "SELECT s.spec, kind, added, last_synced, last_status, last_error, last_new, "
            "last_updated, last_unchanged, "
            "(SELECT COUNT(*) FROM article_sources AS x WHERE x.source = s.spec) "
            "FROM sources AS s ORDER BY added, spec"
        )
        return [SourceInfo(*row) for row in rows]

    # -- articles -------------------------------------------------------------------------------
    def store(
        self,
        source: str,
        articles: Iterable[Article],
        *,
        fetch_states: Iterable[FetchState] = (),
        error: str | None = None,
    ) -> StoreResult:
        """Store what one source gave, in one transaction, with its fetch validators and (for a
        remembered source) its sync status: ``failed`` when ``error``, else ``ok``/``unchanged``.
        """
        with self.writing() as db:
            result = store_articles(db, source, articles, self.run)
            db.executemany(
                "INSERT INTO fetch_state (url, etag, last_modified, checked) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, checked = excluded.checked",
                [(s.url, s.etag, s.last_modified, self.run) for s in fetch_states],
            )
            status = "failed" if error else "ok" if result.changed else "unchanged"
            db.execute(
                "UPDATE sources SET last_synced = ?, last_status = ?, last_error = ?, "
                "last_new = ?, last_updated = ?, last_unchanged = ? WHERE spec = ?",
                (
                    text_stamp(self._now()),
                    status,
                    error,
                    result.new,
                    result.updated,
                    result.unchanged,
                    source,
                ),
            )
        return result

    # -- full text (feed2book.fulltext) ---------------------------------------------------------
    def set_full_text(self, spec: str, mode: str | None) -> None:
        """Remember how ``spec``'s articles get their pages' text (None: the run decides)."""
        with self.writing() as db:
            db.execute("UPDATE sources SET full_text = ? WHERE spec = ?", (mode, spec))

    def full_text_mode(self, article_id: str) -> FullTextMode | None:
        """The full-text mode remembered for a source of the article, if any (``always``
        before ``auto`` before ``never`` when its sources differ)."""
        from feed2book.fulltext.detect import FullTextMode

        rows = self.db.execute(
            "SELECT s.full_text FROM article_sources AS a JOIN sources AS s ON s.spec = a.source "
            "WHERE a.article_id = ? AND s.full_text IS NOT NULL",
            (article_id,),
        )
        modes = {str(row[0]) for row in rows}
        for mode in (FullTextMode.ALWAYS, FullTextMode.AUTO, FullTextMode.NEVER):
            if mode.value in modes:
                return mode
        return None

    def stored_page(self, article_id: str) -> Article | None:
        """The newest revision of the article whose text came from its page, if any."""
        row = self.db.execute(
            "SELECT a.revision_key, r.record FROM revisions AS r JOIN articles AS a "
            "ON a.id = r.article_id WHERE r.article_id = ? "
            "AND json_extract(r.record, '$.content_source') = 'page' ORDER BY r.n DESC LIMIT 1",
            (article_id,),
        ).fetchone()
        return decode(row[1], row[0]) if row else None

    def store_pages(self, articles: Iterable[Article]) -> StoreResult:
        """Store articles completed from their pages as revisions (under their own sources)."""
        total = StoreResult()
        with self.writing() as db:
            for article in articles:
                row = db.execute(
                    "SELECT source FROM article_sources WHERE article_id = ? ORDER BY source "
                    "LIMIT 1",
                    (article.id,),
                ).fetchone()
                if row is not None:  # only articles the library holds
                    total += store_articles(db, str(row[0]), [article], self.run)
        return total

    def fetch_state(self, url: str) -> FetchState | None:
        row = self.db.execute(
            "SELECT url, etag, last_modified FROM fetch_state WHERE url = ?", (url,)
        ).fetchone()
        return FetchState(*row) if row else None

    def articles(self, selection: Selection | None = None) -> Iterator[Article]:
        """The current revision of every stored article the selection *might* keep.

        A superset, pre-filtered in SQL by author, tag, series and date, and closed under
        revisions and series (see ``query``): give it to a ``pipeline.Collection`` and select
        there, and the result is the same as reading the same articles from files.
        """
        sql, parameters = query.articles_sql(selection)
        with self.reading() as db:
            for revision_key, record in db.execute(sql, parameters):
                yield decode(record, revision_key)

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def is_empty(self) -> bool:
        return self.db.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None

    # -- builds (--new) -------------------------------------------------------------------------
    def record_build(self, book_key: str, article_ids: Iterable[str]) -> None:
        with self.writing() as db:
            build = db.execute(
                "INSERT INTO builds (book_key, built_at) VALUES (?, ?)",
                (book_key, text_stamp(self._now())),
            ).lastrowid
            db.executemany(
                "INSERT OR IGNORE INTO build_articles (build_id, article_id) VALUES (?, ?)",
                [(build, article_id) for article_id in article_ids],
            )

    def built_article_ids(self, book_key: str) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT article_id FROM build_articles JOIN builds ON builds.id = build_id "
            "WHERE book_key = ?",
            (book_key,),
        )
        return {row[0] for row in rows}

    # -- what it holds, and moving it ----------------------------------------------------------
    def stats(self) -> LibraryStats:
        with self.reading() as db:
            return library_stats(db)

    def export_jsonl(self, write: Callable[[str], object]) -> int:
        """Every stored article as ``feed2book jsonl`` writes it; returns how many."""
        return transfer.export_jsonl(self, write)

    def import_jsonl(self, lines: Iterable[str | bytes], source_name: str) -> transfer.ImportResult:
        """Store feed2book JSON Lines (untrusted: cleaned again) as the source ``source_name``."""
        return transfer.import_jsonl(self, lines, source_name)

    def integrity_check(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])
