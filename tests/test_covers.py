"""Generated covers: determinism, contrast (colour and grey), text fitting, scripts, packaging."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from feed2book.covers.colour import MIN_DECORATION_CONTRAST, WCAG_AA, contrast_ratio
from feed2book.covers.fonts import FontFace, FontStack, system_face
from feed2book.covers.render import (
    COVER_SIZE,
    EXAMPLE_SPECS,
    CoverLayout,
    CoverSpec,
    cover_bytes,
    default_theme,
    layout_cover,
    load_cover_file,
    render_cover,
    render_gallery,
    theme_names,
)
from feed2book.covers.theme import load_theme, parse_theme
from feed2book.covers.typeset import Box, TextBlock, TextStyle, set_text
from feed2book.errors import UsageError
from feed2book.group import BookOptions, GroupBy, group_articles
from feed2book.models import FeedInfo
from feed2book.output.books import cover_spec
from tests.factory import make_article

THEMES = theme_names()
WIDTH, HEIGHT = COVER_SIZE
MARGIN = round(0.08 * WIDTH) - 4  # every theme keeps text 8% from the edges (minus side bearing)
LONG_TITLE = EXAMPLE_SPECS[-1]
CJK = CoverSpec("cjk", "分布式系统的设计笔记", "林美", "2023 – 2024", 12, "zh")
ARABIC = CoverSpec("ar", "مقدمة في تعلم الآلة للمطورين", "سمير حداد", "2024", 9, "ar")
HEBREW = CoverSpec("he", "מבוא ללמידת מכונה למפתחים", "נועה לוי", "2024", 5, "he")
GREEK_CYRILLIC = CoverSpec("gr", "Συστήματα και Распределённые системы", "Ελένη Жукова", "", 3)


def _grey_contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """Contrast after Pillow's own RGB -> L conversion, as an e-ink reader would show it."""
    pixels = Image.new("RGB", (2, 1))
    pixels.putpixel((0, 0), first)
    pixels.putpixel((1, 0), second)
    grey = pixels.convert("L")
    a, b = (grey.getpixel((x, 0)) for x in (0, 1))
    assert isinstance(a, int) and isinstance(b, int)
    return contrast_ratio((a, a, a), (b, b, b))


def _assert_legible(layout: CoverLayout) -> None:
    for placed in layout.texts:
        assert contrast_ratio(placed.ink, placed.surface) >= WCAG_AA, placed.content
        assert _grey_contrast(placed.ink, placed.surface) >= WCAG_AA, placed.content


def _glyph_ids(face: FontFace, text: str) -> list[int]:
    """Glyph ids from the face's own cmap, read independently of the code under test (0 = .notdef)."""
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        cmap = font.getBestCmap()
        order = font.getGlyphOrder()
        return [
            order.index(cmap[ord(char)]) if ord(char) in cmap else 0
            for char in text
            if not char.isspace() and unicodedata.category(char) != "Cf"
        ]


def _assert_no_notdef(layout: CoverLayout) -> None:
    for placed in layout.texts:
        for run in placed.block.runs:
            assert 0 not in _glyph_ids(run.face, run.text), (run.text, run.face)


# --- themes -------------------------------------------------------------------------------


def test_at_least_three_themes_and_all_validate() -> None:
    assert {"typographic", "geometric", "series"} <= set(THEMES)
    for name in THEMES:
        theme = load_theme(name)
        assert theme.name == name
        assert any(slot.content == "title" for slot in theme.slots)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["palette"]["surfaces"].pop("background"), "background"),
        (lambda d: d["slots"][0].update(box=[0.5, 0.1, 0.2, 0.9]), "box"),
        (lambda d: d["slots"][0].update(font="missing"), "unknown surface or font"),
        (lambda d: d["motif"].update(name="spirals"), "motif"),
        (lambda d: d["fonts"]["serif"]["faces"].insert(0, "nope/Nope.otf"), "not shipped"),
    ],
)
def test_broken_theme_is_rejected(change: object, message: str) -> None:
    import tomllib
    from importlib.resources import files

    data = tomllib.loads(files("feed2book.covers.themes").joinpath("typographic.toml").read_text())
    assert callable(change)
    change(data)
    with pytest.raises((ValueError, KeyError), match=message):
        parse_theme(data)


def test_unknown_theme_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown cover theme 'nope'"):
        layout_cover(EXAMPLE_SPECS[0], "nope")


def test_default_theme() -> None:
    assert default_theme(EXAMPLE_SPECS[1]) == "series"  # "Days 19–49"
    assert default_theme(EXAMPLE_SPECS[0]) in THEMES
    assert default_theme(CoverSpec("k", "T", subtitle="2023 – 2024")) != "series"
    assert default_theme(EXAMPLE_SPECS[0]) == default_theme(EXAMPLE_SPECS[0])


# --- determinism, size, formats -----------------------------------------------------------


@pytest.mark.parametrize("theme", THEMES)
def test_same_key_same_bytes_and_size_limits(theme: str) -> None:
    first = cover_bytes(LONG_TITLE, theme)
    assert first == cover_bytes(LONG_TITLE, theme)
    assert len(first) < 500_000
    with Image.open(io.BytesIO(first)) as image:
        assert image.format == "JPEG"
        assert image.size == COVER_SIZE
        assert "exif" not in image.info


def test_png_on_request() -> None:
    data = cover_bytes(EXAMPLE_SPECS[0], "geometric", "PNG")
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", COVER_SIZE, "RGB")


@pytest.mark.parametrize("theme", THEMES)
def test_different_keys_give_different_colours(theme: str) -> None:
    backgrounds = {layout_cover(CoverSpec(f"key-{n}", "Title"), theme).background for n in range(8)}
    assert len(backgrounds) >= 6


# --- contrast -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.text(min_size=1, max_size=40), theme=st.sampled_from(THEMES))
def test_text_contrast_is_wcag_aa_in_colour_and_grey(key: str, theme: str) -> None:
    spec = CoverSpec(key, "A Title", "An Author", "Days 1–9", 9)
    layout = layout_cover(spec, theme, system_fonts=False)
    assert {t.content for t in layout.texts} >= {"title", "author"}
    _assert_legible(layout)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.text(min_size=1, max_size=40), theme=st.sampled_from(THEMES))
def test_motif_colours_stay_apart_in_grey(key: str, theme: str) -> None:
    """On e-ink a motif whose tones are close in grey fades into its ground: every two
    different colours of the motif and the ground stay apart."""
    layout = layout_cover(CoverSpec(key, "A Title"), theme, system_fonts=False)
    colours = sorted({shape.fill for shape in layout.layers[0].shapes} | {layout.background})
    assert len(colours) >= 3
    for number, first in enumerate(colours):
        for second in colours[number + 1 :]:
            assert _grey_contrast(first, second) >= MIN_DECORATION_CONTRAST, (first, second)


@pytest.mark.parametrize("theme", THEMES)
def test_text_really_sits_on_its_surface(theme: str) -> None:
    """The surface the contrast was computed against is what is drawn behind the text."""
    layout = layout_cover(EXAMPLE_SPECS[1], theme)
    image = render_cover(EXAMPLE_SPECS[1], theme)
    for placed in layout.texts:
        left, top, right, bottom = placed.block.bbox
        region = image.crop((left - 6, top - 6, right + 6, bottom + 6))
        colours = region.getcolors(maxcolors=region.width * region.height)
        assert colours is not None
        most_common = max(colours, key=lambda pair: pair[0])[1]
        assert most_common == placed.surface, placed.content


# --- fitting long titles ------------------------------------------------------------------

_WORDS = st.text(
    alphabet=st.characters(codec="latin-1", categories=["Lu", "Ll"]), min_size=1, max_size=14
)


@settings(max_examples=40, deadline=None)
@given(words=st.lists(_WORDS, min_size=1, max_size=60), theme=st.sampled_from(THEMES))
def test_titles_stay_inside_margins_and_break_between_words(words: list[str], theme: str) -> None:
    title = " ".join(words)
    layout = layout_cover(CoverSpec("k", title, "Author Name", "Issues 3–9", 7), theme)
    for placed in layout.texts:
        left, top, right, bottom = placed.block.bbox
        assert left >= MARGIN and right <= WIDTH - MARGIN, placed.content
        assert top >= 0 and bottom <= HEIGHT, placed.content
    block = next(t.block for t in layout.texts if t.content == "title")
    assert not block.ellipsized
    assert " ".join(block.lines).split() == words  # whole words, in order, never cut


def _title_block(spec: CoverSpec, theme: str) -> TextBlock:
    return next(t.block for t in layout_cover(spec, theme).texts if t.content == "title")


def test_very_long_titles_shrink_and_wrap_to_more_lines_never_cut() -> None:
    latin = " ".join(["Extraordinarily"] * 80)
    arabic = " ".join([ARABIC.title] * 16)
    for theme in THEMES:
        style = next(s.style for s in load_theme(theme).slots if s.content == "title")
        block = _title_block(CoverSpec("k", latin), theme)
        assert not block.ellipsized and " ".join(block.lines) == latin
        assert block.size < style.min_size and len(block.lines) > style.max_lines
        block = _title_block(replace(ARABIC, title=arabic), theme)
        assert block.rtl and not block.ellipsized and " ".join(block.lines) == arabic
        assert len(block.lines) > style.max_lines


def _square_font(path: Path, chars: str) -> FontFace:
    """A font of our own whose every glyph is a square: lets CJK wrapping be tested without a
    CJK font installed."""
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space", "square"])
    builder.setupCharacterMap({32: "space", **{ord(char): "square" for char in chars}})
    pen = TTGlyphPen(None)
    pen.moveTo((100, -50))
    pen.lineTo((100, 750))
    pen.lineTo((900, 750))
    pen.lineTo((900, -50))
    pen.closePath()
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "space": empty, "square": pen.glyph()})
    builder.setupHorizontalMetrics({".notdef": (1000, 0), "space": (300, 0), "square": (1000, 100)})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Squares", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))
    return FontFace(str(path))


def test_very_long_cjk_title_wraps_between_characters_never_cut(tmp_path: Path) -> None:
    title = "分布式系统的设计笔记与实践：从单机缓存到全球一致性复制，" * 6
    stack = FontStack((_square_font(tmp_path / "squares.ttf", title),), language="zh", system=False)
    box = Box(128, 1357, 1472, 2181)  # the typographic theme's title box
    style = TextStyle(max_size=280, min_size=96, max_lines=6, line_height=1.04)
    block = set_text(title, stack, box, style)
    assert block is not None and not block.ellipsized
    assert "".join(block.lines) == title and len(block.lines) > style.max_lines
    assert block.size < style.min_size
    assert not any(line.startswith(("：", "，")) for line in block.lines)  # kinsoku
    left, top, right, bottom = block.bbox
    assert box.left <= left and right <= box.right and box.top <= top and bottom <= box.bottom


def test_short_title_is_set_large() -> None:
    block = layout_cover(CoverSpec("k", "Go"), "typographic").texts[0].block
    assert block.size >= 250 and not block.ellipsized


# --- scripts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec", [ARABIC, HEBREW, GREEK_CYRILLIC], ids=["arabic", "hebrew", "greek"]
)
def test_shipped_fonts_cover_arabic_hebrew_greek_cyrillic(spec: CoverSpec) -> None:
    for theme in THEMES:
        layout = layout_cover(spec, theme, system_fonts=False)
        assert layout.omitted == ()
        _assert_no_notdef(layout)


def test_rtl_titles_are_right_to_left() -> None:
    for spec in (ARABIC, HEBREW):
        block = next(
            t.block for t in layout_cover(spec, "typographic").texts if t.content == "title"
        )
        assert block.rtl
        first_line = [run for run in block.runs if run.origin[1] == block.runs[0].origin[1]]
        first_word = next(run for run in first_line if run.text == spec.title.split()[0])
        # the first word in reading order is the right-most one on the first line
        assert first_word.origin[0] == max(run.origin[0] for run in first_line)


def _system_cjk_font() -> FontFace | None:
    return system_face("中", "sans-serif", False, "zh")


@pytest.mark.skipif(
    _system_cjk_font() is None, reason="no CJK font installed (apt-get install fonts-noto-cjk)"
)
def test_cjk_title_uses_a_system_font_without_notdef() -> None:
    for theme in THEMES:
        layout = layout_cover(CJK, theme)
        assert layout.omitted == ()
        _assert_no_notdef(layout)
        title = next(t for t in layout.texts if t.content == "title")
        assert "".join(title.block.lines) == CJK.title


def test_without_a_font_the_title_is_left_out_not_tofu() -> None:
    for theme in THEMES:
        layout = layout_cover(CJK, theme, system_fonts=False)
        assert "title" in layout.omitted and "author" in layout.omitted
        _assert_no_notdef(layout)
        assert not any("中" in run.text for t in layout.texts for run in t.block.runs)
        render_cover(CJK, theme, system_fonts=False)  # still draws a cover


# --- user covers and gallery --------------------------------------------------------------


def test_load_cover_file_scales_and_converts(tmp_path: Path) -> None:
    source = tmp_path / "mine.png"
    Image.new("RGBA", (3200, 4000), (10, 200, 30, 255)).save(source)
    with Image.open(io.BytesIO(load_cover_file(source))) as image:
        assert image.format == "JPEG"
        assert image.width <= WIDTH and image.height <= HEIGHT


@pytest.mark.parametrize("content", [b"not an image", None])
def test_load_cover_file_errors_name_the_file(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=r"cover image .*broken\.jpg cannot be read"):
        load_cover_file(path)


def test_gallery_renders_every_theme(tmp_path: Path) -> None:
    written = render_gallery(tmp_path / "gallery", EXAMPLE_SPECS[:1])
    assert [p.name for p in written] == [f"01-{name}.png" for name in THEMES]


# --- packaging ----------------------------------------------------------------------------


@pytest.mark.slow
def test_installed_wheel_finds_themes_and_fonts(tmp_path: Path) -> None:
    """Build the wheel, install it into an empty target directory and render from elsewhere.

    The target directory comes first on sys.path, so the checkout (installed editable in the
    development venv) is not what answers; dependencies come from the running venv.
    """
    root = Path(__file__).resolve().parents[1]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "whl"), str(root)], check=True)
    wheel = next((tmp_path / "whl").glob("feed2book-*.whl"))
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    script = (
        "import feed2book.covers as c, pathlib, sys; "
        "assert c.__file__.startswith(sys.argv[1]), c.__file__; "
        "pathlib.Path('out.jpg').write_bytes(c.cover_bytes(c.EXAMPLE_SPECS[3])); "
        "print(c.theme_names())"
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(site)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "typographic" in result.stdout
    assert (workdir / "out.jpg").stat().st_size > 10_000


# --- what the cover says ------------------------------------------------------------------


def _slot_lines(layout: CoverLayout, content: str) -> tuple[str, ...]:
    return next(t.block.lines for t in layout.texts if t.content == content)


@pytest.mark.parametrize(
    ("subtitle", "label", "numbers"),
    [
        ("Days 19–25, 28–33, 45–49", "DAYS", "19–25, 28–33, 45–49"),
        ("18 of Days 19–49", "18 OF DAYS", "19–49"),
        ("Parts 1.5–3", "PARTS", "1.5–3"),
    ],
)
def test_series_badge_states_the_runs(subtitle: str, label: str, numbers: str) -> None:
    spec = CoverSpec("series:s", "A Series", "Ann Lee", subtitle, 18)
    assert default_theme(spec) == "series"
    layout = layout_cover(spec, system_fonts=False)
    assert _slot_lines(layout, "range_label") == (label,)
    assert " ".join(_slot_lines(layout, "range_numbers")) == numbers
    badge = next(s for s in load_theme("series").panels if s.shape == "ellipse").box
    centre = ((badge[0] + badge[2]) / 2 * WIDTH, (badge[1] + badge[3]) / 2 * HEIGHT)
    radius = (badge[2] - badge[0]) / 2 * WIDTH
    for placed in layout.texts:
        if placed.content.startswith("range_"):
            left, top, right, bottom = placed.block.bbox
            for x, y in ((left, top), (right, top), (left, bottom), (right, bottom)):
                assert (x - centre[0]) ** 2 + (y - centre[1]) ** 2 <= radius**2  # inside the disc


def test_group_by_none_books_of_other_feeds_get_other_covers() -> None:
    elsewhere = FeedInfo("Elsewhere", "https://example.org/feed.xml", "https://example.org/")
    ours = [make_article(id="a", title="One"), make_article(id="b", title="Two")]
    theirs = [replace(article, feed=elsewhere) for article in ours]
    layouts = []
    for articles in (ours, theirs):
        [book] = group_articles(articles, BookOptions(group_by=GroupBy.NONE)).books
        layouts.append(layout_cover(cover_spec(book), "typographic", system_fonts=False))
    assert layouts[0].layers != layouts[1].layers


def test_typographic_cover_of_an_author_book_sets_dates_and_count_together() -> None:
    """When the author is the title, the kicker is left out, not the foot: the span of dates
    and the article count share the line under the rule."""
    spec = CoverSpec("author:m", "Matt Frank", "", "26 April – 25 May 2026", 28)
    layout = layout_cover(spec, "typographic", system_fonts=False)
    placed = {t.content: t.block for t in layout.texts}
    assert set(placed) == {"title", "subtitle", "count"}
    assert placed["subtitle"].lines == ("26 April – 25 May 2026",)
    assert placed["count"].lines == ("28 articles",)
    dates, count = placed["subtitle"].bbox, placed["count"].bbox
    assert dates[1] < count[3] and count[1] < dates[3]  # on one line
    assert placed["title"].bbox[3] < min(dates[1], count[1])
