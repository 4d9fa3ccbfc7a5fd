"""Invariants over random HTML soup: well-formed XHTML, nothing from the deny-list, idempotent."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feed2book.clean.html import clean_html
from feed2book.clean.rules import MATHML_ATTRIBUTES, MATHML_ELEMENTS, MATHML_NS
from feed2book.convert.markdown import to_markdown
from feed2book.convert.text import block_sequence_from_xhtml, to_text
from tests.conversion_helpers import block_sequence_from_markdown, parse_xhtml

TAGS = [
    "p", "div", "span", "a", "b", "em", "strong", "code", "pre", "ul", "ol", "li", "table",
    "thead", "tbody", "tr", "td", "th", "caption", "h1", "h2", "h3", "h5", "blockquote", "figure",
    "figcaption", "img", "br", "hr", "iframe", "script", "style", "svg", "math", "object",
    "embed", "form", "input", "dl", "dt", "dd", "details", "summary", "sup", "video", "picture",
    "source", "base", "meta", "font", "section", "abbr", "kbd", "q", "ruby", "rt", "noscript",
    # MathML, and the shapes that used to lose structure
    "mi", "mn", "mo", "mtext", "mrow", "mfrac", "msup", "msubsup", "msqrt", "mspace",
    "semantics", "annotation", "annotation-xml", "mtable", "mtr", "mtd", "maction", "mglyph",
    "mmultiscripts", "mprescripts", "none", "input",
]  # fmt: skip
ATTRIBUTES = [
    'href="javascript:alert(1)"', 'href=" JaVa\tScRiPt:alert(1)"', 'src="javascript:alert(1)"',
    'onclick="alert(1)"', 'onerror=alert(1)', 'style="x:expression(alert(1))"',
    'href="#fn:1"', 'id="fn:1"', 'id="1"', 'href="/relative"', 'src="//cdn.example.com/i.png"',
    'src="data:text/html,<script>alert(1)</script>"', 'srcset="javascript:alert(1) 1x"',
    'class="highlight sql"', 'class="anchor"', 'colspan="2"', 'colspan="x"', 'dir="rtl"',
    'lang="fr"', 'width="1" height="1"', 'xlink:href="javascript:alert(1)"', 'data-src="a.png"',
    'href="vbscript:x"', 'href="data:text/html;base64,PHNjcmlwdD4="', 'name="top"',
    'encoding="application/x-tex"', 'display="block"', 'mathvariant="bold"', 'width="1em"',
    'linethickness="javascript:x"', 'alttext="x^2"', 'type="checkbox"', "checked",
    'class="line"', 'aria-hidden="true"', 'class="sr-only"', 'class="heading-link"',
]  # fmt: skip
TEXT = st.text(
    alphabet=st.sampled_from(list("ab <>&\"'*_#-1.|`[]\n\t\x00\x0b\u00a0\u4e2d\u0627\ud7ff")),
    max_size=12,
)


@st.composite
def html_soup(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        choice = draw(st.integers(0, 3))
        tag = draw(st.sampled_from(TAGS))
        if choice == 0:
            attributes = draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3))
            parts.append(f"<{tag} {' '.join(attributes)}>")
        elif choice == 1:
            parts.append(f"</{tag}>")
        else:
            parts.append(draw(TEXT))
    return "".join(parts)


DENIED_TAGS = {
    "script", "style", "iframe", "object", "embed", "form", "input", "svg", "base",
    "meta", "video", "audio", "source", "noscript", "link", "annotation-xml", "maction", "mglyph",
}  # fmt: skip
XHTML_OR_MATHML = {"http://www.w3.org/1999/xhtml", MATHML_NS}
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


def _assert_safe(xhtml: str) -> None:
    root = parse_xhtml(xhtml)
    ids: list[str] = []
    for element in root.iter():
        name = etree.QName(element)
        assert name.localname not in DENIED_TAGS and name.namespace in XHTML_OR_MATHML
        if name.namespace == MATHML_NS:  # an allowed MathML element, inside a formula
            assert name.localname in MATHML_ELEMENTS and set(element.keys()) <= set(
                MATHML_ATTRIBUTES
            )
            assert name.localname == "math" or any(
                etree.QName(ancestor).localname == "math" for ancestor in element.iterancestors()
            )
        assert name.localname != "math" or name.namespace == MATHML_NS
        for name, value in element.items():
            assert not name.lower().startswith("on")
            assert name not in {"style", "srcset", "class"} or (
                name == "class" and value.startswith("language-")
            )
            if name in {"href", "src"}:
                assert not BAD_URL.match(value) or re.match(
                    r"data:image/(png|jpeg|jpg|gif|webp);base64,", value
                )
            if name == "id":
                ids.append(value)
    assert len(ids) == len(set(ids))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_soup())
def test_soup_yields_safe_wellformed_idempotent_xhtml(html: str) -> None:
    cleaned = clean_html(html, "https://example.com/post/")
    _assert_safe(cleaned)
    assert clean_html(cleaned, "https://example.com/post/") == cleaned


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_soup())
def test_soup_markdown_round_trips_and_text_never_fails(html: str) -> None:
    cleaned = clean_html(html)
    markdown = to_markdown(cleaned)
    assert block_sequence_from_markdown(markdown) == block_sequence_from_xhtml(cleaned)
    to_text(cleaned)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_yields_wellformed_xhtml(text: str) -> None:
    _assert_safe(clean_html(text))
