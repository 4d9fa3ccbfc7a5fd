"""The ``list`` command's table and the one-line run summary."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from feed2book.models import Article
from feed2book.pipeline import Collection

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
    parts = [f"{facts['articles']} article(s)"]
    if "authors" in facts:
        parts.append(f"{facts['authors']} author(s)")
    parts.append(f"{facts['sources']} source(s) read")
    if facts["failed_sources"]:
        parts.append(f"{facts['failed_sources']} failed")
    parts.append(
        f"{facts['duplicates_dropped']} duplicate(s) and "
        f"{facts['revisions_dropped']} older revision(s) dropped"
    )
    parts.append(f"{facts['problems']} problem(s)")
    return ", ".join(parts)


def render_listing(articles: Sequence[Article], facts: dict[str, Any], width: int = 120) -> str:
    """A plain-text table (rich, no colour codes) followed by the summary line."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("date", no_wrap=True)
    table.add_column("author", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("tags", overflow="fold")
    for article in articles:
        tags = ", ".join(article.tags[:_TAGS_SHOWN])
        if len(article.tags) > _TAGS_SHOWN:
            tags += ", …"
        title = article.title
        if article.series is not None:
            title += f"  [{article.series.index_label}]"
        table.add_row(
            article.published.strftime("%Y-%m-%d"), ", ".join(article.author_handles), title, tags
        )
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        soft_wrap=False,
    )
    console.print(table)
    console.print(summary_line(facts))
    return buffer.getvalue()
