"""The cleaner's shortcuts give exactly what the walk they skip gives.

- a childless paragraph, heading, inline element or link takes its text straight into the
  output, and text with plain inline markup is copied: the same element with its content
  inside a ``<span>`` (which the walk unwraps, so it must take the long way) cleans to the same
  XHTML, in every context a walk can be in;
- ``_collapsed`` (``str.replace`` rounds) == the whitespace regex it replaced, and ``_without_non_xml``
  (``bytes.translate`` first) == the ``_NOT_XML`` regex, on any text;
- the decisions remembered per class value (widgets, hidden classes, permalink classes, code
  languages, line-number gutters) change nothing: the seed and practice feeds and the
  conversion goldens clean the same with the caches cold, warm from other articles, or warm
  from the same ones; a hostile, long value is decided but not kept;
- ``sink.finish`` leaves no empty text node where it found one (``<p></p>`` vs ``<p/>``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from feed2book.clean import codeblocks
from feed2book.clean import html as clean
from feed2book.clean.html import clean_html, clean_html_tree
from feed2book.clean.remembered import Remembered
from feed2book.xhtml.sink import finish
from tests.conftest import PRACTICE, SEEDS
from tests.conversion_helpers import GOLDEN_DIR, Item, practice_items, seed_items

# Text as feeds write it: words, every kind of HTML whitespace (and what only Unicode calls
# whitespace), runs of them, entities, characters the walk must drop.
_PIECES = [
    "word", "Wörd", "字", " ", "  ", "\n", "\t", "\r", "\f", "\xa0", "\u2003", "&amp;", "&nbsp;",
    "&#32;", "\x0b", "\x01",
]  # fmt: skip
texts = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)

# Childless elements that take a shortcut, with the attributes they may carry.
_SHORTCUTS = [
    "<p>{}</p>",
    '<p id="x" dir="rtl">{}</p>',
    "<h2>{}</h2>",
    '<h3 lang="fr">{}</h3>',
    "<figcaption>{}</figcaption>",
    "<strong>{}</strong>",
    "<em>{}</em>",
    '<abbr title="t">{}</abbr>',
    "<code>{}</code>",
    '<a href="https://example.org/a">{}</a>',
    '<a class="anchor" href="#h">{}</a>',
    '<a href="#top">{}</a>',
]
# Where the element may stand: among blocks, after a flattened block (a pending break), in an
# open paragraph, inside a list item, quote, figure, table cell, link or inline element.
_CONTEXTS = [
    "{}",
    "text {} tail",
    "<div>before</div>{}<div>after</div>",
    "<p>open {} paragraph</p>",
    "<ul><li>{}</li><li>x {} y</li></ul>",
    "<blockquote>{} {}</blockquote>",
    "<figure><img src='https://example.org/i.png'>{}</figure>",
    "<table><tr><td>{}</td></tr></table>",
    "<a href='https://example.org/'>{}</a>",
    "<b>{}<div>block</div>{}</b>",
    "<dl><dt>{}</dt><dd>{}</dd></dl>",
    "<h2><span>a</span>{}</h2>",
    "a<br>{}<br><br>{}",
]


def _wrapped(element: str) -> str:
    """``element`` with its text inside a ``<span>``: the walk unwraps it, the long way."""
    opening_end = element.index(">") + 1
    closing = element.rindex("</")
    return element[:opening_end] + "<span>" + element[opening_end:closing] + "</span>" + element[
        closing:
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    element=st.sampled_from(_SHORTCUTS),
    context=st.sampled_from(_CONTEXTS),
    text=texts,
    around=texts,
)
def test_a_childless_element_cleans_as_its_text_walked(
    element: str, context: str, text: str, around: str
) -> None:
    short = context.replace("{}", around + element.format(text) + around)
    long = context.replace("{}", around + _wrapped(element.format(text)) + around)
    assert _cleaned(short) == _cleaned(long)


# Markup the plain-run shortcut copies (and some it must leave to the walk: attributes, a
# relative or spaced address, a hiding class, an image, nested links).
_RUN_ELEMENTS = [
    "<strong>{}</strong>", "<em>{}</em>", "<b>{}</b>", "<sub>{}</sub>", "<code>{}</code>",
    '<code class="language-js">{}</code>', '<code class="hidden">{}</code>',
    '<a href="https://example.org/x">{}</a>', '<a href="/relative">{}</a>',
    '<a href=" https://example.org/x ">{}</a>', '<a href="https://example.org/post/">{}</a>',
    '<strong id="s">{}</strong>', '<img src="https://example.org/i.png">{}', "<br>{}",
    "<span>{}</span>",
]  # fmt: skip


@st.composite
def plain_markup(draw: st.DrawFn, nesting: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            parts.append(draw(texts))
            continue
        element = draw(st.sampled_from(_RUN_ELEMENTS))
        inside = draw(plain_markup(nesting + 1)) if nesting < 2 else draw(texts)
        parts.append(element.format(inside))
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(
    holder=st.sampled_from(
        ["<p>{}</p>", "<h2>{}</h2>", "<strong>{}</strong>", '<a href="https://example.org/">{}</a>']
    ),
    context=st.sampled_from(_CONTEXTS),
    markup=plain_markup(),
)
def test_plain_inline_markup_cleans_as_walked(holder: str, context: str, markup: str) -> None:
    # (an <a> inside an <a> is closed by the HTML parser itself, differently with the <span>)
    assume(not (holder.startswith("<a") and "<a " in markup))
    short = context.replace("{}", holder.format(markup))
    long = context.replace("{}", holder.format("<span>" + markup + "</span>"))
    assert _cleaned(short) == _cleaned(long)


# Shapes where the copy must do what the walk's joins do.
_JOINS = [
    "a<br> b", "a<br>\n b<br> ", "<br> a", "<b>a</b> <br> <i>b</i>", "<b> </b> c", "x<code> </code>y",
    " <strong>a</strong> ", "\n<em>a\n\nb</em>\t", "a <b>&#160;</b> b", "<b><br></b> a",
    "<b><i>x</i> </b> <br>y", "<a href='https://example.org/x'> a </a><br>\fb",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_JOINS), plain_markup()), max_size=4).map("".join))
def test_a_paragraph_of_plain_markup_cleans_as_walked(markup: str) -> None:
    for holder in ("<p>{}</p>", "<div>x</div><p>{}</p>", "<h3>{}</h3>", "<li>{}</li>"):
        short = holder.format(markup)
        long = holder.format("<span>" + markup + "</span>")
        assert _cleaned(short) == _cleaned(long)


def _cleaned(html: str) -> tuple[str, str, list[str]]:
    problems: list[str] = []
    xhtml, tree = clean_html_tree(html, "https://example.org/post/", on_problem=problems.append)
    return xhtml, etree.tostring(tree, encoding="unicode"), problems


# What ``_collapsed`` replaced: HTML's whitespace characters, a run of them as one space.
HTML_SPACES = re.compile(r"[ \t\n\r\f]+")


@given(st.text(alphabet=st.sampled_from(" \t\n\r\f\v\xa0\u2003ab\u0085"), max_size=60))
def test_collapsed_is_the_whitespace_regex(text: str) -> None:
    assert clean._collapsed(text) == HTML_SPACES.sub(" ", text)


def test_collapsed_takes_long_runs_in_few_rounds() -> None:
    text = "a" + " \n" * 100_000 + "b"
    assert clean._collapsed(text) == "a b"


_XML_EDGES = ["\x00", "\x08", "\x09", "\x0a", "\x0b", "\x0c", "\x0d", "\x1f", "\x7f", "\x85",
              "\ud800", "\udfff", "\ufffe", "\uffff", "\ufffd", "é", "字", "😀", "a", "<"]  # fmt: skip


@given(st.text(alphabet=st.sampled_from(_XML_EDGES), max_size=40))
def test_without_non_xml_is_the_regex(text: str) -> None:
    assert clean._without_non_xml(text) == clean._NOT_XML.sub("", text)


def _corpus() -> list[Item]:
    items = [
        Item(path.name, "", path.read_text(encoding="utf-8"), "https://example.org/post/")
        for path in sorted(GOLDEN_DIR.glob("*.html"))
    ]
    if SEEDS.is_dir():
        items += seed_items()
    if PRACTICE.is_dir():
        items += practice_items()
    return items


_CACHES: list[Remembered[Any]] = [
    clean._widget,
    clean._hidden_classes,
    clean._anchor_class,
    codeblocks._class_language,
    codeblocks._gutter_or_line,
]


def _forget() -> None:
    for cache in _CACHES:
        cache.cache_clear()


def test_remembered_decisions_do_not_depend_on_what_was_cleaned_before() -> None:
    items = _corpus()
    assert len(items) >= len(list(GOLDEN_DIR.glob("*.html"))) > 30  # the goldens at least

    def each(order: list[Item], *, cold: bool) -> dict[str, str]:
        results = {}
        for item in order:
            if cold:
                _forget()
            results[item.name + item.link + item.html] = clean_html(item.html, item.base or None)
        return results

    cold = each(items, cold=True)
    assert each(items, cold=False) == cold  # warm from the articles before each one
    assert each(list(reversed(items)), cold=False) == cold  # warm from the same ones too
    assert all(cache.cache_info().hits for cache in _CACHES)


def test_a_long_class_value_is_decided_each_time_not_remembered() -> None:
    _forget()
    hostile = "widget " * 100_000 + "sharedaddy"  # (a share bar: a widget)
    html = f'<p>kept</p><div class="{hostile}">dropped</div><p class="{hostile}">also dropped</p>'
    assert clean_html(html) == "<p>kept</p>\n"
    assert all(cache.cache_info().currsize == 0 for cache in _CACHES)
    assert clean_html('<div class="sharedaddy">dropped</div>') == ""
    assert clean._widget.cache_info().currsize == 1


@pytest.mark.parametrize(
    ("xml", "finished"),
    [
        ("<p>  a  </p>", "<p>a</p>"),
        ("<p>a<b> </b></p>", "<p>a</p>"),
        ("<p><br/> a <br/></p>", "<p>a</p>"),
        ("<p>a<b>b</b> </p>", "<p>a<b>b</b></p>"),
    ],
)
def test_finish_trims_what_a_block_starts_and_ends_with(xml: str, finished: str) -> None:
    element = etree.fromstring(xml)
    finish(element)
    assert etree.tostring(element, encoding="unicode") == finished


def test_finish_leaves_no_empty_text_node() -> None:
    element = etree.fromstring("<p>x</p>")
    element.text = ""  # an empty text node: serialised as <p></p>
    finish(element)
    assert element.text is None
    assert etree.tostring(element, encoding="unicode") == "<p/>"
