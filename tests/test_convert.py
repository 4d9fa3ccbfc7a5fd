"""to_markdown: golden cases, the round-trip property and the Markdown rules."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, Tag

from feed2book.clean.html import clean_html
from feed2book.convert.markdown import MARKDOWN_SPACE, BookMarkdownConverter, to_markdown
from feed2book.convert.soup import soup_from_tree
from feed2book.convert.text import block_sequence_from_xhtml
from feed2book.xhtml.content import parse_fragment
from tests.conversion_helpers import (
    GOLDEN_BASE_URL,
    block_sequence_from_markdown,
    check_golden,
    golden_cases,
)

CASES = golden_cases()


def _markdown(case: Path) -> tuple[str, str]:
    xhtml = clean_html(case.read_text(encoding="utf-8"), GOLDEN_BASE_URL)
    return xhtml, to_markdown(xhtml)


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_golden_markdown(case: Path) -> None:
    check_golden(case.with_suffix(".md"), _markdown(case)[1])


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_round_trip_block_sequence(case: Path) -> None:
    xhtml, markdown = _markdown(case)
    assert block_sequence_from_markdown(markdown) == block_sequence_from_xhtml(xhtml)


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_no_blank_runs_or_trailing_spaces(case: Path) -> None:
    markdown = _markdown(case)[1]
    assert "\n\n\n" not in markdown
    if "```" not in markdown:
        assert all(line == line.rstrip() for line in markdown.split("\n"))


def test_empty() -> None:
    assert to_markdown("") == ""


def test_code_fence_keeps_language_and_exact_text() -> None:
    xhtml = '<pre><code class="language-sql">SELECT *\n  FROM t_1  \n</code></pre>\n'
    assert to_markdown(xhtml) == "```sql\nSELECT *\n  FROM t_1  \n```\n"


def test_fence_longer_than_backticks_inside() -> None:
    xhtml = "<pre><code>```\nx\n```</code></pre>"
    assert to_markdown(xhtml) == "````\n```\nx\n```\n````\n"


def test_table_always_has_a_header_row() -> None:
    xhtml = clean_html("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>")
    assert to_markdown(xhtml) == "| a | b |\n| --- | --- |\n| c | d |\n"


def test_image_with_title() -> None:
    xhtml = '<p><img src="https://e.com/a b.png" alt="A" title="T"/></p>'
    assert to_markdown(xhtml) == '![A](<https://e.com/a b.png> "T")\n'


def test_adjacent_lists_stay_separate() -> None:
    markdown = to_markdown("<ul><li>a</li></ul><ul><li>b</li></ul>")
    assert markdown == "- a\n\n<!-- -->\n\n- b\n"


def test_line_break_is_a_backslash_not_trailing_spaces() -> None:
    assert to_markdown("<p>a<br/>b</p>") == "a\\\nb\n"


def test_pandoc_and_directive_syntax_in_text_is_escaped() -> None:
    xhtml = "<p>{=html} {{x}} {% y %} $z$</p><p>::: {.c}</p>"
    assert to_markdown(xhtml) == "\\{=html} \\{\\{x}} \\{&#37; y %} \\$z\\$\n\n\\::: \\{.c}\n"


def test_link_and_image_titles_alt_and_addresses_carry_no_syntax() -> None:
    xhtml = (
        '<p><a href="https://x.example/{a}" title="{{t}}">l</a> '
        '<img src="https://x.example/{b}.png" alt="`c`{=html}" title="\\{%"/></p>'
    )
    assert to_markdown(xhtml) == (
        '[l](https://x.example/%7Ba%7D "\\{\\{t}}") '
        '![\\`c\\`\\{=html}](https://x.example/%7Bb%7D.png "\\\\\\{&#37;")\n'
    )


def test_code_block_language_is_kept_only_when_a_plain_name() -> None:
    for language, kept in (("c++", "c++"), ("objective-c", "objective-c"), ("{=html}", "")):
        xhtml = f'<pre><code class="language-{language}">x</code></pre>'
        assert to_markdown(xhtml) == f"```{kept}\nx\n```\n"


def test_code_is_exact_unless_directives_are_broken() -> None:
    xhtml = "<pre><code>{{ a }} {% b %}</code></pre><p><code>{{#include x}}</code></p>"
    assert to_markdown(xhtml) == "```\n{{ a }} {% b %}\n```\n\n`{{#include x}}`\n"
    assert to_markdown(xhtml, break_directives=True) == (
        "```\n{\u200b{ a }} {\u200b% b %}\n```\n\n`{\u200b{#include x}}`\n"
    )


def test_tex_of_a_formula_carries_no_tag_dollar_or_directive() -> None:
    """A formula's TeX is Markdown to renderers without math (mdBook, CommonMark)."""
    formula = (
        '<p>A <math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mi>x</mi>'
        '<annotation encoding="application/x-tex">{{#include /etc/passwd}} '
        "&lt;script&gt;alert(1)&lt;/script&gt; a$b</annotation></semantics></math> z</p>"
    )
    assert to_markdown(formula) == (
        "A ${{#include /etc/passwd}} < script>alert(1)< /script> a\\$b$ z\n"
    )
    bundle = to_markdown(formula, break_directives=True)
    assert "{{" not in bundle and "<script" not in bundle


# -- how markdownify is fed: its tree built from ours, its walk, our escaping ---------------


def _shape(node: PageElement) -> object:
    """A bs4 node as plain data: what the conversion reads of it."""
    if isinstance(node, NavigableString):
        return (type(node).__name__, str(node))
    assert isinstance(node, Tag)
    attributes = {
        name: list(value) if isinstance(value, list) else value
        for name, value in node.attrs.items()
        if name != "xmlns"  # a namespace declaration: not an attribute in the XML tree
    }
    return (node.name, attributes, [_shape(child) for child in node.contents])


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_input_tree_is_the_one_beautifulsoup_builds(case: Path) -> None:
    """The tree made from our parsed XHTML is what BeautifulSoup's lxml builder makes of its
    text: names, attributes (``class`` as a list), every string and its class."""
    xhtml = clean_html(case.read_text(encoding="utf-8"), GOLDEN_BASE_URL)
    body = BeautifulSoup(xhtml, "lxml").body
    expected = [_shape(child) for child in body.contents] if body is not None else []
    with soup_from_tree(parse_fragment(xhtml)) as document:
        assert [_shape(child) for child in document.contents] == expected
        assert [str(s) for s in document.descendants if isinstance(s, NavigableString)] == [
            str(s)
            for s in (body.descendants if body is not None else ())
            if isinstance(s, NavigableString)
        ]  # document order (next_element), which find_all and get_text walk


def test_converting_leaves_no_garbage_for_the_cycle_collector() -> None:
    """bs4 nodes point at each other; the tree is taken apart after use, so converting a book
    does not fill the heap with cycles (the collector's passes cost more than converting)."""
    xhtml = "<h2>T</h2><p>a <b>b</b></p><ul><li>c</li></ul><pre><code>d</code></pre>"
    to_markdown(xhtml)  # caches filled
    gc.collect()
    gc.disable()
    try:
        to_markdown(xhtml)
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("xhtml", "markdown"),
    [
        ('<ol start="3"><li>a</li><li>b</li></ol>', "3. a\n4. b\n"),
        ("<ol><li>one<ol><li>inner</li></ol></li><li>two</li></ol>", "1. one\n   1. inner\n2. two\n"),
        ("<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  - b\n"),
        ("<ul><li>a</li></ul>\n<ul><li>b</li></ul>", "- a\n\n<!-- -->\n\n- b\n"),
        (
            "<table><thead><tr><th>h</th><th>i</th></tr></thead><tbody><tr><td>1</td><td>2</td>"
            "</tr></tbody><tfoot><tr><td>f</td><td>g</td></tr></tfoot></table>",
            "| h | i |\n| --- | --- |\n| 1 | 2 |\n| f | g |\n",
        ),
        (
            '<table><tbody><tr><td>1</td><td colspan="2">2</td></tr>'
            "<tr><td>3</td><td>4</td><td>5</td></tr></tbody></table>",
            "| 1 | 2 | |\n| --- | --- | --- |\n| 3 | 4 | 5 |\n",
        ),
        ("<table><tr><td>a|b {x}</td></tr></table>", "| a\\|b \\{x} |\n| --- |\n"),
        (
            "<p>a_b _c_ *d* [e] &amp;amp; {{ x }} {% y %} ~~z~~ $5 &lt;b&gt; `t` \\</p>",
            "a_b \\_c\\_ \\*d\\* \\[e\\] \\&amp; \\{\\{ x }} \\{&#37; y %} \\~\\~z\\~\\~ \\$5 "
            "\\<b> \\`t\\` \\\\\n",
        ),
    ],
    ids=["ol-start", "nested-ol", "nested-ul", "lists-apart", "thead-tfoot", "colspan",
         "cell-escapes", "text-escapes"],
)  # fmt: skip
def test_lists_tables_and_escapes_as_markdownify_writes_them(xhtml: str, markdown: str) -> None:
    """The walk, list items, rows and escaping are ours (faster); the output is markdownify's."""
    assert to_markdown(xhtml) == markdown


@pytest.mark.parametrize(
    ("xhtml", "markdown"),
    [
        ("<ul><li>\n<span>1. not a list</span></li></ul>", "- 1\\. not a list\n"),
        ("<ul><li>\n<span># not a heading</span></li></ul>", "- \\# not a heading\n"),
    ],
)
def test_text_starting_an_item_after_dropped_whitespace_is_escaped(
    xhtml: str, markdown: str
) -> None:
    """Whitespace dropped at the start of an item no longer hides that the text starts a line."""
    assert to_markdown(xhtml) == markdown


@pytest.mark.parametrize(
    ("xhtml", "markdown"),
    [
        ('<table><tr><td colspan="\u00b2">a</td><td>b</td></tr></table>', "| a | b |\n| --- | --- |\n"),
        ('<ol start="\u00b2"><li>a</li></ol>', "1. a\n"),
    ],
)  # fmt: skip
def test_digits_int_cannot_read_are_ignored(xhtml: str, markdown: str) -> None:
    """A superscript two is a digit to str.isdigit() but not to int(): it used to crash."""
    assert to_markdown(xhtml) == markdown


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_whitespace_left_out_of_the_tree_is_whitespace_markdownify_drops(case: Path) -> None:
    """The tree is made without the whitespace-only text markdownify would drop: the same
    Markdown as from the whole tree."""
    root = parse_fragment(clean_html(case.read_text(encoding="utf-8"), GOLDEN_BASE_URL))
    with soup_from_tree(root) as whole:
        expected = BookMarkdownConverter().convert_soup(whole)
    with soup_from_tree(root, MARKDOWN_SPACE) as lean:
        assert BookMarkdownConverter().convert_soup(lean) == expected
