"""to_markdown: golden cases, the round-trip property and the Markdown rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from feed2book.clean.html import clean_html
from feed2book.convert.markdown import to_markdown
from feed2book.convert.text import block_sequence_from_xhtml
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
