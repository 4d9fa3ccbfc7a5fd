"""Helpers shared by the conversion tests: corpus items, block counts, Markdown block sequence.

markdown-it-py is a test dependency only, so the Markdown side of the round-trip property
lives here rather than in the package.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import feedparser
from lxml import etree
from lxml import html as lxml_html
from markdown_it import MarkdownIt

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
PRACTICE = SHARED / "practice"
XHTML_NS = "http://www.w3.org/1999/xhtml"

_MARKDOWN = MarkdownIt("commonmark").enable("table")


@dataclass(frozen=True)
class Item:
    """One feed entry's raw HTML with the URL its relative links resolve against."""

    feed: str
    link: str
    html: str
    base: str | None

    @property
    def name(self) -> str:
        return f"{self.feed}:{self.link}"


def feed_items(path: Path) -> list[Item]:
    """Every entry of a feed file, read the way the parse stage reads it (raw, unsanitised)."""
    parsed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    items: list[Item] = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        html = content[0].value if content else entry.get("summary", "")
        base = (content[0].get("base") if content else None) or entry.get("link") or None
        items.append(Item(path.name, entry.get("link", ""), html or "", base))
    return items


def seed_items() -> list[Item]:
    return [item for path in sorted(SEEDS.glob("*.txt")) for item in feed_items(path)]


def practice_items() -> list[Item]:
    paths = sorted(PRACTICE.glob("*.xml")) + sorted(PRACTICE.glob("*.rss"))
    return [item for path in paths for item in feed_items(path)]


def parse_xhtml(fragment: str) -> etree._Element:
    """The fragment inside an XHTML <div>, parsed by lxml's strict XML parser."""
    return etree.fromstring(f'<div xmlns="{XHTML_NS}">{fragment}</div>')


def raw_block_counts(html: str) -> Counter[str]:
    """Content blocks in raw feed HTML: non-empty paragraphs, list items, cells, code blocks."""
    counts: Counter[str] = Counter()
    if not html.strip():
        return counts
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    for element in root.iter("p", "li", "td", "th", "pre"):
        if element.tag == "p" and not "".join(element.itertext()).strip():
            continue
        counts[_block_kind(element)] += 1
    return counts


def clean_block_counts(fragment: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for element in parse_xhtml(fragment).iter():
        tag = etree.QName(element).localname
        if tag in {"p", "li", "td", "th", "pre"}:
            counts[_block_kind(element, tag)] += 1
    return counts


def _block_kind(element: etree._Element, tag: str | None = None) -> str:
    tag = tag or str(element.tag)
    return {"td": "cell", "th": "cell"}.get(tag, tag)


def block_sequence_from_markdown(markdown: str) -> list[tuple[str, str]]:
    """The block structure markdown-it-py sees, in the vocabulary of
    ``feed2book.convert.text.block_sequence_from_xhtml``."""
    sequence: list[tuple[str, str]] = []
    list_depth = 0
    table: list[int] | None = None  # cells per row of the table being read
    for token in _MARKDOWN.parse(markdown):
        kind = token.type
        if kind == "list_item_open":
            list_depth += 1
            sequence.append(("li", ""))
        elif kind == "list_item_close":
            list_depth -= 1
        elif kind == "table_open":
            table = []
        elif kind == "table_close" and table is not None:
            if list_depth == 0:
                sequence.append(("table", f"{len(table)}x{max(table, default=0)}"))
            table = None
        elif table is not None:
            if kind == "tr_open":
                table.append(0)
            elif kind in {"th_open", "td_open"}:
                table[-1] += 1
        elif list_depth:
            continue  # Markdown flattens what list items hold, as the XHTML side does
        elif kind == "heading_open":
            sequence.append((token.tag, ""))
        elif kind == "paragraph_open":
            sequence.append(("p", ""))
        elif kind == "fence":
            sequence.append(("code", token.info.strip()))
        elif kind == "code_block":
            sequence.append(("code", ""))
        elif kind == "blockquote_open":
            sequence.append(("blockquote", ""))
        elif kind == "hr":
            sequence.append(("hr", ""))
    return sequence


GOLDEN_DIR = Path(__file__).parent / "data" / "html"
GOLDEN_BASE_URL = "https://blog.example.com/posts/2024/sample/"


def golden_cases() -> list[Path]:
    return sorted(GOLDEN_DIR.glob("*.html"))


def check_golden(expected_path: Path, actual: str) -> None:
    """Compare with the golden file; ``UPDATE_GOLDEN=1`` rewrites it instead (review the diff)."""
    import os

    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(actual, encoding="utf-8")
        return
    assert expected_path.exists(), f"missing golden {expected_path.name}: run UPDATE_GOLDEN=1"
    assert actual == expected_path.read_text(encoding="utf-8")
