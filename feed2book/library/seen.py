"""When the library first saw its articles: what is new since a moment (the OPDS catalogue's
"new since your last visit")."""

from __future__ import annotations

from datetime import datetime

from feed2book.library.records import text_stamp
from feed2book.library.store import Library


def first_seen_since(library: Library, since: datetime) -> frozenset[str]:
    """The ids of the articles first stored after ``since`` (a new revision of an article
    stored before does not count: that article is not new)."""
    with library.reading() as db:
        rows = db.execute("SELECT id FROM articles WHERE first_seen > ?", (text_stamp(since),))
        return frozenset(str(row[0]) for row in rows)
