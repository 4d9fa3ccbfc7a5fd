"""Moving a library between machines: export to JSON Lines, import from JSON Lines.

The export is exactly what ``feed2book jsonl --content html`` writes (every stored article, the
current revision of each, oldest first), so any feed2book command can read it as a source. An
import is untrusted input: every line goes through ``parse.article_from_record``, which cleans
the HTML again. Revision history, fetch validators and build records stay behind.
"""

from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from feed2book.library.records import ROW_COLUMNS, Damage, decode_row
from feed2book.library.upsert import StoreResult
from feed2book.models import Article, Problem
from feed2book.parse import json_text
from feed2book.writers.jsonl import Content, article_record, choose_fields, dumps

if TYPE_CHECKING:
    from feed2book.library.store import Library

EXPORT_FIELDS = choose_fields(None, Content.HTML)


def export_jsonl(
    library: Library,
    write: Callable[[str], object],
    *,
    on_damage: Callable[[Damage], None] | None = None,
) -> int:
    """Write one JSON line per readable stored article (one consistent snapshot); returns how
    many. A damaged record is given to ``on_damage`` and the export goes on."""
    count = 0
    with library.reading() as db:
        rows = db.execute(
            f"SELECT {ROW_COLUMNS} FROM articles AS a "
            "JOIN revisions AS r ON r.article_id = a.id AND r.n = a.revision "
            "ORDER BY a.published, a.id"
        )
        for row in rows:
            article = decode_row(*row)
            if isinstance(article, Damage):
                if on_damage is not None:
                    on_damage(article)
                continue
            write(dumps(article_record(article, EXPORT_FIELDS)) + "\n")
            count += 1
    return count


@dataclass
class ImportResult:
    stored: StoreResult = field(default_factory=StoreResult)
    read: int = 0
    problems: list[Problem] = field(default_factory=list)


def import_jsonl(library: Library, lines: Iterable[str | bytes], source_name: str) -> ImportResult:
    """Read feed2book JSON Lines (untrusted) and store the articles as one source.

    Lines are parsed and cleaned first, into a temporary file, so the write transaction (one
    for the whole import: all of it or none of it) is not held while HTML is being cleaned.
    """
    from feed2book.parse.feed import article_from_record  # the parsing stack: only for imports

    result = ImportResult()
    with tempfile.TemporaryFile(prefix="feed2book-import-") as spool:
        for number, line in enumerate(lines, 1):
            text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
            text = text.removeprefix("\ufeff").strip()
            if not text:
                continue
            try:
                article = article_from_record(json_text.loads(text))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                result.problems.append(
                    Problem(source_name, f"line {number} is not a feed2book article ({error})")
                )
                continue
            pickle.dump(article, spool, protocol=pickle.HIGHEST_PROTOCOL)
            result.read += 1
        spool.seek(0)
        result.stored = library.store(source_name, _unspool(spool, result.read))
    return result


def _unspool(spool: IO[bytes], count: int) -> Iterator[Article]:
    for _ in range(count):
        article: Article = pickle.load(spool)
        yield article
