"""Colours for covers: derived from the book key, text contrast guaranteed (WCAG AA, also in grey).

A theme describes each surface by lightness and saturation; the hue comes from the key. Text ink
is near-black or near-white tinted with the same hue. When ink and surface are too close, the
surface moves away from the ink until both the colour contrast and the contrast after conversion
to greyscale (what an e-ink screen shows) reach ``MIN_CONTRAST``.
"""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass
from typing import Literal

RGB = tuple[int, int, int]
Ink = Literal["light", "dark"]

WCAG_AA = 4.5
# A little above AA so that JPEG ringing and anti-aliasing never take the text below it.
MIN_CONTRAST = 4.8
_STEP = 0.02


@dataclass(frozen=True, slots=True)
class Tone:
    """A colour relative to the key's hue: ``hue_shift`` turns the colour wheel (0-1)."""

    lightness: float
    saturation: float
    hue_shift: float = 0.0


def key_digest(key: str, salt: str = "") -> bytes:
    return hashlib.sha256(f"{salt}\x00{key}".encode()).digest()


def key_hue(key: str) -> float:
    digest = key_digest(key, "hue")
    return int.from_bytes(digest[:4], "big") / 2**32


def tone_rgb(hue: float, tone: Tone) -> RGB:
    lightness = min(1.0, max(0.0, tone.lightness))
    red, green, blue = colorsys.hls_to_rgb((hue + tone.hue_shift) % 1.0, lightness, tone.saturation)
    return (round(red * 255), round(green * 255), round(blue * 255))


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    red, green, blue = (_channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2.x contrast ratio, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def grey(rgb: RGB) -> RGB:
    """The grey Pillow's ``convert("L")`` makes of ``rgb`` (ITU-R 601-2 luma, same rounding)."""
    red, green, blue = rgb
    level = (red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16
    return (level, level, level)


def legible(ink: RGB, surface: RGB) -> bool:
    return (
        min(contrast_ratio(ink, surface), contrast_ratio(grey(ink), grey(surface))) >= MIN_CONTRAST
    )


def ink_rgb(hue: float, ink: Ink) -> RGB:
    return tone_rgb(hue, Tone(0.97, 0.45) if ink == "light" else Tone(0.12, 0.4))


def surface_with_ink(hue: float, tone: Tone, ink: Ink) -> tuple[RGB, RGB]:
    """(surface, ink), the surface darkened or lightened just enough for legible ink."""
    ink_colour = ink_rgb(hue, ink)
    lightness = tone.lightness
    while True:
        surface = tone_rgb(hue, Tone(lightness, tone.saturation, tone.hue_shift))
        if legible(ink_colour, surface) or not 0.0 < lightness < 1.0:
            break
        lightness += -_STEP if ink == "light" else _STEP
    if not legible(ink_colour, surface):  # the extreme surface still fails: use pure ink
        ink_colour = (255, 255, 255) if ink == "light" else (0, 0, 0)
    return surface, ink_colour


# Decoration (motif shapes, their grounds) is not text, but on a greyscale e-ink screen two
# colours closer than this in grey merge into one flat tone and the motif disappears.
MIN_DECORATION_CONTRAST = 1.4


def grey_contrast(first: RGB, second: RGB) -> float:
    return contrast_ratio(grey(first), grey(second))


def distinct_tones(hue: float, tones: tuple[Tone, ...], ground: RGB) -> list[RGB]:
    """The accent colours, each moved (by the smallest change of lightness) until it stands
    ``MIN_DECORATION_CONTRAST`` apart in grey from the ground and from the accents before it.
    A tone that is exactly the ground (a motif that reuses it on purpose) stays as it is."""
    placed: list[RGB] = []
    for tone in tones:
        wanted = tone_rgb(hue, tone)
        if wanted == ground:
            placed.append(wanted)
            continue
        others = [ground, *(colour for colour in placed if colour != ground)]
        for step in range(51):
            shifts = (step * _STEP,) if step == 0 else (step * _STEP, -step * _STEP)
            candidates = [
                tone_rgb(hue, Tone(tone.lightness + shift, tone.saturation, tone.hue_shift))
                for shift in shifts
                if 0.0 <= tone.lightness + shift <= 1.0
            ]
            apart = [
                c
                for c in candidates
                if all(grey_contrast(c, o) >= MIN_DECORATION_CONTRAST for o in others)
            ]
            if apart:
                wanted = apart[0]
                break
        placed.append(wanted)
    return placed
