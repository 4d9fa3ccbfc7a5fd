"""to_text and count_words."""

from __future__ import annotations

import pytest

from feed2book.clean.html import clean_html
from feed2book.convert.text import block_sequence_from_xhtml, count_words, to_text


def test_paragraphs_lists_tables_and_code() -> None:
    xhtml = clean_html(
        "<h1>Title</h1><p>One <b>two</b><br>three</p><ul><li>a<ul><li>b</li></ul></li></ul>"
        "<ol start='3'><li>c</li></ol><table><tr><th>k</th><th>v</th></tr><tr><td>x</td>"
        "<td>y</td></tr></table><pre><code class='language-py'>if x:\n    y()\n</code></pre>"
        "<figure><img src='https://e.com/i.png' alt='pic'><figcaption>Cap</figcaption></figure>"
    )
    assert to_text(xhtml) == (
        "Title\n\nOne two\nthree\n\n- a\n  - b\n\n3. c\n\nk | v\nx | y\n\nif x:\n    y()\n\nCap"
    )


def test_empty() -> None:
    assert to_text("") == ""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("one two  three", 3),
        ("don't stop-me now, e.g. here", 5),
        ("我们用代码解决问题", 9),
        ("今日はRustを勉強", 7),
        ("Hello 世界", 3),
        ("  --  ***  ", 0),
        ("مرحبا بالعالم", 2),
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


def test_block_sequence_from_xhtml() -> None:
    xhtml = clean_html(
        "<h2>A</h2><p>b</p><ul><li>c<ul><li>d</li></ul></li></ul>"
        "<pre><code class='language-sql'>x</code></pre><blockquote><p>q</p></blockquote><hr>"
        "<table><tr><td colspan='2'>1</td></tr><tr><td>2</td><td>3</td></tr></table>"
    )
    assert block_sequence_from_xhtml(xhtml) == [
        ("h2", ""),
        ("p", ""),
        ("li", ""),
        ("li", ""),
        ("code", "sql"),
        ("blockquote", ""),
        ("p", ""),
        ("hr", ""),
        ("table", "2x2"),
    ]
