"""Would nh3 (ammonia) as the allow-list pass make cleaning faster, and as safe?

    .venv/bin/pip install nh3   # not a dependency of feed2book (dropped after this measurement)
    .venv/bin/python benchmarks/bench_nh3.py [--rounds N]

A prototype, not the package's code. The question (issue 16): is an nh3 allow-list pass followed
by the lxml restructuring walk faster than today's ``clean_html`` on real-shaped articles, and
as safe on the XSS corpus (``tests/hostile/xss.py``)? Whatever the walk becomes, it has to parse
the HTML into an lxml tree and serialise it again, so four rates are printed for the items of
the seed and practice feeds:

- ``clean_html``: today (parse, walk, serialise);
- ``lxml parse + serialise``: the part of today's cost that no allow-list pass can remove;
- ``nh3 alone``: the allow-list pass by itself;
- ``nh3 + lxml parse + serialise``: the floor of any nh3 + lxml design (a walk costing nothing);
- ``nh3 + clean_html``: nh3 in front of today's walk unchanged.

nh3's allow-list here is the union of every element and attribute the walk still needs to see
(kept tags, unwrapped wrappers, embeds it turns into links, MathML, ``class`` for widget and
hidden-content detection, lazy-image ``data-*`` sources): a narrower list would drop content the
walk restructures. Safety: every XSS vector goes through each pipeline and is checked with the
test suite's scanner (``unsafe_in_xhtml_fragment``); a pipeline is as safe when it lets nothing
through that ``clean_html`` stops. The results and the decision are in ``benchmarks/PROFILE.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
import lxml.html
import nh3
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from feed2book.clean import rules  # noqa: E402
from feed2book.clean.html import _parse_body, clean_html  # noqa: E402
from tests.hostile.scan import unsafe_in_markup, unsafe_in_xhtml_fragment  # noqa: E402
from tests.hostile.xss import VECTORS  # noqa: E402

SHARED = REPO.parent / "shared"
FEEDS = [
    *sorted((SHARED / "seeds").glob("*.txt")),
    *sorted(p for p in (SHARED / "practice").glob("*") if p.suffix in (".xml", ".rss")),
]

TAGS = {
    *rules.INLINE_KEEP, *rules.INLINE_UNWRAP, *rules.BLOCK_UNWRAP, *rules.TEXT_BLOCKS,
    *rules.LISTS, *rules.TABLE_SECTIONS, *rules.REMOVE_IF_EMPTY, *rules.EMBED_TAGS,
    *rules.MATHML_ELEMENTS, "img", "picture", "br", "hr", "pre", "table", "tr", "td", "th",
    "li", "dl", "dd", "blockquote", "figure",
} - {"body", "html"}  # fmt: skip
ATTRIBUTES = {
    **{tag: set(names) for tag, names in rules.ATTRIBUTES.items()},
    "*": {*rules.ATTRIBUTES["*"], "class", "data-src", "data-lazy-src", "data-original"},
    "img": {*rules.ATTRIBUTES["img"], "srcset", "data-src", "data-lazy-src", "data-orig-file"},
    "iframe": {"src", "title"},
    "video": {"src", "poster"},
    "audio": {"src"},
    "object": {"data"},
    "embed": {"src"},
}
SCHEMES = {*rules.HREF_SCHEMES, "data"}
CLEAN_CONTENT = set(rules.DROP_WITH_CONTENT) - TAGS


def nh3_pass(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=CLEAN_CONTENT,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel=None,
    )


def parse_and_serialise(html: str) -> str:
    body, _ = _parse_body(html)
    return "" if body is None else etree.tostring(body, encoding="unicode")


PIPELINES: dict[str, Callable[[str, str | None], str]] = {
    "clean_html": lambda h, b: clean_html(h, b),
    "lxml parse + serialise": lambda h, b: parse_and_serialise(h),
    "nh3 alone": lambda h, b: nh3_pass(h),
    "nh3 + lxml parse + serialise": lambda h, b: parse_and_serialise(nh3_pass(h)),
    "nh3 + clean_html": lambda h, b: clean_html(nh3_pass(h), b),
}


def items() -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for path in FEEDS:
        parsed = feedparser.parse(
            path.read_bytes(), sanitize_html=False, resolve_relative_uris=False
        )
        for entry in parsed.entries:
            content = entry.get("content") or []
            html = content[0].value if content else entry.get("summary", "")
            if html:
                found.append((html, entry.get("link")))
    return found


def best_time(work: Callable[[str, str | None], object], corpus: list, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for html, base in corpus:
            work(html, base)
        best = min(best, time.perf_counter() - start)
    return best


def unsafe(pipeline: Callable[[str, str | None], str], *, xhtml: bool = True) -> list[str]:
    """The vectors whose output the scanner finds anything unsafe in (HTML output is read the
    way a browser would, with lxml.html)."""
    found = []
    for vector in VECTORS:
        output = pipeline(vector, "http://ok.example/")
        if xhtml:
            hits = unsafe_in_xhtml_fragment(output)
        else:
            hits = unsafe_in_markup(lxml.html.fragment_fromstring(output, create_parent="div"))
        if hits:
            found.append(vector)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="best of N runs (default 3)")
    rounds = parser.parse_args().rounds
    corpus = items()
    size = sum(len(html) for html, _ in corpus) / max(1, len(corpus))
    print(f"{len(corpus)} items from {len(FEEDS)} feeds, {size / 1024:.1f} KB of HTML on average;")
    print(f"best of {rounds}, nh3 {getattr(nh3, '__version__', '?')}")
    reference = best_time(PIPELINES["clean_html"], corpus, rounds)
    for label, pipeline in PIPELINES.items():
        took = reference if label == "clean_html" else best_time(pipeline, corpus, rounds)
        print(f"{label:<32} {took * 1000:8.1f} ms  {took / reference:5.2f}x clean_html")
    print(f"XSS corpus: {len(VECTORS)} vectors")
    for label in ("clean_html", "nh3 alone", "nh3 + clean_html"):
        through = unsafe(PIPELINES[label], xhtml=label != "nh3 alone")
        print(f"{label:<32} {len(through):3d} let through")
        for vector in through:
            print(f"    {vector[:90]}")


if __name__ == "__main__":
    main()
