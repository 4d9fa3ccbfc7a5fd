"""Books as a reader renders them: calibre turns a seed book, a right-to-left book and a Chinese
book into PDFs, and poppler tells the size, font and position of every run of text.

What is measured, not read from the CSS: code (every run in a monospace font on the article
pages) is 0.85-0.95x the body text, and the title page's date range reads in the language's
order (first date at the right in Urdu, at the left in Chinese). Skipped cleanly when calibre's
``ebook-convert`` or poppler's ``pdftohtml`` is not installed.

``--disable-font-rescaling`` lets calibre render the stylesheet as its viewer and other
WebKit/Blink readers do; without it, calibre's PDF output snaps every size to its own scale of
font sizes (code then comes out at 0.75x, the nearest step below the body).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests.conftest import PRACTICE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("ebook-convert") is None or shutil.which("pdftohtml") is None,
        reason="calibre's ebook-convert and poppler's pdftohtml are needed to render books",
    ),
]

ZOOM = 6  # pdftohtml rounds font sizes to whole units: zoomed, 1 unit is < 1 % of body text
CODE_RANGE = (0.85, 0.95)
_MONOSPACE = re.compile(r"mono|courier|consol|menlo", re.I)


@dataclass(frozen=True, slots=True)
class Run:
    """A run of text on a PDF page: where it is, its font and size."""

    page: int
    text: str
    top: int
    left: int
    width: int
    font: str
    size: int


def render(epub: Path) -> list[Run]:
    pdf = epub.with_suffix(".pdf")
    environment = dict(os.environ, QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox")  # root in CI
    subprocess.run(
        ["ebook-convert", str(epub), str(pdf), "--disable-font-rescaling"],
        check=True,
        capture_output=True,
        env=environment,
        timeout=240,
    )
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", "-zoom", str(ZOOM), str(pdf)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, no_network=True))
    fonts = {f.get("id"): f for f in root.iter("fontspec")}
    runs = []
    for page in root.iter("page"):
        for text in page.iter("text"):
            spec = fonts[text.get("font")]
            runs.append(
                Run(
                    page=int(page.get("number") or 0),
                    text="".join(text.itertext()),
                    top=int(text.get("top") or 0),
                    left=int(text.get("left") or 0),
                    width=int(text.get("width") or 0),
                    font=spec.get("family") or "",
                    size=int(spec.get("size") or 0),
                )
            )
    return runs


def build(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / f"{name}.epub"
    result = CliRunner().invoke(
        app, ["epub", *args, "--images", "none", "--no-cover", "-q", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    return out


def code_ratios(runs: list[Run]) -> tuple[int, list[float]]:
    """The body text's size (the size of a proportional font that sets the most characters:
    the articles' paragraphs) and each size code is set in, as a fraction of it."""
    body = Counter[int]()
    for run in runs:
        if not _MONOSPACE.search(run.font):
            body[run.size] += len(run.text.strip())
    body_size = body.most_common(1)[0][0]
    code = sorted({r.size for r in runs if _MONOSPACE.search(r.font) and r.text.strip()})
    return body_size, [size / body_size for size in code]


def assert_code_in_range(runs: list[Run]) -> None:
    body_size, ratios = code_ratios(runs)
    assert ratios, "no code rendered in a monospace font"
    for ratio in ratios:
        assert CODE_RANGE[0] <= ratio <= CODE_RANGE[1], (body_size, ratios)


def line_with(runs: list[Run], page: int, *needles: str) -> list[Run]:
    """The runs of the line (same top, within a few units) holding every needle."""
    on_page = [r for r in runs if r.page == page]
    for run in on_page:
        line = [r for r in on_page if abs(r.top - run.top) <= 2 * ZOOM]
        text = "".join(r.text for r in line)
        if all(needle in text for needle in needles):
            return line
    raise AssertionError(f"no line with {needles} on page {page}")


def left_of(line: list[Run], needle: str) -> int:
    run = next(r for r in line if needle in r.text)
    return run.left + run.width * run.text.index(needle) // max(len(run.text), 1)


def test_seed_book_code_renders_at_nine_tenths_of_the_body(
    tmp_path: Path, seeds: list[Path]
) -> None:
    epub = build(tmp_path, "seed", *map(str, seeds), "--author", "Damir Karimov", "--limit", "3")
    runs = render(epub)
    assert_code_in_range(runs)


def test_rtl_book_title_page_reads_right_to_left(tmp_path: Path, practice: list[Path]) -> None:
    """The Urdu book's span runs from October 2011 to March 2014: in a right-to-left page the
    first year is to the right of the last, and every word on the title page is Urdu's."""
    epub = build(
        tmp_path, "urdu", str(PRACTICE / "rtl-bbc-urdu-atom.xml"), "--group-by", "none",
        "--until", "2013-12-31",
    )  # fmt: skip
    runs = render(epub)
    line = line_with(runs, 1, "2011", "2013")
    assert left_of(line, "2011") > left_of(line, "2013")
    title_page = " ".join(r.text for r in runs if r.page == 1)
    assert "articles" not in title_page and "From:" not in title_page
    # poppler gives Arabic script as shaped glyphs in visual order: unshape, then reverse
    words = " ".join(unicodedata.normalize("NFKC", r.text)[::-1] for r in runs if r.page == 1)
    assert "مضامین" in words and "ماخذ" in words


def test_cjk_book_title_page_and_code(tmp_path: Path, practice: list[Path]) -> None:
    epub = build(
        tmp_path, "zh", str(PRACTICE / "cjk-octopress-foxzool-zh-code-tables.xml"),
        "--group-by", "none", "--limit", "6",
    )  # fmt: skip
    runs = render(epub)
    title_page = [r for r in runs if r.page == 1]
    line = line_with(runs, 1, "年", "–")
    years = re.findall(r"\d{4}", "".join(r.text for r in line))
    assert years == sorted(years)  # first date at the left
    assert any("篇文章" in r.text for r in title_page)
    assert any("来源" in r.text for r in title_page)
    assert_code_in_range(runs)
