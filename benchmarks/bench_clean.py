"""Measure the clean + convert stages on the seed items against feedparser's own sanitiser.

    /work/venv/bin/python benchmarks/bench_clean.py [--rounds N]

Prints articles/second for: clean_html, clean_html + to_markdown, clean_html + to_text, and
feedparser's ``_sanitize_html`` on the same raw HTML (the reference it must beat).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
from feedparser.sanitizer import _sanitize_html

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from feed2book.clean.html import clean_html  # noqa: E402
from feed2book.convert.markdown import to_markdown  # noqa: E402
from feed2book.convert.text import to_text  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"


def seed_items() -> list[tuple[str, str | None]]:
    items: list[tuple[str, str | None]] = []
    for path in sorted(SEEDS.glob("*.txt")):
        parsed = feedparser.parse(
            path.read_bytes(), sanitize_html=False, resolve_relative_uris=False
        )
        for entry in parsed.entries:
            content = entry.get("content") or []
            html = content[0].value if content else entry.get("summary", "")
            items.append((html, entry.get("link")))
    return items


def rate(label: str, work: Callable[[str, str | None], object], items: list, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for html, base in items:
            work(html, base)
        best = min(best, time.perf_counter() - start)
    per_second = len(items) / best
    print(f"{label:<40} {per_second:10.0f} articles/s  ({best * 1000:7.1f} ms for {len(items)})")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="best of N runs (default 5)")
    rounds = parser.parse_args().rounds
    items = seed_items()
    size = sum(len(html) for html, _ in items) / max(1, len(items))
    print(f"{len(items)} seed items, {size / 1024:.1f} KB of HTML on average; best of {rounds}")
    ours = rate("clean_html", lambda h, b: clean_html(h, b), items, rounds)
    rate("clean_html + to_markdown", lambda h, b: to_markdown(clean_html(h, b)), items, rounds)
    rate("clean_html + to_text", lambda h, b: to_text(clean_html(h, b)), items, rounds)
    reference = rate(
        "feedparser _sanitize_html", lambda h, b: _sanitize_html(h, "utf-8", "text/html"),
        items, rounds,
    )  # fmt: skip
    print(f"clean_html is {ours / reference:.1f}x feedparser's sanitiser")


if __name__ == "__main__":
    main()
