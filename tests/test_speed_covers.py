"""The cover renderer's memory savings leave every pixel where it was.

``draw_layout`` draws the clipped motif layer straight onto the canvas; the reference below is
the plain renderer (a canvas per clipped layer, cropped and pasted). Both must give the same
pixels, and the renderer must stay well under the old peak of memory and be quick.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from PIL import Image, ImageDraw

from feed2book.covers.fonts import shipped_face
from feed2book.covers.motifs import Shape
from feed2book.covers.render import (
    EXAMPLE_SPECS,
    SUPERSAMPLE,
    CoverLayout,
    CoverSpec,
    Layer,
    _draw_shape,
    draw_layout,
    draw_texts,
    layout_cover,
    theme_names,
)


def reference_draw(layout: CoverLayout) -> Image.Image:
    width, height = layout.size
    large = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), layout.background)
    for layer in layout.layers:
        canvas = large if layer.clip is None else Image.new("RGB", large.size, layout.background)
        draw = ImageDraw.Draw(canvas)
        for shape in layer.shapes:
            _draw_shape(draw, shape)
        if layer.clip is not None:
            clip = (layer.clip.left, layer.clip.top, layer.clip.right, layer.clip.bottom)
            large.paste(canvas.crop(clip), clip[:2])
    image = large.reduce(SUPERSAMPLE)  # each pixel the mean of its block of the drawing
    draw_texts(image, layout)  # the text is drawn the same way in both: shared
    return image


SPECS = [
    EXAMPLE_SPECS[0],
    EXAMPLE_SPECS[1],
    CoverSpec("feed:dev.to", "DEV Community", "Many Authors", "2018 – 2026", 2000),
]


@pytest.mark.parametrize("theme", theme_names())
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.key)
def test_same_pixels_as_the_reference(spec: CoverSpec, theme: str) -> None:
    layout = layout_cover(spec, theme)
    assert draw_layout(layout).tobytes() == reference_draw(layout).tobytes()


def test_peak_memory_of_a_cover() -> None:
    script = (
        "import resource\n"
        "from feed2book.covers import CoverSpec, cover_bytes\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "cover_bytes(CoverSpec('k', 'DEV Community', 'Many Authors', '2018 – 2026', 2000))\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print((after - before) // 1024)\n"
    )
    grown = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               check=True).stdout)  # fmt: skip
    # One 3200x5120 canvas (49 MB) and the final image (12 MB); it was 160 MB, then 108 MB with
    # a Lanczos resize in two passes.
    assert grown < 100


def test_the_drawing_is_scaled_down_by_block_means() -> None:
    # The drawing is SUPERSAMPLE times the size; a white column in the first block of a black
    # drawing gives that pixel the block's mean and leaves its neighbours black (a Lanczos
    # resize, ten times slower on a whole cover, spreads it into them).
    white_column = Shape("rect", (0, 0, 0, SUPERSAMPLE - 1), (255, 255, 255))
    layout = CoverLayout("test", (4, 1), (0, 0, 0), (Layer((white_column,)),), (), ())
    drawing = draw_layout(layout)
    mean = round(255 / SUPERSAMPLE)
    assert [drawing.getpixel((x, 0)) for x in range(4)] == [(mean,) * 3] + [(0, 0, 0)] * 3


@pytest.mark.parametrize("relative", ["inter/Inter-Regular.otf", "noto/NotoSansArabic-Bold.ttf"])
def test_a_faces_code_points_are_read_without_its_glyph_names(relative: str) -> None:
    # The same code points as fontTools' own best cmap (with the real glyph names), and for an
    # OpenType face without parsing its CFF table, 60 ms for names nobody reads.
    script = (
        "import json, sys\n"
        "from feed2book.covers.fonts import cmap, shipped_face\n"
        f"points = cmap(shipped_face({relative!r}))\n"
        "print(json.dumps({'points': sorted(points), 'cff': 'fontTools.cffLib' in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    with TTFont(shipped_face(relative).path) as font:
        assert result["points"] == sorted(font.getBestCmap())
    assert result["cff"] is False
