"""clean_html: golden cases, the XHTML contract, sanitising, ids and embeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from feed2book.clean.html import clean_html, prefix_ids
from tests.conversion_helpers import (
    GOLDEN_BASE_URL,
    check_golden,
    golden_cases,
    parse_xhtml,
)

CASES = golden_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_golden_xhtml(case: Path) -> None:
    source = case.read_text(encoding="utf-8")
    assert source.lstrip().startswith("<!--"), (
        "each case starts with a comment saying what it tests"
    )
    check_golden(case.with_suffix(".xhtml"), clean_html(source, GOLDEN_BASE_URL))


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_golden_is_wellformed_and_idempotent(case: Path) -> None:
    cleaned = clean_html(case.read_text(encoding="utf-8"), GOLDEN_BASE_URL)
    parse_xhtml(cleaned)
    assert clean_html(cleaned, GOLDEN_BASE_URL) == cleaned


def test_at_least_thirty_golden_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "empty", ["", "   ", "\n\t", "<!-- only a comment -->", "<script>x</script>"]
)
def test_empty_input_gives_empty_string(empty: str) -> None:
    assert clean_html(empty) == ""


def test_bare_text_is_wrapped_in_a_paragraph() -> None:
    assert clean_html("just words") == "<p>just words</p>\n"


def test_no_namespace_or_declaration_in_output() -> None:
    cleaned = clean_html("<p>x</p>")
    assert "xmlns" not in cleaned and not cleaned.startswith("<?xml")


def test_xml_invalid_characters_are_removed() -> None:
    cleaned = clean_html("<p>a\x00b\x10c\ufffed</p>")
    assert cleaned == "<p>abcd</p>\n"


XSS = [
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JAVA\tSCRIPT:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<img srcset="javascript:alert(1) 2x">',
    '<svg><a xlink:href="javascript:alert(1)"><text>t</text></a></svg>',
    '<math><a xlink:href="javascript:alert(1)">m</a></math>',
    '<math><mi href="javascript:alert(1)" onclick="alert(1)">m</mi></math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">m</maction></math>',
    '<math><mglyph src="javascript:alert(1)"/><mtext style="x">t</mtext></math>',
    '<math><annotation-xml encoding="text/html"><script>alert(1)</script></annotation-xml></math>',
    "<style>p{background:url(javascript:alert(1))}</style><p>t</p>",
    '<p style="width:expression(alert(1))">t</p>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "<scr<script>ipt>alert(1)</script>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">b</button></form>',
    '<body onload="alert(1)"><p>t</p></body>',
    '<video><source onerror="alert(1)"></video>',
    '<a href="vbscript:msgbox(1)">v</a>',
]


@pytest.mark.parametrize("attack", XSS)
def test_xss_vectors_do_not_survive(attack: str) -> None:
    cleaned = clean_html(attack, "https://example.com/")
    root = parse_xhtml(cleaned)
    for element in root.iter():
        tag = etree.QName(element).localname
        assert tag not in {"script", "style", "iframe", "object", "embed", "form", "svg"}
        for name, value in element.items():
            assert not name.startswith("on") and name != "style"
            assert not re.match(r"\s*(javascript|vbscript|data):", value, re.I) or (
                name == "src" and value.startswith("data:image/")
            )
    assert "alert(1)" not in cleaned or "<" not in cleaned.split("alert(1)")[0][-1:]


def test_raster_data_image_kept_other_data_urls_dropped() -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    assert f'src="{png}"' in clean_html(f'<img src="{png}" alt="">')
    assert clean_html('<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="">') == ""


def test_remote_images_are_kept_for_the_image_stage() -> None:
    cleaned = clean_html('<p><img src="/a.png" alt="A"></p>', "https://example.com/post/")
    assert cleaned == '<p><img src="https://example.com/a.png" alt="A"/></p>\n'


@pytest.mark.parametrize(
    ("iframe", "link"),
    [
        (
            "https://www.youtube.com/embed/abcdefghijk?rel=0",
            "https://www.youtube.com/watch?v=abcdefghijk",
        ),
        ("//www.youtube.com/embed/abcdefghijk", "https://www.youtube.com/watch?v=abcdefghijk"),
        ("https://player.vimeo.com/video/42?h=ff00", "https://vimeo.com/42/ff00"),
        ("https://player.vimeo.com/video/42", "https://vimeo.com/42"),
        ("https://codepen.io/u/embed/abc", "https://codepen.io/u/embed/abc"),
    ],
)
def test_iframes_become_visible_links(iframe: str, link: str) -> None:
    cleaned = clean_html(f'<iframe src="{iframe}"></iframe>')
    assert cleaned.startswith(f'<figure><a href="{link}">')
    assert "iframe" not in cleaned


def test_audio_and_video_are_links_not_embedded_sources() -> None:
    cleaned = clean_html(
        '<video src="https://e.com/v.mp4"></video><audio src="https://e.com/a.mp3"></audio>'
    )
    assert "<video" not in cleaned and "<audio" not in cleaned
    assert ">▶ Video: https://e.com/v.mp4</a>" in cleaned
    assert ">▶ Audio: https://e.com/a.mp3</a>" in cleaned


def test_no_block_inside_paragraph() -> None:
    cleaned = clean_html(
        "<p>a <iframe src='https://youtu.be/x'></iframe> b <table><tr><td>1</td><td>2</td></tr></table></p>"
    )
    root = parse_xhtml(cleaned)
    ns = "{http://www.w3.org/1999/xhtml}"
    for paragraph in root.iter(f"{ns}p"):
        assert not [
            child
            for child in paragraph.iter()
            if child.tag in {f"{ns}figure", f"{ns}table", f"{ns}div"}
        ]


def test_duplicate_ids_are_dropped_and_ids_are_valid() -> None:
    cleaned = clean_html('<p id="1st">a</p><p id="1st">b</p><p id="x y">c</p>')
    assert cleaned == '<p id="id-1st">a</p>\n<p>b</p>\n<p id="x-y">c</p>\n'


def test_prefix_ids_prefixes_ids_and_same_document_links() -> None:
    cleaned = clean_html('<p id="a">x <a href="#a">self</a> <a href="https://e.com/#a">out</a></p>')
    prefixed = prefix_ids(cleaned, "art3-")
    assert prefixed == (
        '<p id="art3-a">x <a href="#art3-a">self</a> <a href="https://e.com/#a">out</a></p>\n'
    )
    assert prefix_ids("", "p-") == ""


def test_relative_urls_without_base_stay_relative() -> None:
    assert clean_html('<a href="/x">x</a>') == '<p><a href="/x">x</a></p>\n'


def test_headings_top_level_becomes_h2() -> None:
    assert clean_html("<h1>A</h1><h2>B</h2>") == "<h2>A</h2>\n<h3>B</h3>\n"
    assert clean_html("<h4>A</h4><h6>B</h6>") == "<h2>A</h2>\n<h3>B</h3>\n"


def test_formula_beyond_the_depth_limit_keeps_its_text() -> None:
    deep = "<p><math>" + "<mrow>" * 3000 + "<mi>x</mi>" + "</mrow>" * 3000 + "</math></p>"
    assert clean_html(deep) == "<p>x</p>\n"
    nested = "<p><math>" + "<mrow>" * 80 + "<mi>y</mi>" + "</mrow>" * 80 + "</math> z</p>"
    assert clean_html(nested) == "<p>y z</p>\n"


def test_formula_keeps_only_allowed_mathml_and_tex_annotations() -> None:
    cleaned = clean_html(
        '<math><semantics><mi class="c" id="i" mathvariant="bold" display="block">a</mi>'
        '<annotation encoding="text/plain">plain</annotation>'
        '<annotation encoding="application/x-tex">\\mathbf{a}</annotation></semantics></math>'
    )
    assert cleaned == (
        '<p><math xmlns="http://www.w3.org/1998/Math/MathML"><semantics>'
        '<mi mathvariant="bold">a</mi>'
        '<annotation encoding="application/x-tex">\\mathbf{a}</annotation></semantics></math></p>\n'
    )
