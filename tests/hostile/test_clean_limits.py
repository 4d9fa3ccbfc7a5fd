"""The clean stage on hostile HTML: linear time, bounded depth and size, nothing silently lost.

Each pattern here once cost quadratic time (lxml's ``len()`` counts children; appending to one
growing text), exponential copies (nested layout tables), a ``RecursionError`` that lost the
whole feed, or content after libxml2's 256-level limit. The time bounds are ~10x what a 2-core
CI box needs, and ~100x below what the old code took.
"""

from __future__ import annotations

import time

import pytest

from feed2book.clean.html import clean_html
from feed2book.clean.rules import MAX_DEPTH, MAX_ELEMENTS, MAX_HTML_CHARS
from feed2book.convert.markdown import to_markdown
from feed2book.convert.text import to_text
from tests.conversion_helpers import parse_xhtml

N = 50_000
PATTERNS = {
    "inline-run": "<p>" + "<span>x</span>" * N,
    "line-breaks": "<p>" + "a<br>" * N,
    "unknown-tags": "<foo>x</foo> " * N,
    "dropped-elements": "<p>" + "<input>y" * N,
    "anchors-without-href": "<a name=x>y</a>" * N,
    "dangling-fragment-links": '<a href="#nowhere">y</a>' * N,
    "paragraphs": "<div>x</div>" * N,
    "list-items": "<ul>" + "<li>x" * N,
    "table-cells": "<table>" + "<tr><td>x<td>y" * (N // 3),
    "definitions": "<dl>" + "<dt>a<dd>b" * N,
    "images": "<p>" + '<img src="/a.png">w' * N,
    "blocks-in-paragraphs": "<p>a<div>b</div>" * N,
}


def clean(html: str) -> tuple[str, list[str], float]:
    """The clean XHTML, the problems reported and the CPU seconds it took (CPU time: a loaded
    test machine stretches wall time, not the work done)."""
    problems: list[str] = []
    started = time.process_time()
    xhtml = clean_html(html, "https://example.com/post/", on_problem=problems.append)
    return xhtml, problems, time.process_time() - started


@pytest.mark.parametrize("html", PATTERNS.values(), ids=PATTERNS.keys())
def test_fifty_thousand_elements_clean_in_linear_time(html: str) -> None:
    xhtml, _, seconds = clean(html)
    assert seconds < 3, f"{seconds:.1f} s"  # 4 to 45 s before, for the quadratic ones
    root = parse_xhtml(xhtml)  # well-formed
    assert sum(1 for _ in root.iter()) <= 2 * MAX_ELEMENTS
    assert to_text(xhtml).split()  # the text is still there


def test_more_elements_than_the_limit_keep_their_text_as_plain_text() -> None:
    html = "".join(f"<p>word{n}</p>" for n in range(MAX_ELEMENTS + 500))
    html += "<script>alert('x')</script><style>p{}</style><p>the end</p>"
    xhtml, problems, _ = clean(html)
    assert problems == [f"more than {MAX_ELEMENTS:,} HTML elements; the rest kept as plain text"]
    text = to_text(xhtml)
    assert "word0" in text and f"word{MAX_ELEMENTS + 499}" in text and "the end" in text
    assert "alert" not in xhtml and "p{}" not in xhtml
    started = time.process_time()
    to_markdown(xhtml)  # the most elements any article can have: still quick to convert
    assert time.process_time() - started < 10


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 10_000 + "<p>deep text</p>" + "</div>" * 10_000 + "<p>after</p>",
        "<p>before</p>" + "<blockquote><ul><li><b>" * 2_500 + "deep text",
        "<p>" + "<span><em>" * 5_000 + "deep text" + "</em></span>" * 5_000,
        "<blockquote>" * 300 + "deep text" + "</blockquote>" * 300 + "<p>after</p>",
        "<table><tr><td>" * 300 + "deep text",
        "<ul>" * 3_000 + "deep text",
        "<dl>" + "<div>" * 3_000 + "<dt>deep<dd>text",
        "<ol><li>" * 1_000 + "deep text",
        "<div><script>" * 3_000 + "deep text",
    ],
    ids=["div", "unclosed-mix", "inline", "blockquote", "table", "ul", "dl-groups", "ol", "script"],
)
def test_deep_nesting_is_flattened_with_a_warning_and_no_text_lost(html: str) -> None:
    xhtml, problems, seconds = clean(html)
    assert seconds < 5
    depth = max(sum(1 for _ in element.iterancestors()) for element in parse_xhtml(xhtml).iter())
    assert depth <= 2 * MAX_DEPTH + 2
    text = to_text(xhtml)
    if "<script>" not in html:
        assert "deep" in text and "text" in text
        assert problems and "nested more than" in problems[0]
    for marker in ("before", "after"):
        if f">{marker}<" in html:
            assert marker in text
    to_markdown(xhtml)


def test_nested_layout_tables_are_not_copied_once_per_level() -> None:
    html = "".join(f"<table><tr><td>level{n}." for n in range(20))
    xhtml, _, seconds = clean(html)
    assert seconds < 2  # it took 2^20 copies before
    text = to_text(xhtml)
    for n in range(20):
        assert text.count(f"level{n}.") == 1


def test_layout_tables_keep_cells_outside_rows() -> None:
    assert clean("<table><td>x</td><td>y</td></table>")[0] == "<p>x</p>\n<p>y</p>\n"
    assert clean("<table><tbody><td>y</td></tbody></table>")[0] == "<p>y</p>\n"


def test_text_straight_inside_a_definition_list_is_kept_in_order() -> None:
    xhtml, _, _ = clean("<dl>stray<dt>a</dt>mid<dd>b</dd><div>grp<dt>c</dt></div>end</dl>")
    assert xhtml == (
        "<p>stray</p>\n<dl>\n<dt>a</dt>\n<dd>mid</dd>\n<dd>b</dd>\n<dd>grp</dd>\n"
        "<dt>c</dt>\n<dd>end</dd>\n</dl>\n"
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            "<dl><dd>x</dd><dt>a</dt><dd>b</dd></dl>",
            "<p>x</p>\n<dl>\n<dt>a</dt>\n<dd>b</dd>\n</dl>\n",
        ),
        ("<dl><dt></dt><dd>x</dd></dl>", "<p>x</p>\n"),
        ("<dl><dt><script>s</script></dt><dd>y</dd></dl>", "<p>y</p>\n"),
    ],
)
def test_a_definition_list_starts_with_a_term(html: str, expected: str) -> None:
    """(X)HTML allows no <dd> before the first <dt> (EPUBCheck RSC-005)."""
    assert clean(html)[0] == expected


def test_html_longer_than_the_limit_is_cut_with_a_warning() -> None:
    xhtml, problems, seconds = clean("<p>" + "中" * (MAX_HTML_CHARS + 10))
    assert seconds < 5
    assert problems == [f"HTML longer than {MAX_HTML_CHARS:,} characters; cut there"]
    assert xhtml.count("中") == MAX_HTML_CHARS - len("<p>")
    to_text(xhtml)  # one text of 6 MB of UTF-8 still parses as XML downstream


def test_cleaning_stays_idempotent_past_the_limits() -> None:
    html = "<blockquote>" * 200 + "x" + "".join(f"<p>{n}</p>" for n in range(MAX_ELEMENTS + 10))
    once, _, _ = clean(html)
    twice, _, _ = clean(once)
    assert twice == once
