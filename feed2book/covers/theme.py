"""Cover themes: the declarative TOML files in package ``feed2book.covers.themes``, parsed
and validated into frozen dataclasses. A theme names surfaces (solid colours that carry text),
accent tones (decoration), font stacks, a motif, panels and the text slots with their boxes."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal, cast, get_args

from feed2book.covers.colour import Ink, Tone
from feed2book.covers.fonts import THEMES_PACKAGE, shipped_face
from feed2book.covers.motifs import MOTIFS
from feed2book.covers.typeset import Align, TextStyle, VAlign

Content = Literal["title", "subtitle", "author", "count", "range_label", "range_numbers"]
Fraction4 = tuple[float, float, float, float]


class ThemeFileError(ValueError):
    """A shipped theme file is malformed (a packaging bug, not a user error)."""


@dataclass(frozen=True, slots=True)
class Surface:
    tone: Tone
    ink: Ink


@dataclass(frozen=True, slots=True)
class FontSpec:
    faces: tuple[str, ...]  # paths relative to covers/fonts/
    generic: str = "sans-serif"
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Panel:
    surface: str
    shape: Literal["rect", "ellipse"]
    box: Fraction4


@dataclass(frozen=True, slots=True)
class Slot:
    content: Content
    font: str
    surface: str
    box: Fraction4
    style: TextStyle


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    description: str
    surfaces: tuple[tuple[str, Surface], ...]
    accents: tuple[Tone, ...]
    fonts: tuple[tuple[str, FontSpec], ...]
    motif: str
    motif_region: Fraction4
    motif_params: tuple[tuple[str, float], ...]
    panels: tuple[Panel, ...]
    slots: tuple[Slot, ...]

    def surface(self, name: str) -> Surface:
        return dict(self.surfaces)[name]

    def font(self, name: str) -> FontSpec:
        return dict(self.fonts)[name]


def theme_names() -> tuple[str, ...]:
    """Every shipped theme, sorted."""
    folder = files(THEMES_PACKAGE)
    return tuple(
        sorted(
            entry.name.removesuffix(".toml")
            for entry in folder.iterdir()
            if entry.name.endswith(".toml")
        )
    )


@lru_cache(maxsize=16)
def load_theme(name: str) -> Theme:
    resource = files(THEMES_PACKAGE).joinpath(f"{name}.toml")
    try:
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
        return parse_theme(data)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as error:
        raise ThemeFileError(f"cover theme {name}.toml is invalid: {error}") from error


def _fraction4(value: object) -> Fraction4:
    box = tuple(float(v) for v in cast(list[float], value))
    if (
        len(box) != 4
        or not all(0.0 <= v <= 1.0 for v in box)
        or box[0] >= box[2]
        or box[1] >= box[3]
    ):
        raise ValueError(f"box {value!r} is not [left, top, right, bottom] within 0..1")
    return (box[0], box[1], box[2], box[3])


def _tone(data: Mapping[str, Any]) -> Tone:
    return Tone(
        float(data["lightness"]), float(data["saturation"]), float(data.get("hue_shift", 0.0))
    )


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _slot(data: Mapping[str, Any]) -> Slot:
    largest, smallest = (int(v) for v in data["size"])
    style = TextStyle(
        max_size=largest,
        min_size=smallest,
        max_lines=int(data.get("max_lines", 1)),
        line_height=float(data.get("line_height", 1.15)),
        align=cast(Align, _choice(data.get("align", "start"), get_args(Align), "align")),
        valign=cast(VAlign, _choice(data.get("valign", "top"), get_args(VAlign), "valign")),
        upper=bool(data.get("upper", False)),
    )
    if not 0 < smallest <= largest:
        raise ValueError(f"size {data['size']!r} must be [largest, smallest]")
    content = cast(Content, _choice(data["content"], get_args(Content), "content"))
    return Slot(content, str(data["font"]), str(data["surface"]), _fraction4(data["box"]), style)


def parse_theme(data: Mapping[str, Any]) -> Theme:
    """Validate a theme's TOML table; raises ValueError/KeyError/TypeError on the first problem."""
    palette = data["palette"]
    surfaces = tuple(
        (name, Surface(_tone(s), cast(Ink, _choice(s["ink"], ("light", "dark"), "ink"))))
        for name, s in palette["surfaces"].items()
    )
    fonts = tuple(
        (
            name,
            FontSpec(
                tuple(f["faces"]), str(f.get("generic", "sans-serif")), bool(f.get("bold", False))
            ),
        )
        for name, f in data["fonts"].items()
    )
    motif = data["motif"]
    panels = tuple(
        Panel(
            str(p["surface"]),
            cast(Any, _choice(p["shape"], ("rect", "ellipse"), "shape")),
            _fraction4(p["box"]),
        )
        for p in data.get("panels", ())
    )
    theme = Theme(
        name=str(data["name"]),
        description=str(data["description"]),
        surfaces=surfaces,
        accents=tuple(_tone(a) for a in palette["accents"]),
        fonts=fonts,
        motif=_choice(motif["name"], tuple(MOTIFS), "motif"),
        motif_region=_fraction4(motif["region"]),
        motif_params=tuple((k, float(v)) for k, v in motif.get("params", {}).items()),
        panels=panels,
        slots=tuple(_slot(s) for s in data["slots"]),
    )
    _check_references(theme)
    return theme


def _check_references(theme: Theme) -> None:
    surfaces, fonts = dict(theme.surfaces), dict(theme.fonts)
    if "background" not in surfaces:
        raise ValueError("palette.surfaces needs a 'background'")
    if len(theme.accents) < 2:
        raise ValueError("palette.accents needs at least two tones")
    for panel in theme.panels:
        if panel.surface not in surfaces:
            raise ValueError(f"panel surface {panel.surface!r} is not in palette.surfaces")
    for slot in theme.slots:
        if slot.surface not in surfaces or slot.font not in fonts:
            raise ValueError(f"slot {slot.content!r} names an unknown surface or font")
    for spec in fonts.values():
        for face in spec.faces:
            if not files(THEMES_PACKAGE).joinpath("fonts", *face.split("/")).is_file():
                raise ValueError(f"font {face!r} is not shipped in covers/fonts/")
            shipped_face(face)
