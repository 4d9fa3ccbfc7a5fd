"""Opening the SQLite file and holding its write lock: the settings every connection needs.

WAL mode (readers never wait for a writer, a killed process leaves the file consistent),
``foreign_keys`` on, ``synchronous = NORMAL`` (in WAL mode durable against process crashes; only
a power cut can lose the last transactions, never corrupt the file), and a busy timeout (30 s,
or ``$FEED2BOOK_BUSY_TIMEOUT``) for another process's write lock: a writer that has to wait says
so after half a second, and gives up with a one-line error when the timeout has passed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from feed2book.defaults import BUSY_TIMEOUT
from feed2book.errors import Feed2BookError
from feed2book.library import schema
from feed2book.library.records import (
    ROW_COLUMNS,
    Damage,
    decode_row,
    derived_fingerprint,
    series_key,
    series_name_key,
)

BUSY_TIMEOUT_ENV = "FEED2BOOK_BUSY_TIMEOUT"
CACHE_KIB = 64 * 1024  # page cache: big imports update their indexes in memory


class LibraryError(Feed2BookError):
    """The library cannot be opened or written (missing, not a library, newer, busy)."""


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode: transactions are explicit (``writing``).

    ``read_only`` opens it with ``mode=ro`` (nothing is written, not even the journal mode),
    and with ``immutable=1`` too when its directory is not writable (a read-only mount: SQLite
    could not create the lock and shared-memory files WAL readers need).
    """
    if read_only:
        uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
        if not os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
            uri += "&immutable=1"
        db = sqlite3.connect(uri, uri=True, timeout=busy_timeout(), isolation_level=None)
    else:
        db = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout() * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except BaseException:
        db.close()
        raise
    return db


def busy_timeout() -> float:
    """Seconds to wait for another process's write lock: ``$FEED2BOOK_BUSY_TIMEOUT``, else 30."""
    configured = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    try:
        value = float(configured) if configured else BUSY_TIMEOUT
    except ValueError:
        raise LibraryError(
            f"{BUSY_TIMEOUT_ENV}={configured!r} is not a number of seconds",
            hint=f"for example {BUSY_TIMEOUT_ENV}=60",
        ) from None
    if not 0 <= value <= 86400 or value != value:
        raise LibraryError(f"{BUSY_TIMEOUT_ENV}={configured!r} must be 0 to 86400 seconds")
    return value


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


WaitHandler = Callable[[str], None]
FileId = tuple[int, int]  # (st_dev, st_ino): which file a path names
WAIT_NOTICE = 0.5  # seconds of waiting for the write lock before saying so


class LibraryGone(LibraryError):
    """The library file was deleted or replaced while this process had it open."""


def file_id(path: Path) -> FileId | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


@contextmanager
def writing(
    db: sqlite3.Connection,
    path: Path,
    *,
    on_wait: WaitHandler | None = None,
    opened: FileId | None = None,
) -> Iterator[sqlite3.Connection]:
    """A write transaction: everything inside is stored, or (on any exception) nothing.

    With ``opened`` (the ``file_id`` of the library when it was opened), the commit is refused
    when ``path`` no longer names that file: SQLite would "store" into a deleted file.
    """
    begin_immediate(db, path, on_wait)
    try:
        yield db
        if opened is not None and file_id(path) != opened:
            raise LibraryGone(
                f"{path}: the library file was deleted or replaced while feed2book was writing "
                "to it; nothing of this change was stored",
                hint="run the command again to write to the library now at that path",
            )
        db.execute("COMMIT")
    except BaseException as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error | OverflowError):
            raise plain_error(error, path) from None
        raise


def plain_error(error: sqlite3.Error | OverflowError | OSError, path: Path) -> LibraryError:
    """What went wrong with the library, in a sentence (SQLite's own words stay in brackets)."""
    text = str(error)
    lowered = text.lower()
    if isinstance(error, OverflowError):
        return LibraryError(f"{path}: a number too large for the library was not stored ({text})")
    if isinstance(error, OSError):
        reason = error.strerror or text
        return LibraryError(f"{path}: the library file cannot be used ({reason})")
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return LibraryError(
            f"{path}: the disk holding the library is full; nothing of this change was stored",
            hint="free some space and run the command again",
        )
    if "readonly" in lowered or "read-only" in lowered:
        return LibraryError(
            f"{path}: the library is read-only here; nothing was stored",
            hint="reading commands still work; write on a writable copy",
        )
    if "disk i/o error" in lowered:
        return LibraryError(
            f"{path}: the disk reported an error while the library was written; "
            "nothing of this change was stored",
            hint="check the disk, then `feed2book library check`",
        )
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return LibraryError(
            f"{path}: the library file is damaged ({text})",
            hint="`feed2book library check` shows what is readable; `library export` saves it",
        )
    if "could not decode" in lowered:
        return LibraryError(
            f"{path}: a stored value is not valid UTF-8 ({text})",
            hint="`feed2book library check` lists the damaged rows; "
            "`library export` saves the rest",
        )
    if "unable to open" in lowered:
        return LibraryError(f"{path}: the library file cannot be opened ({text})")
    if "locked" in lowered or "busy" in lowered:
        return LibraryError(f"{path}: the library is locked by another process ({text})")
    return LibraryError(f"{path}: the library could not be used ({text})")


def begin_immediate(db: sqlite3.Connection, path: Path, on_wait: WaitHandler | None) -> None:
    """Take the write lock: at once, or (saying so through ``on_wait``) within the busy
    timeout, or ``LibraryError``."""
    timeout = busy_timeout()
    notice = min(WAIT_NOTICE, timeout)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(notice * 1000)}")
        if _begin(db, path):
            return
        holder = lock_holder(path)
        if on_wait is not None:
            on_wait(
                "waiting for the library lock held by another feed2book process "
                f"({holder + '; ' if holder else ''}up to {timeout:g} s; "
                f"{BUSY_TIMEOUT_ENV} sets how long)…"
            )
        started = time.monotonic()
        db.execute(f"PRAGMA busy_timeout = {int((timeout - notice) * 1000)}")
        if _begin(db, path):
            return
        waited = notice + time.monotonic() - started
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    holder = lock_holder(path) or holder
    who = (
        holder or "another process (a `feed2book add`, `sync` or `--save` run, or an sqlite3 shell)"
    )
    raise LibraryError(
        f"{path}: gave up after waiting {waited:.0f} s for the library's write lock",
        hint=f"{who} is writing to it; try again when it is done, or wait longer with "
        f"{BUSY_TIMEOUT_ENV}=SECONDS",
    )


def lock_holder(path: Path) -> str | None:
    """Which process holds the library's write lock, as ``pid N: its command line``, when the
    system says (Linux: ``/proc/locks``; SQLite's WAL write lock is byte 120 of the ``-shm``
    file); None when it cannot be told."""
    try:
        shm = os.stat(f"{path}-shm")
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            table = locks.read()
    except OSError:
        return None
    where = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    for line in table.splitlines():
        fields = line.split()
        if "->" in fields:  # a waiting lock request, not a held lock
            continue
        # "1: POSIX  ADVISORY  WRITE <pid> <dev:inode> <start> <end>"
        writer = len(fields) >= 8 and fields[3] == "WRITE" and fields[5:7] == [where, "120"]
        if writer and fields[4] != str(os.getpid()):
            return f"pid {fields[4]}{_command_line(fields[4])}"
    return None


def _command_line(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read(400).split(b"\0")
    except OSError:
        return ""
    text = " ".join(word.decode("utf-8", "replace") for word in words if word)
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return f": {text[:80]}{'…' if len(text) > 80 else ''}" if text else ""


def _begin(db: sqlite3.Connection, path: Path) -> bool:
    """``BEGIN IMMEDIATE``; False when another process holds the write lock."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        lowered = str(error).lower()
        if isinstance(error, sqlite3.OperationalError) and (
            "locked" in lowered or "busy" in lowered
        ):
            return False
        raise plain_error(error, path) from None
    return True


def derived_current(db: sqlite3.Connection) -> bool:
    """Whether the stored series keys were derived by the code running now."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'derived'").fetchone()
    except sqlite3.OperationalError:  # no meta table: a library never written
        return False
    return bool(row and row[0] == derived_fingerprint())


def refresh_derived(db: sqlite3.Connection, path: Path, on_wait: WaitHandler | None = None) -> None:
    """Recompute the stored series keys when the code that derives them has changed, so the
    SQL pre-filter (``query``) always agrees with series detection as it is now."""
    if derived_current(db):
        return
    fingerprint = derived_fingerprint()
    with writing(db, path, on_wait=on_wait):
        rows = db.execute(
            f"SELECT a.rowid, {ROW_COLUMNS} FROM articles AS a "
            "JOIN revisions AS r ON r.article_id = a.id AND r.n = a.revision"
        ).fetchall()
        updates = []
        for rowid, *row in rows:
            article = decode_row(*row)
            if isinstance(article, Damage):
                continue  # left as it was: reading commands warn about it, `check` reports it
            updates.append((series_key(article.title), series_name_key(article), rowid))
        db.executemany(
            "UPDATE articles SET series_key = ?, series_name_key = ? WHERE rowid = ?", updates
        )
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('derived', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (fingerprint,),
        )
