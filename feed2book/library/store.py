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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import platformdirs

from feed2book.library import query, schema
from feed2book.library.connection import (
    LibraryError,
    WaitHandler,
    begin_immediate,
    check_ours,
    connect,
    derived_current,
    file_id,
    plain_error,
    refresh_derived,
    writing,
)
from feed2book.library.records import Damage, DamagedRecord, decode, decode_row, text_stamp
from feed2book.models import Article
from feed2book.select import Selection

if TYPE_CHECKING:
    # Imported when used: reading commands neither import, export nor check a library.
    from feed2book.library.check import CheckReport
    from feed2book.library.stats import LibraryStats
    from feed2book.library.transfer import ImportResult
    from feed2book.library.upsert import StoreResult
    from feed2book.parse.summary import FullTextMode

LIBRARY_ENV = "FEED2BOOK_LIBRARY"
ADD_HINT = "remember feeds with `feed2book add URL…`"
DamageHandler = Callable[[Damage], None]


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


def _readable(columns: Sequence[Any], on_damage: DamageHandler | None) -> Article | None:
    """The article a ``ROW_COLUMNS`` row holds; None for a damaged record, which is given to
    ``on_damage``."""
    article = decode_row(*columns)
    if isinstance(article, Damage):
        if on_damage is not None:
            on_damage(article)
        return None
    return article


class Library:
    """One open library file. Use ``Library.open``; close it (or use ``with``)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path,
        now: Callable[[], datetime],
        *,
        read_only: bool = False,
        on_wait: WaitHandler | None = None,
    ) -> None:
        self.db = db
        self.path = path
        self._now = now
        self.run = text_stamp(now())  # this process's run: the "seen at" of what it stores
        self.read_only = read_only
        self.on_wait = on_wait  # told when a write waits for another process's lock
        self._opened = file_id(path)  # every commit checks the path still names this file
        # A read-only library cannot recompute stale series keys (``refresh_derived``), so it
        # then loads every article and lets ``select`` do all the choosing.
        self._keys_current = not read_only or derived_current(db)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        now: Callable[[], datetime] = _utc_now,
        create: bool = True,
        read_only: bool = False,
        on_wait: WaitHandler | None = None,
    ) -> Library:
        """Open (or, with ``create``, create) the library at ``path``, migrating it if needed.

        ``read_only`` (for commands that only read) writes nothing at all, so a library on a
        read-only mount, or a file one may not write, can still be read and exported.
        """
        path = Path(path)
        if (read_only or not create) and not path.is_file():
            raise LibraryError(f"no library at {path}", hint=ADD_HINT)
        try:
            if create and not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            db = connect(path, read_only=read_only)
            try:
                check_ours(db, path)
                if not read_only:
                    schema.migrate(db, begin=lambda db: begin_immediate(db, path, on_wait))
                    refresh_derived(db, path, on_wait)
            except BaseException:
                db.close()  # nothing may keep the file open (a mount could not be unmounted)
                raise
        except LibraryError:
            raise
        except sqlite3.OperationalError as error:
            writable = os.access(path.parent, os.W_OK) and (
                not path.exists() or os.access(path, os.W_OK)
            )
            if not read_only and not writable:
                raise LibraryError(
                    f"{path}: the library is on a read-only file system or may not be written "
                    f"({error})",
                    hint="reading commands (list, jsonl, epub, markdown, library export) still "
                    "read it",
                ) from None
            raise LibraryError(f"{path}: cannot open the library ({error})") from None
        except sqlite3.DatabaseError as error:
            raise LibraryError(f"{path}: not a feed2book library ({error})") from None
        except OSError as error:
            raise LibraryError(f"{path}: cannot create the library ({error})") from None
        return cls(db, path, now, read_only=read_only, on_wait=on_wait)

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
        """A write transaction (waiting, and saying so through ``on_wait``, for another
        process's write lock; refused when the file was deleted or replaced meanwhile)."""
        if self.read_only:
            raise LibraryError(f"{self.path}: opened read-only, so nothing can be stored")
        with writing(self.db, self.path, on_wait=self.on_wait, opened=self._opened) as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot, whatever other processes write."""
        with self.plain_errors():
            self.db.execute("BEGIN")
            try:
                yield self.db
            finally:
                if self.db.in_transaction:
                    self.db.execute("COMMIT")

    @contextmanager
    def plain_errors(self) -> Iterator[None]:
        """SQLite's exceptions (a full disk, a damaged file, a value not UTF-8…) as one-line
        ``LibraryError`` messages naming the library."""
        try:
            yield
        except (sqlite3.Error, OverflowError) as error:
            raise plain_error(error, self.path) from None

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
        with self.plain_errors():
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
        from feed2book.library.upsert import store_articles  # writing: not for a rebuild

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
        from feed2book.parse.summary import FullTextMode

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
        if row is None:
            return None
        try:
            return decode(row[1], row[0])
        except DamagedRecord:  # a damaged page revision: the feed's text serves instead
            return None

    def store_pages(self, articles: Iterable[Article]) -> StoreResult:
        """Store articles completed from their pages as revisions (under their own sources)."""
        from feed2book.library.upsert import StoreResult, store_articles

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
        with self.plain_errors():
            row = self.db.execute(
                "SELECT url, etag, last_modified FROM fetch_state WHERE url = ?", (url,)
            ).fetchone()
        return FetchState(*row) if row else None

    def articles(
        self, selection: Selection | None = None, *, on_damage: DamageHandler | None = None
    ) -> Iterator[Article]:
        """The current revision of every stored article the selection *might* keep.

        A superset, pre-filtered in SQL by author, tag, series and date, and closed under
        revisions and series (see ``query``): give it to a ``pipeline.Collection`` and select
        there, and the result is the same as reading the same articles from files. A damaged
        record is left out and given to ``on_damage`` (once each); the others are still read.
        """
        sql, parameters = query.articles_sql(selection if self._keys_current else None)
        with self.reading() as db:
            for columns in db.execute(sql, parameters):
                if (article := _readable(columns, on_damage)) is not None:
                    yield article

    def reader(self) -> Library:
        """A second, read-only connection to this library that loads what this one would
        (``articles_by_row``): it may outlive this one."""
        other = Library.open(self.path, now=self._now, create=False, read_only=True)
        other._keys_current = self._keys_current
        return other

    def articles_by_row(
        self, selection: Selection | None = None, *, on_damage: DamageHandler | None = None
    ) -> Iterator[tuple[int, Article]]:
        """``articles``, each with the row its record is in (``article_at``). Starts a read
        transaction that lasts until the library is closed: ``article_at`` reads the same
        snapshot, whatever other processes write meanwhile."""
        sql, parameters = query.articles_sql(selection if self._keys_current else None, row=True)
        with self.plain_errors():
            if not self.db.in_transaction:
                self.db.execute("BEGIN")
            for row, *columns in self.db.execute(sql, parameters):
                if (article := _readable(columns, on_damage)) is not None:
                    yield row, article

    def article_at(self, row: int, revision_key: str) -> Article:
        """The article ``articles_by_row`` gave with ``row`` (and ``revision_key``), read
        again."""
        with self.plain_errors():
            found = self.db.execute(
                "SELECT CAST(record AS BLOB) FROM revisions WHERE rowid = ?", (row,)
            ).fetchone()
        return decode(found[0] if found else None, revision_key)

    def __len__(self) -> int:
        with self.plain_errors():
            return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def is_empty(self) -> bool:
        with self.plain_errors():
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
        with self.plain_errors():
            rows = self.db.execute(
                "SELECT DISTINCT article_id FROM build_articles JOIN builds ON builds.id = "
                "build_id WHERE book_key = ?",
                (book_key,),
            )
            return {row[0] for row in rows}

    # -- what it holds, and moving it ----------------------------------------------------------
    def stats(self) -> LibraryStats:
        from feed2book.library.stats import library_stats

        with self.reading() as db:
            return library_stats(db)

    def export_jsonl(
        self, write: Callable[[str], object], *, on_damage: DamageHandler | None = None
    ) -> int:
        """Every readable stored article as ``feed2book jsonl`` writes it; returns how many.
        Damaged records are left out and given to ``on_damage``."""
        from feed2book.library import transfer

        return transfer.export_jsonl(self, write, on_damage=on_damage)

    def import_jsonl(self, lines: Iterable[str | bytes], source_name: str) -> ImportResult:
        """Store feed2book JSON Lines (untrusted: cleaned again) as the source ``source_name``."""
        from feed2book.library import transfer

        return transfer.import_jsonl(self, lines, source_name)

    def check(self) -> CheckReport:
        """Integrity, foreign keys and every record decoded (``library check``)."""
        from feed2book.library.check import check_library

        with self.reading() as db:
            return check_library(db)

    def integrity_check(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])
