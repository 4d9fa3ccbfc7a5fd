"""The ``list`` command's table and the one-line run summary."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.cells import cell_len

from feed2book.i18n import plural
from feed2book.models import Article
from feed2book.pipeline import Collection, DroppedItem

_TAGS_SHOWN = 4


def summary(
    collection: Collection, selected: int, articles: Sequence[Article] | None = None
) -> dict[str, Any]:
    """Counts for the summary line and ``list --json``."""
    report = collection.report
    facts: dict[str, Any] = {
        "articles": selected,
        "read": report.items,
        "sources": report.sources_read,
        "failed_sources": len(report.failed_sources),
        "duplicates_dropped": report.duplicates,
        "revisions_dropped": report.revisions,
        "problems": len(report.problems),
    }
    if articles is not None:
        facts["authors"] = len({handle for a in articles for handle in a.author_handles})
    return facts


def summary_line(facts: dict[str, Any]) -> str:
    parts = [plural(facts["articles"], "article", "articles")]
    if "authors" in facts:
        parts.append(plural(facts["authors"], "author", "authors"))
    parts.append(f"{plural(facts['sources'], 'source', 'sources')} read")
    if facts["failed_sources"]:
        parts.append(f"{facts['failed_sources']} failed")
    parts.append(
        f"{plural(facts['duplicates_dropped'], 'duplicate', 'duplicates')} and "
        f"{plural(facts['revisions_dropped'], 'older revision', 'older revisions')} dropped"
    )
    parts.append(plural(facts["problems"], "problem", "problems"))
    return ", ".join(parts)


def dropped_summary(dropped: Sequence[DroppedItem]) -> str:
    """One line for what deduplication left out, grouped by reason ("" when nothing was):
    ``3 items dropped as duplicates of other items (same guid); 8 dropped as older
    revisions (…)``."""
    counts: dict[tuple[bool, str], int] = {}
    for item in dropped:
        counts[(item.revision, item.reason)] = counts.get((item.revision, item.reason), 0) + 1
    parts: list[str] = []
    for (revision, reason), count in sorted(counts.items()):
        what = "older revisions" if revision else "duplicates of other items"
        counted = plural(count, "item", "items") if not parts else str(count)
        parts.append(f"{counted} dropped as {what} ({reason})")
    return "; ".join(parts)


def dropped_detail(item: DroppedItem) -> str:
    """The ``--verbose`` line for one item left out."""
    what = "older revision" if item.revision else "duplicate"
    return f"dropped {item.title!r} as {what} ({item.reason}); kept {item.kept_id}"


def render_listing(articles: Sequence[Article], facts: dict[str, Any], width: int = 120) -> str:
    """A plain-text table (date, author, title, tags) followed by the summary line.

    Columns are sized to their content and the page ``width`` (``list`` passes the terminal's,
    ``COLUMNS`` first); long titles fold onto further lines, tag lists are cut to one line with
    "…"; no line is wider than ``width`` (down to 70 cells); widths count terminal cells, so
    CJK text lines up. Written by hand: a rich ``Table`` takes a second for 500 rows.
    """
    rows = []
    for article in articles:
        tags = ", ".join(article.tags[:_TAGS_SHOWN])
        if len(article.tags) > _TAGS_SHOWN:
            tags += ", …"
        title = " ".join(article.title.split())
        if article.series is not None:
            title += f"  [{article.series.index_label}]"
        date = article.published.strftime("%Y-%m-%d")
        rows.append((date, ", ".join(article.author_handles), title, tags))
    header = ("date", "author", "title", "tags")
    natural = [
        max([cell_len(h)] + [cell_len(row[i]) for row in rows]) for i, h in enumerate(header)
    ]
    author_width = min(natural[1], _AUTHOR_WIDTH)
    room = max(30, width - natural[0] - author_width - 3 * len(_GAP))
    tags_width = min(natural[3], max(10, room // 4))
    title_width = min(natural[2], room - tags_width)
    widths = [natural[0], author_width, title_width, tags_width]
    lines = [_line(header, widths)]
    for row in rows:
        columns = [
            [row[0]],
            _fold(row[1], author_width),
            _fold(row[2], title_width),
            [_truncate(row[3], tags_width)],
        ]
        for number in range(max(len(column) for column in columns)):
            cells = tuple(column[number] if number < len(column) else "" for column in columns)
            lines.append(_line(cells, widths))
    lines += _fold(summary_line(facts), max(width, 40))
    return "\n".join(lines) + "\n"


def terminal_width(environ: Mapping[str, str], default: int = 120) -> int:
    """The width ``list`` fits: ``COLUMNS`` in ``environ``, else the terminal's when stdout is
    one, else ``default`` (a pipe or a file gets the same lines whatever window the command
    ran in)."""
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no real stream behind sys.stdout
        pass
    return default


def _truncate(text: str, width: int) -> str:
    """``text`` on one line of at most ``width`` cells, ending in "…" when cut."""
    if cell_len(text) <= width:
        return text
    return text[: _cut(text, width - 1)].rstrip(", ") + "…"


_GAP = "  "
_AUTHOR_WIDTH = 24


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [
        cell + " " * (width - cell_len(cell)) for cell, width in zip(cells, widths, strict=True)
    ]
    return _GAP.join(padded).rstrip()


def _fold(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells: broken at spaces, long words cut."""
    if cell_len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if cell_len(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while cell_len(word) > width:
            cut = _cut(word, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _cut(word: str, width: int) -> int:
    used = 0
    for index, char in enumerate(word):
        used += cell_len(char)
        if used > width:
            return max(1, index)
    return len(word)
