"""JSON Lines: one article per line, keys in a fixed order, streamed.

The record layout is documented in ``feed2book/schema/article.schema.json`` and is what
``parse.article_from_record`` reads back, so ``feed2book jsonl … | jq … | feed2book epub -`` works.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import IO, Any

from feed2book.errors import UsageError
from feed2book.models import Article
from feed2book.parse import enclosures


class Content(StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"
    ALL = "all"


CONTENT_FIELDS = {
    Content.HTML: ("content_html",),
    Content.MARKDOWN: ("content_markdown",),
    Content.TEXT: ("text",),
    Content.ALL: ("content_html", "content_markdown", "text"),
}

# The order keys appear in every record; ``--fields`` picks from these.
FIELDS: tuple[str, ...] = (
    "id",
    "url",
    "title",
    "authors",
    "published",
    "updated",
    "tags",
    "series",
    "feed",
    "language",
    "word_count",
    "reading_minutes",
    "enclosures",
    "content_source",
    "fetched",
    "content_html",
    "content_markdown",
    "text",
)


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _markdown(article: Article) -> str:
    from feed2book.convert.markdown import to_markdown

    return to_markdown(article.content_html)


def _text(article: Article) -> str:
    from feed2book.convert.text import to_text

    return to_text(article.content_html)


_GETTERS: dict[str, Callable[[Article], Any]] = {
    "id": lambda a: a.id,
    "url": lambda a: a.url,
    "title": lambda a: a.title,
    "authors": lambda a: [{"name": x.name, "handle": x.handle} for x in a.authors],
    "published": lambda a: _iso(a.published),
    "updated": lambda a: _iso(a.updated),
    "tags": lambda a: list(a.tags),
    "series": lambda a: (
        {"name": a.series.name, "index": _number(a.series.index)} if a.series else None
    ),
    "feed": lambda a: {"title": a.feed.title, "url": a.feed.url, "site": a.feed.site},
    "language": lambda a: a.language,
    "word_count": lambda a: a.word_count,
    "reading_minutes": lambda a: a.reading_minutes,
    "enclosures": lambda a: enclosures.records(a.enclosures),
    "content_source": lambda a: a.content_source,
    "fetched": lambda a: _iso(a.fetched),
    "content_html": lambda a: a.content_html,
    "content_markdown": _markdown,
    "text": _text,
}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def choose_fields(fields: str | None, content: Content) -> tuple[str, ...]:
    """The keys to write: ``--fields`` when given (in canonical order), else the metadata plus
    the content forms ``--content`` asks for."""
    if fields:
        wanted = [name.strip() for name in fields.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in FIELDS]
        if unknown:
            raise UsageError(
                f"unknown field(s) for --fields: {', '.join(unknown)}",
                hint="choose from: " + ", ".join(FIELDS),
            )
        return tuple(name for name in FIELDS if name in wanted)
    content_fields = CONTENT_FIELDS[content]
    return tuple(
        name
        for name in FIELDS
        if name not in ("content_html", "content_markdown", "text") or name in content_fields
    )


def article_record(article: Article, fields: Sequence[str] = FIELDS) -> dict[str, Any]:
    return {name: _GETTERS[name](article) for name in fields}


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(
    articles: Iterable[Article],
    out: IO[bytes],
    fields: Sequence[str] = FIELDS,
    *,
    flush: bool = False,
) -> int:
    """Write one UTF-8 line per article; returns how many were written. ``flush``: after each
    line, so a reader at the other end of a pipe sees each article as soon as it is made."""
    count = 0
    for article in articles:
        out.write((dumps(article_record(article, fields)) + "\n").encode("utf-8"))
        if flush:
            out.flush()
        count += 1
    return count
