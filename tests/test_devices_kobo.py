"""``--device kobo`` (a kepub), ``koreader``, ``apple`` and ``generic``: what each profile does to
a book, checked on the books themselves (EPUBCheck included)."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.delivery.devices import APPLE_OPTIONS_PATH, PROFILES, apply_device, for_device
from feed2book.delivery.kepub import kepub_bytes, kepub_page, sentences
from feed2book.delivery.options import Device
from tests.conftest import DATA
from tests.epubcheck_helper import assert_all_epubcheck_clean

X = "{http://www.w3.org/1999/xhtml}"
OPS_TYPE = "{http://www.idpf.org/2007/ops}type"
FEED = DATA / "feeds" / "kobo-sentences.xml"
KEPT = {"pre", "script", "style", "svg", "math", "audio", "video", "textarea"}
KOBO_ID = re.compile(r"^kobo\.(\d+)\.(\d+)$")
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def build(tmp_path: Path, name: str, *options: str, feed: Path = FEED) -> Path:
    """The one book ``epub`` makes of ``feed`` with ``options``, in ``tmp_path/name/``."""
    out = tmp_path / name
    code, err = run("epub", str(feed), "-g", "none", "--images", "none", "--full-text", "never",
                    *options, "-o", str(out))
    assert code == 0, err
    [book] = out.iterdir()
    return book


def entries(epub: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pages(epub: bytes) -> dict[str, etree._Element]:
    """Every XHTML page but the navigation document, parsed."""
    return {
        name: etree.fromstring(data)
        for name, data in entries(epub).items()
        if name.endswith(".xhtml") and not name.endswith("/nav.xhtml")
    }


def body_text(page: etree._Element) -> str:
    body = page.find(X + "body")
    assert body is not None
    return "".join(body.itertext())


def kobo_ids(page: etree._Element) -> list[str]:
    return [span.get("id", "") for span in page.iter(X + "span") if span.get("class") == "koboSpan"]


def text_outside_spans(element: etree._Element) -> str:
    """The text of ``element`` that is in no koboSpan and in no element kept as written."""
    if not isinstance(element.tag, str) or etree.QName(element).localname in KEPT:
        return ""
    if element.get("class") == "koboSpan":
        return ""
    return (element.text or "") + "".join(
        text_outside_spans(child) + (child.tail or "") for child in element
    )


def assert_numbered_in_order(ids: list[str]) -> None:
    """``kobo.1.1``, then either the next sentence of the paragraph or sentence 1 of the next."""
    numbers = [tuple(map(int, KOBO_ID.match(i).groups())) for i in ids]  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids)
    for before, after in zip([(1, 0), *numbers], numbers, strict=False):
        assert after in ((before[0], before[1] + 1), (before[0] + 1, 1)), (before, after)


def page_of(markup: str, lang: str = "en") -> etree._Element:
    return etree.fromstring(
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}"><head><title>t</title></head>'
        f"<body>{markup}</body></html>"
    )


def inner_markup(page: etree._Element) -> str:
    inner = page.find(f".//{X}div[@id='book-inner']")
    assert inner is not None
    text = etree.tostring(inner, encoding="unicode", with_tail=False)
    text = text.replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    return text.removeprefix('<div id="book-inner">').removesuffix("</div>")


# --- sentences ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ink is calm. Pages turn! Really?", ["Ink is calm. ", "Pages turn! ", "Really?"]),
        ("Version 3.14 of example.com is out.", ["Version 3.14 of example.com is out."]),
        ("Tea, e.g. green, etc. Then rest.", ["Tea, e.g. green, etc. ", "Then rest."]),
        ('He said "stop." Then left…  Gone', ['He said "stop." ', "Then left…  ", "Gone"]),
        ("目にやさしい。夜でも読める！本当？はい", ["目にやさしい。", "夜でも読める！", "本当？", "はい"]),
        ("「読む。」次", ["「読む。」", "次"]),
        ("هل تقرأ؟ نعم.", ["هل تقرأ؟ ", "نعم."]),
        ("میں پڑھتا ہوں۔ کتاب اچھی ہے۔", ["میں پڑھتا ہوں۔ ", "کتاب اچھی ہے۔"]),
        ("मैं पढ़ता हूँ। यह अच्छी है॥", ["मैं पढ़ता हूँ। ", "यह अच्छी है॥"]),
        ("ฉันชอบอ่านหนังสือ อากาศเย็นสบาย", ["ฉันชอบอ่านหนังสือ อากาศเย็นสบาย"]),
    ],
)
def test_sentences_end_at_the_full_stops_of_each_script(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@settings(deadline=None)  # a loaded CI machine is slow, not wrong
@given(st.text())
def test_sentences_joined_are_the_text(text: str) -> None:
    pieces = sentences(text)
    assert "".join(pieces) == text
    assert all(pieces)


# --- one page -----------------------------------------------------------------------------------


def test_spans_nest_inside_inline_markup_and_leave_code_blocks_alone() -> None:
    page = page_of(
        "<h1>Notes</h1>"
        "<p>One <em>two. Three</em> four. <code>a. b</code> end.</p>"
        "<pre><code>x = 1. y = 2.</code></pre>"
        '<ul> <li>Item.</li> </ul><p><img src="i.png" alt=""/> After.</p>'
    )
    assert kepub_page(page)
    assert inner_markup(page) == (
        '<h1><span class="koboSpan" id="kobo.1.1">Notes</span></h1>'
        '<p><span class="koboSpan" id="kobo.2.1">One</span> <em>'
        '<span class="koboSpan" id="kobo.2.2">two. </span>'
        '<span class="koboSpan" id="kobo.2.3">Three</span></em> '
        '<span class="koboSpan" id="kobo.2.4">four.</span> '
        '<code><span class="koboSpan" id="kobo.2.5">a. b</span></code> '
        '<span class="koboSpan" id="kobo.2.6">end.</span></p>'
        "<pre><code>x = 1. y = 2.</code></pre>"
        '<ul> <li><span class="koboSpan" id="kobo.3.1">Item.</span></li> </ul>'
        '<p><span class="koboSpan" id="kobo.4.1"><img src="i.png" alt=""/></span> '
        '<span class="koboSpan" id="kobo.4.2">After.</span></p>'
    )
    head = page.find(X + "head")
    assert head is not None and head[-1].get("class") == "kobostylehacks"


def test_no_span_where_the_content_model_forbids_one() -> None:
    page = page_of(
        '<picture><source srcset="a.png"/><img src="a.png" alt=""/></picture>'
        "<table> <tr> <td>Cell one. Two.</td> </tr> </table>"
    )
    assert kepub_page(page)
    assert inner_markup(page) == (
        '<picture><source srcset="a.png"/><img src="a.png" alt=""/></picture>'
        '<table> <tr> <td><span class="koboSpan" id="kobo.1.1">Cell one. </span>'
        '<span class="koboSpan" id="kobo.1.2">Two.</span></td> </tr> </table>'
    )


def test_a_page_without_text_or_an_already_kepub_page_is_left_alone() -> None:
    cover = page_of('<svg xmlns="http://www.w3.org/2000/svg"><text>Title</text></svg>')
    assert not kepub_page(cover)
    once = page_of("<p>Done.</p>")
    assert kepub_page(once)
    assert not kepub_page(once)
    assert kobo_ids(once) == ["kobo.1.1"]


TEXT = st.text(alphabet=st.sampled_from("ab .!?。؟।\n\u00a0ไ"), max_size=12)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # each case builds a page
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p", "div", "li", "pre", "blockquote", "h2", "em", "bdi", "a"]),
            TEXT,
            st.sampled_from(["em", "code", "strong", "span"]),
            TEXT,
            TEXT,
        ),
        max_size=6,
    )
)
def test_any_page_keeps_its_text_and_puts_all_of_it_in_spans(
    parts: list[tuple[str, str, str, str, str]],
) -> None:
    markup = "".join(
        f"<{outer}>{text}<{inner}>{inside}</{inner}></{outer}>{tail}"
        for outer, text, inner, inside, tail in parts
    )
    page = page_of(f"<div>{markup}</div>")
    before = body_text(page)
    kepub_page(page)
    again = etree.fromstring(etree.tostring(page))  # well-formed once serialised
    body = again.find(X + "body")
    assert body is not None
    assert body_text(again) == before
    assert text_outside_spans(body).strip() == ""
    assert_numbered_in_order(kobo_ids(again))


# --- whole books --------------------------------------------------------------------------------


def test_kobo_book_is_a_kepub_named_kepub_epub(tmp_path: Path) -> None:
    kobo = build(tmp_path, "kobo", "--device", "kobo", "-g", "series")
    again = build(tmp_path, "again", "--device", "kobo", "-g", "series")
    assert kobo.name.endswith(".kepub.epub") and kobo.name.count(".epub") == 1
    assert kobo.read_bytes() == again.read_bytes()  # reproducible
    plain = build(tmp_path, "plain", "-g", "series").read_bytes()
    assert for_device(plain, Device.KOBO) == kobo.read_bytes()  # what an OPDS server would call
    data = kobo.read_bytes()
    opf = entries(data)["OEBPS/content.opf"].decode()
    assert '<meta property="belongs-to-collection" id="series">Reading notes</meta>' in opf
    assert '<meta refines="#series" property="collection-type">series</meta>' in opf
    assert '<meta refines="#series" property="group-position">1</meta>' in opf
    every = pages(data)
    article = next(page for page in every.values() if "Except a reading lamp" in body_text(page))
    refs = [a.get("href") for a in article.iter(X + "a") if a.get(OPS_TYPE) == "noteref"]
    notes = [aside.get("id") for aside in article.iter(X + "aside") if aside.get(OPS_TYPE) == "footnote"]
    assert refs == ["#fn-1", "#fn-2"] and notes == ["fn-1", "fn-2"]
    inner = article.find(f".//{X}div[@id='book-columns']/{X}div[@id='book-inner']")
    assert inner is not None
    for name, page in every.items():
        if name.endswith("cover.xhtml"):
            assert kobo_ids(page) == []
            continue
        assert_numbered_in_order(kobo_ids(page))
        assert text_outside_spans(page.find(X + "body")).strip() == "", name  # type: ignore[arg-type]
    nav = entries(data)["OEBPS/nav.xhtml"]
    assert b"koboSpan" not in nav
    assert_all_epubcheck_clean({"kobo": data})


def test_a_kepub_holds_the_text_of_the_book_it_was_made_from(tmp_path: Path) -> None:
    plain = build(tmp_path, "plain").read_bytes()
    kepub = kepub_bytes(plain)
    before, after = pages(plain), pages(kepub)
    assert before.keys() == after.keys()
    for name, page in after.items():
        assert body_text(page) == body_text(before[name]), name
    assert kepub_bytes(kepub) == kepub  # already a kepub: unchanged
    assert entries(kepub)["OEBPS/nav.xhtml"] == entries(plain)["OEBPS/nav.xhtml"]


def test_real_feeds_as_kepubs_keep_their_text_and_pass_epubcheck(
    practice: list[Path], tmp_path: Path
) -> None:
    wanted = ("rtl-bbc-urdu", "cjk-octopress", "hugo-", "wordpress-sametmax", "cyrillic")
    books = {}
    for feed in [path for path in practice if path.name.startswith(wanted)]:
        plain = build(tmp_path, feed.stem, feed=feed).read_bytes()
        kepub = kepub_bytes(plain)
        for name, page in pages(kepub).items():
            assert body_text(page) == body_text(pages(plain)[name]), (feed.name, name)
            assert text_outside_spans(page.find(X + "body")).strip() == ""  # type: ignore[arg-type]
            assert_numbered_in_order(kobo_ids(page)) if kobo_ids(page) else None
        books[feed.stem] = kepub
    assert len(books) == 5
    assert_all_epubcheck_clean(books)


def test_an_epub_and_a_kepub_of_one_book_live_side_by_side(tmp_path: Path) -> None:
    out = tmp_path / "books"
    for options in ((), ("--device", "kobo"), (), ("--device", "kobo")):
        code, err = run("epub", str(FEED), "-g", "none", "--images", "none", "--full-text", "never",
                        *options, "-o", str(out))
        assert code == 0, err
    assert sorted(path.name for path in out.iterdir()) == [
        "reading-notes-2026-06-01--2026-06-03.epub",
        "reading-notes-2026-06-01--2026-06-03.kepub.epub",
    ]
    code, err = run("epub", str(FEED), "-g", "none", "--images", "none", "--full-text", "never",
                    "--device", "kobo", "-o", str(tmp_path / "named.epub"))
    assert code == 0 and (tmp_path / "named.epub").is_file()  # a name given is kept


# --- the other profiles -------------------------------------------------------------------------


def test_koreader_and_apple_get_pop_ups_generic_gets_the_book_as_built(tmp_path: Path) -> None:
    plain = build(tmp_path, "plain").read_bytes()
    generic = build(tmp_path, "generic", "--device", "generic").read_bytes()
    koreader = build(tmp_path, "koreader", "--device", "koreader").read_bytes()
    apple = build(tmp_path, "apple", "--device", "apple").read_bytes()
    assert generic == plain
    for data in (koreader, apple):
        page = b"".join(entries(data).values())
        assert page.count(b'epub:type="noteref"') == 2 and page.count(b'epub:type="footnote"') == 2
        assert b"koboSpan" not in page
    assert APPLE_OPTIONS_PATH not in entries(koreader)
    options = etree.fromstring(entries(apple)[APPLE_OPTIONS_PATH])
    assert [(o.get("name"), o.text) for o in options.iter("option")] == [("specified-fonts", "true")]
    with zipfile.ZipFile(io.BytesIO(apple)) as archive:
        info = archive.getinfo(APPLE_OPTIONS_PATH)
        assert info.date_time == (1980, 1, 1, 0, 0, 0) and archive.namelist()[0] == "mimetype"
    [finding] = apply_device(plain, Device.KOREADER).findings
    assert finding.line().endswith(": 2 footnotes made KOReader pop-ups (fixed)")
    assert_all_epubcheck_clean({"koreader": koreader, "apple": apple})


def test_image_edge_per_device_unless_given(tmp_path: Path) -> None:
    """Apple gets 2000 px images, other devices 1600; ``--image-max-px`` always wins."""
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 1500), (200, 120, 40)).save(buffer, "PNG")
    picture = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    feed = tmp_path / "pictures.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Pictures</title>'
        "<link>https://pictures.example/</link><item><title>Wide</title>"
        "<link>https://pictures.example/1</link><pubDate>Mon, 01 Jun 2026 10:00:00 GMT</pubDate>"
        f'<description>&lt;p&gt;A wide one.&lt;/p&gt;&lt;img src="{picture}" alt="wide"/&gt;'
        "</description></item></channel></rss>"
    )

    def widths(*options: str) -> list[int]:
        out = tmp_path / "-".join(options)
        code, err = run("epub", str(feed), "--no-cover", "--full-text", "never", *options, "-o", str(out))
        assert code == 0, err
        [book] = out.iterdir()
        images = [d for n, d in entries(book.read_bytes()).items() if n.endswith((".png", ".jpg"))]
        return [Image.open(io.BytesIO(data)).width for data in images]

    assert set(PROFILES) == set(Device)
    assert PROFILES[Device.APPLE].image_max_px == 2000
    assert widths("--device", "apple") == [2000]
    assert widths("--device", "kobo") == [1600]
    assert widths("--device", "apple", "--image-max-px", "1600") == [1600]


@pytest.mark.parametrize("command", [("epub", "--images", "none"), ("sync",)])
def test_max_mb_without_send_is_a_usage_error(command: tuple[str, ...], tmp_path: Path) -> None:
    code, err = run(*command, "--max-mb", "5", "-o", str(tmp_path / "out"))
    assert code == 2 and "--max-mb needs --send" in err


def test_check_has_rules_for_kindle_only(tmp_path: Path) -> None:
    book = build(tmp_path, "plain")
    code, err = run("check", str(book), "--device", "kobo")
    assert code == 2 and "check has rules for kindle only, not kobo" in err
