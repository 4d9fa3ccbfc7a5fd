"""What was delivered to which address, in the library: ``epub --send`` and ``sync --send``
leave out every article an earlier delivery to the same address carried."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from feed2book.library import Library
from feed2book.library.records import text_stamp


def normalise_address(address: str) -> str:
    return address.strip().lower()


def delivered_article_ids(library: Library, address: str) -> set[str]:
    rows = library.db.execute(
        "SELECT DISTINCT article_id FROM delivery_articles "
        "JOIN deliveries ON deliveries.id = delivery_id WHERE address = ?",
        (normalise_address(address),),
    )
    return {row[0] for row in rows}


def record_delivery(
    library: Library, address: str, book_key: str, file_name: str, article_ids: Iterable[str]
) -> None:
    """Call once the server accepted the message(s) carrying the book."""
    with library.writing() as db:
        delivery = db.execute(
            "INSERT INTO deliveries (address, book_key, file_name, sent_at) VALUES (?, ?, ?, ?)",
            (normalise_address(address), book_key, file_name, text_stamp(datetime.now(UTC))),
        ).lastrowid
        db.executemany(
            "INSERT OR IGNORE INTO delivery_articles (delivery_id, article_id) VALUES (?, ?)",
            [(delivery, article_id) for article_id in article_ids],
        )


def has_undelivered(library: Library, address: str) -> bool:
    """Whether the library holds an article never delivered to ``address``. A republished copy
    (same revision key: author and title) of a delivered article does not count, as reading
    the library keeps one copy of each."""
    row = library.db.execute(
        "SELECT 1 FROM articles WHERE revision_key NOT IN ("
        " SELECT delivered.revision_key FROM articles AS delivered"
        " JOIN delivery_articles ON delivery_articles.article_id = delivered.id"
        " JOIN deliveries ON deliveries.id = delivery_articles.delivery_id"
        " WHERE deliveries.address = ?) LIMIT 1",
        (normalise_address(address),),
    ).fetchone()
    return row is not None
