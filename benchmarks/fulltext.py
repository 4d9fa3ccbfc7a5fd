"""Extraction quality and speed of ``--full-text`` on the six site shapes of the tests (issue 18).

    python benchmarks/fulltext.py            # a Markdown table: per page and in total
    python benchmarks/fulltext.py --seconds 5

Quality is measured on paragraphs, as trafilatura's own benchmark does on text: the expected
paragraphs are the article's own (``tests/fulltext_site.py``: its ``<p>`` paragraphs, the
closing link paragraph included); the extracted ones are the ``<p>`` elements of what the
extractor returns. Precision: the share of extracted paragraphs that belong to the article
(boilerplate lowers it); recall: the share of the article's paragraphs that arrive. "leaks"
counts the pieces of site furniture (``BOILERPLATE``) found anywhere in the output, headings
and lists included. Speed: pages per second through the whole ``extract_article`` (parse,
trafilatura, the restoration of code languages and captions, feed2book's cleaner), one thread.
"trafilatura alone" and "readability alone" are the two extractors' raw output, for comparison.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import html  # noqa: E402

from feed2book.convert.text import to_text  # noqa: E402
from feed2book.fulltext.extract import _readability, _trafilatura, extract_article  # noqa: E402
from tests.fulltext_site import BOILERPLATE, Page, pages  # noqa: E402

_SPACE = re.compile(r"\s+")


def expected(page: Page) -> set[str]:
    return {*page.paragraphs, "Some background is in my earlier notes."}


def paragraphs(fragment: str) -> list[str]:
    if not fragment.strip():
        return []
    root = html.fragment_fromstring(fragment, create_parent="div")
    return [_SPACE.sub(" ", p.text_content()).strip() for p in root.iter("p")]


def score(found: list[str], wanted: set[str]) -> tuple[int, int, int]:
    """(true positives, extracted, expected)."""
    return sum(1 for p in found if p in wanted), len(found), len(wanted)


def feed2book_output(page: Page) -> str:
    url = f"https://{page.slug}.example/post/"
    extracted = extract_article(page.html.encode(), url, page.title)
    return extracted.xhtml if extracted is not None else ""


def trafilatura_output(page: Page) -> str:
    url = f"https://{page.slug}.example/post/"
    return _trafilatura(html.document_fromstring(page.html), url) or ""


def readability_output(page: Page) -> str:
    return _readability(html.document_fromstring(page.html)) or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on the speed run")
    args = parser.parse_args()
    site = pages()
    print("| page | extractor | precision | recall | leaks | code language | caption |")
    print("|---|---|---:|---:|---:|---|---|")
    totals: dict[str, list[int]] = {}
    for page in site:
        runs = (
            ("feed2book", feed2book_output),
            ("trafilatura alone", trafilatura_output),
            ("readability alone", readability_output),
        )
        for name, run in runs:
            out = run(page)
            hit, found, wanted = score(paragraphs(out), expected(page))
            total = totals.setdefault(name, [0, 0, 0, 0])
            total[0] += hit
            total[1] += found
            total[2] += wanted
            text = to_text(out) if name == "feed2book" else html.fromstring(out or "<p/>")
            text = text if isinstance(text, str) else text.text_content()
            leaks = sum(1 for phrase in BOILERPLATE if phrase in text)
            total[3] += leaks
            language = f'class="language-{page.code_language}"' in out
            caption = f"The {page.slug} picture, seen from above." in out
            print(
                f"| {page.slug} | {name} | {hit / max(found, 1):.2f} | {hit / wanted:.2f} | "
                f"{leaks} | {'yes' if language else 'no'} | {'yes' if caption else 'no'} |"
            )
    for name, (hit, found, wanted, leaks) in totals.items():
        print(
            f"| **all six** | {name} | **{hit / max(found, 1):.2f}** | **{hit / wanted:.2f}** | "
            f"**{leaks}** | | |"
        )
    feed2book_output(site[0])  # warm-up: trafilatura's import and first-call set-up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        feed2book_output(site[done % len(site)])
        done += 1
    elapsed = time.perf_counter() - started
    print(f"\nspeed: {done / elapsed:.1f} pages/s ({done} pages in {elapsed:.2f} s, one thread)")


if __name__ == "__main__":
    main()
