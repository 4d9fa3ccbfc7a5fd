"""Regenerate the README's sample covers in docs/covers/ (small PNG thumbnails).

Run from the repository root: ``python scripts/make_cover_samples.py``. Only shipped fonts are
used (no system fonts), so every machine produces the same files.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from feed2book.covers.render import EXAMPLE_SPECS, render_cover

SAMPLES = Path(__file__).resolve().parents[1] / "docs" / "covers"
THUMBNAIL = (400, 640)
# (file name, theme, index into EXAMPLE_SPECS)
CHOICES = (
    ("typographic", "typographic", 0),
    ("series", "series", 1),
    ("geometric", "geometric", 3),
)


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for name, theme, index in CHOICES:
        cover = render_cover(EXAMPLE_SPECS[index], theme, system_fonts=False)
        thumbnail = cover.resize(THUMBNAIL, Image.Resampling.LANCZOS)
        # 256 colours are plenty for flat colour and anti-aliased text, and keep the repo lean.
        small = thumbnail.quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        path = SAMPLES / f"{name}.png"
        small.save(path, "PNG", optimize=True)
        print(f"{path} {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
