"""Opening the SQLite file and holding its write lock: the settings every connection needs.

WAL mode (readers never wait for a writer, a killed process leaves the file consistent),
``foreign_keys`` on, ``synchronous = NORMAL`` (in WAL mode durable against process crashes; only
a power cut can lose the last transactions, never corrupt the file), a 30 s busy timeout and, on
top of it, a few retries for ``BEGIN IMMEDIATE`` when another process keeps the write lock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feed2book.errors import Feed2BookError
from feed2book.library import schema
from feed2book.library.records import decode, derived_fingerprint, series_key, series_name_key

BUSY_TIMEOUT = 30.0  # seconds SQLite waits for another process's write lock
LOCK_RETRIES = 4  # then this many more attempts, with a growing pause between them
CACHE_KIB = 64 * 1024  # page cache: big imports update their indexes in memory


class LibraryError(Feed2BookError):
    """The library cannot be opened or written (missing, not a library, newer, busy)."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode: transactions are explicit (``writing``)."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return db


def check_ours(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a library from a newer feed2book, and SQLite files that are not libraries."""
    found = schema.version(db)
    if found > schema.CURRENT_VERSION:
        raise LibraryError(
            f"{path}: written by a newer feed2book (library version {found}, this one reads "
            f"up to {schema.CURRENT_VERSION})",
            hint="upgrade feed2book",
        )
    tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    if found == 0 and tables:
        raise LibraryError(f"{path}: an SQLite database, but not a feed2book library")


@contextmanager
def writing(db: sqlite3.Connection, path: Path) -> Iterator[sqlite3.Connection]:
    """A write transaction: everything inside is stored, or (on any exception) nothing."""
    _begin_immediate(db, path)
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _begin_immediate(db: sqlite3.Connection, path: Path) -> None:
    for attempt in range(LOCK_RETRIES + 1):
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            text = str(error).lower()
            if ("locked" not in text and "busy" not in text) or attempt == LOCK_RETRIES:
                raise LibraryError(
                    f"{path}: the library is busy ({error})",
                    hint="another feed2book is writing to it; try again when it is done",
                ) from None
            time.sleep(0.1 * 2**attempt)


def refresh_derived(db: sqlite3.Connection, path: Path) -> None:
    """Recompute the stored series keys when the code that derives them has changed, so the
    SQL pre-filter (``query``) always agrees with series detection as it is now."""
    fingerprint = derived_fingerprint()
    row = db.execute("SELECT value FROM meta WHERE key = 'derived'").fetchone()
    if row and row[0] == fingerprint:
        return
    with writing(db, path):
        rows = db.execute(
            "SELECT a.id, a.revision_key, r.record FROM articles AS a "
            "JOIN revisions AS r ON r.article_id = a.id AND r.n = a.revision"
        ).fetchall()
        updates = []
        for article_id, revision_key, record in rows:
            article = decode(record, revision_key)
            updates.append((series_key(article.title), series_name_key(article), article_id))
        db.executemany(
            "UPDATE articles SET series_key = ?, series_name_key = ? WHERE id = ?", updates
        )
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('derived', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (fingerprint,),
        )
