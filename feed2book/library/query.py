"""Which stored articles to load for a selection: a superset, so reading stays exact.

Commands read the library into a ``pipeline.Collection`` exactly as they read files: the
collection drops older revisions, detects series over what it holds, then applies the whole
``Selection``. Loading only what the selection matches would change those answers, so the SQL
loads a set P that is:

1. a superset of every article the selection could match (author handle or name, tag, series
   detected or carried, date window: the same folding as ``Selection.matches``);
2. closed under revisions: when P holds an article it holds every article with the same
   ``revision_key``, so the collection keeps the same newest copy;
3. closed under series: when P holds a matching article whose title names a possible series,
   it holds every article whose title names the same one (and their revisions), so detection
   sees the same members, counts and spellings as over the whole library.

Then ``select`` over P gives what ``select`` over everything gives. ``--title-match`` and
``--limit`` are left to ``Selection``.
"""

from __future__ import annotations

from typing import Any

from feed2book.identity import normalise_title
from feed2book.library.records import ROW_COLUMNS, author_key, micros, tag_key
from feed2book.select import Selection

_LOAD = (
    f"SELECT {ROW_COLUMNS} FROM articles AS a "
    "JOIN revisions AS r ON r.article_id = a.id AND r.n = a.revision"
)


def articles_sql(selection: Selection | None, *, row: bool = False) -> tuple[str, list[Any]]:
    """The query (and its parameters) that loads the current revisions ``selection`` needs;
    ``row``: each with its revision's rowid first (to read its record again by it)."""
    conditions, parameters = _conditions(selection or Selection())
    load = _LOAD.replace("SELECT ", "SELECT r.rowid, ", 1) if row else _LOAD
    if not conditions:
        return load, []
    matched = "SELECT revision_key, series_key FROM articles AS a WHERE " + " AND ".join(conditions)
    sql = (
        f"WITH matched AS ({matched}), "
        "wanted AS (SELECT revision_key FROM matched UNION "
        "SELECT revision_key FROM articles WHERE series_key IN "
        "(SELECT series_key FROM matched WHERE series_key IS NOT NULL)) "
        f"{load} WHERE a.revision_key IN (SELECT revision_key FROM wanted)"
    )
    return sql, parameters


def _conditions(selection: Selection) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    parameters: list[Any] = []
    if selection.authors:
        keys = sorted({author_key(wanted) for wanted in selection.authors})
        marks = _marks(keys)
        conditions.append(
            "a.id IN (SELECT article_id FROM article_authors "
            f"WHERE handle_key IN ({marks}) OR name_key IN ({marks}))"
        )
        parameters += keys + keys
    if selection.tags:
        keys = sorted({tag_key(tag) for tag in selection.tags})
        conditions.append(
            f"a.id IN (SELECT article_id FROM article_tags WHERE tag_key IN ({_marks(keys)}))"
        )
        parameters += keys
    if selection.series:
        keys = sorted({normalise_title(name) for name in selection.series})
        marks = _marks(keys)
        conditions.append(f"(a.series_key IN ({marks}) OR a.series_name_key IN ({marks}))")
        parameters += keys + keys
    if selection.since is not None:
        conditions.append("a.published >= ?")
        parameters.append(micros(selection.since))
    if selection.until is not None:
        conditions.append("a.published < ?")
        parameters.append(micros(selection.until))
    return conditions, parameters


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))
