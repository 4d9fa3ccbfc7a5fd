"""`feed2book library check`: is the file sound, and can every stored record be read back?

Three things, read-only: SQLite's ``PRAGMA integrity_check`` (the file's structure),
``PRAGMA foreign_key_check`` (rows pointing at rows that are gone) and every revision decoded
as the reading commands decode it (``records.decode_row``), plus every article whose current
revision is missing and every article whose text columns are not valid UTF-8. The damaged
records it finds are the ones reading commands leave out with a warning.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from feed2book.i18n import plural
from feed2book.library.records import Damage, article_name, decode_row


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """A ``foreign_key_check`` row: ``table``'s row ``rowid`` names a missing ``parent`` row."""

    table: str
    rowid: int | None
    parent: str


@dataclass(frozen=True, slots=True)
class CheckReport:
    integrity_check: tuple[str, ...]  # ("ok",) when the file is sound
    foreign_key_check: tuple[BrokenLink, ...]
    damaged: tuple[Damage, ...]
    articles: int
    revisions: int

    @property
    def ok(self) -> bool:
        return self.integrity_check == ("ok",) and not self.foreign_key_check and not self.damaged

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "integrity_check": list(self.integrity_check),
            "foreign_key_check": [asdict(link) for link in self.foreign_key_check],
            "articles": self.articles,
            "revisions": self.revisions,
            "damaged": [asdict(damage) for damage in self.damaged],
        }


def check_library(db: sqlite3.Connection) -> CheckReport:
    """Run every check (in the caller's read transaction); a check SQLite cannot even run
    is reported as its result, never raised."""
    integrity = _integrity(db)
    links = _links(db)
    damaged: list[Damage] = []
    articles = revisions = 0
    try:
        rows = db.execute(
            "SELECT CAST(r.article_id AS BLOB), r.n, CAST(a.revision_key AS BLOB), "
            "CAST(r.record AS BLOB), a.rowid IS NULL FROM revisions AS r "
            "LEFT JOIN articles AS a ON a.id = r.article_id ORDER BY r.article_id, r.n"
        )
        for *row, orphan in rows:
            revisions += 1
            if orphan:
                damaged.append(Damage(article_name(row[0]), row[1], "no article row refers to it"))
                continue
            article = decode_row(*row)
            if isinstance(article, Damage):
                damaged.append(article)
        missing = db.execute(
            "SELECT CAST(a.id AS BLOB), a.revision FROM articles AS a LEFT JOIN revisions AS r "
            "ON r.article_id = a.id AND r.n = a.revision WHERE r.rowid IS NULL ORDER BY a.id"
        )
        for article_id, revision in missing:
            damaged.append(
                Damage(article_name(article_id), revision, "its current revision is missing")
            )
        damaged += _unreadable_columns(db)
        articles = int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.DatabaseError as error:
        damaged.append(Damage("?", None, f"the records could not all be read ({error})"))
    return CheckReport(integrity, links, tuple(damaged), articles, revisions)


# The articles table's text columns (the revision key is checked with the record).
_TEXT_COLUMNS = ("url", "title", "feed_url", "feed_title", "language", "content_hash")


def _unreadable_columns(db: sqlite3.Connection) -> list[Damage]:
    """Article rows whose filtering columns are not valid UTF-8 text (``library stats`` and
    the SQL pre-filter read them)."""
    columns = ", ".join(f"CAST({name} AS BLOB)" for name in _TEXT_COLUMNS)
    found = []
    for article_id, revision, *values in db.execute(
        f"SELECT CAST(id AS BLOB), revision, {columns} FROM articles ORDER BY id"
    ):
        for name, value in zip(_TEXT_COLUMNS, values, strict=True):
            try:
                value.decode("utf-8")
            except (AttributeError, UnicodeDecodeError):
                reason = "missing (NULL)" if value is None else "not valid UTF-8"
                found.append(
                    Damage(article_name(article_id), revision, f"column {name} is {reason}")
                )
    return found


def _integrity(db: sqlite3.Connection) -> tuple[str, ...]:
    try:
        return tuple(str(row[0]) for row in db.execute("PRAGMA integrity_check"))
    except sqlite3.DatabaseError as error:
        return (f"could not run: {error}",)


def _links(db: sqlite3.Connection) -> tuple[BrokenLink, ...]:
    try:
        rows = db.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as error:
        return (BrokenLink(f"could not run: {error}", None, ""),)
    return tuple(BrokenLink(str(table), rowid, str(parent)) for table, rowid, parent, _ in rows)


def check_text(report: CheckReport) -> str:
    """The report as ``library check`` prints it."""
    lines = [f"integrity_check: {line}" for line in report.integrity_check]
    if report.foreign_key_check:
        lines += [
            f"foreign_key_check: {link.table} row {link.rowid} names a missing {link.parent} row"
            for link in report.foreign_key_check
        ]
    else:
        lines.append("foreign_key_check: ok")
    summary = (
        f"{plural(report.articles, 'article', 'articles')}, "
        f"{plural(report.revisions, 'revision', 'revisions')} read: "
    )
    if not report.damaged:
        lines.append(summary + "none damaged")
    else:
        lines.append(summary + f"{len(report.damaged)} damaged")
        lines += [
            f"damaged: {damage.article_id!r} revision {damage.revision}: {damage.reason}"
            for damage in report.damaged
        ]
    return "\n".join(lines) + "\n"
