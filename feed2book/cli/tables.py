"""The library commands' tables: the sync summary, the sources, the statistics (plain text)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from feed2book.i18n import plural
from feed2book.library.stats import LibraryStats
from feed2book.library.store import SourceInfo
from feed2book.library.sync import SourceResult


def sync_table(results: Sequence[SourceResult]) -> Table:
    table = _table("source", "new", "updated", "unchanged", "status")
    for result in results:
        stored = result.stored
        status = result.status  # the error itself was said as it happened
        if result.not_modified and not result.failed:
            status += " (not modified)"
        table.add_row(
            result.source, str(stored.new), str(stored.updated), str(stored.unchanged), status
        )
    return table


def sources_table(found: Sequence[SourceInfo]) -> Table:
    table = _table("source", "kind", "articles", "added", "last synced", "status")
    for info in found:
        status = info.last_status or "never synced"
        if info.last_error:
            status += f": {info.last_error}"
        synced = (info.last_synced or "")[:16].replace("T", " ")
        table.add_row(info.spec, info.kind, str(info.articles), info.added[:10], synced, status)
    return table


def stats_text(path: Path, stats: LibraryStats, posts: int | None = None) -> str:
    """``posts``: the articles counted as `list` counts them (a republished post once)."""
    span = f"{stats.first_published} to {stats.last_published}" if stats.articles else "empty"
    counted = str(stats.articles)
    if posts is not None and posts != stats.articles:
        counted = f"{posts} ({stats.articles} copies with republished revisions;"
        counted += f" {plural(stats.revisions, 'revision', 'revisions')} stored)"
    else:
        counted += f" ({plural(stats.revisions, 'revision', 'revisions')} stored)"
    lines = [
        f"library   {path}",
        f"articles  {counted}, {span}",
        f"sources   {stats.sources}; {plural(stats.authors, 'author', 'authors')}, "
        f"{plural(stats.feeds, 'feed', 'feeds')}, "
        f"{plural(stats.builds, 'build', 'builds')} recorded",
        "",
    ]
    authors = _table("articles", "author", "name")
    for author in stats.by_author:
        authors.add_row(str(author.articles), author.handle, author.name)
    feeds = _table("articles", "feed", "title")
    for feed in stats.by_feed:
        feeds.add_row(str(feed.articles), feed.url, feed.title)
    months = _table("articles", "month")
    for month in stats.by_month:
        months.add_row(str(month.articles), month.month)
    return "\n".join(lines) + "\n" + "\n".join(render(t) for t in (authors, feeds, months))


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        numeric = column in ("new", "updated", "unchanged", "articles")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    return table


def render(table: Table, width: int = 120) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, force_terminal=False, highlight=False
    )
    console.print(table)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
