"""Motifs: the non-text decoration of a cover, as plain shapes seeded by the book key.

Each motif is a function ``(rng, colours, region, params) -> shapes`` in ``MOTIFS``; a theme
names one in its ``[motif]`` table. Shapes are data, drawn later by ``covers.draw_layout``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from feed2book.covers.colour import RGB
from feed2book.covers.typeset import Box

ShapeKind = Literal["rect", "ellipse", "polygon", "pieslice", "line"]
Params = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Shape:
    kind: ShapeKind
    points: tuple[float, ...]  # rect/ellipse/pieslice: x0, y0, x1, y1; polygon/line: x, y, ...
    fill: RGB
    width: int = 0  # line width, for "line"
    start: float = 0.0  # angles, for "pieslice"
    end: float = 0.0


Motif = Callable[[random.Random, Sequence[RGB], Box, Params], list[Shape]]


def _number(params: Params, name: str, default: float) -> float:
    value = params.get(name, default)
    return float(value) if isinstance(value, int | float) else default


def tiles(rng: random.Random, colours: Sequence[RGB], region: Box, params: Params) -> list[Shape]:
    """A Bauhaus-style grid: each cell a square ground with a circle, half or quarter on it."""
    columns = int(_number(params, "columns", 4))
    cell = region.width / columns
    rows = max(1, round(region.height / cell))
    cell_height = region.height / rows
    shapes: list[Shape] = []
    for row in range(rows):
        for column in range(columns):
            x0, y0 = region.left + column * cell, region.top + row * cell_height
            x1, y1 = x0 + cell, y0 + cell_height
            ground, figure = rng.sample(list(colours), 2)
            shapes.append(Shape("rect", (x0, y0, x1, y1), ground))
            shapes.extend(_tile_figure(rng, (x0, y0, x1, y1), figure, ground))
    return shapes


def _tile_figure(
    rng: random.Random, box: tuple[float, float, float, float], colour: RGB, ground: RGB
) -> list[Shape]:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    kind = rng.choice(("circle", "quarter", "half", "triangle", "ring", "plain"))
    if kind == "circle":
        inset = w * 0.12
        return [Shape("ellipse", (x0 + inset, y0 + inset, x1 - inset, y1 - inset), colour)]
    if kind == "quarter":
        corner = rng.randrange(4)
        cx, cy = (x0, x1, x1, x0)[corner], (y0, y0, y1, y1)[corner]
        start = (0, 90, 180, 270)[corner]
        return [
            Shape("pieslice", (cx - w, cy - h, cx + w, cy + h), colour, start=start, end=start + 90)
        ]
    if kind == "half":
        side = rng.randrange(4)
        start = (0, 90, 180, 270)[side]
        cx, cy = (x0, x0 + w / 2, x1, x0 + w / 2)[side], (y0 + h / 2, y0, y0 + h / 2, y1)[side]
        radius = w / 2
        return [
            Shape(
                "pieslice",
                (cx - radius, cy - radius, cx + radius, cy + radius),
                colour,
                start=start - 90,
                end=start + 90,
            )
        ]
    if kind == "triangle":
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        skip = rng.randrange(4)
        return [
            Shape(
                "polygon", tuple(v for i, p in enumerate(corners) if i != skip for v in p), colour
            )
        ]
    if kind == "ring":
        inset, hole = w * 0.1, w * 0.3
        return [
            Shape("ellipse", (x0 + inset, y0 + inset, x1 - inset, y1 - inset), colour),
            Shape("ellipse", (x0 + hole, y0 + hole, x1 - hole, y1 - hole), ground),
        ]
    return []


def rules(rng: random.Random, colours: Sequence[RGB], region: Box, params: Params) -> list[Shape]:
    """Typographic furniture: a thick bar and thin rules, with a key-seeded row of squares."""
    weight = int(_number(params, "weight", 10))
    bar = int(_number(params, "bar", 36))
    shapes = [
        Shape("rect", (region.left, region.top, region.right, region.top + bar), colours[0]),
        Shape(
            "rect", (region.left, region.bottom - weight, region.right, region.bottom), colours[0]
        ),
    ]
    count = int(_number(params, "marks", 7))
    size = bar * float(_number(params, "mark_scale", 2.4))
    gap = size * 0.45
    y = region.top + bar + gap
    for index in range(count):
        x = region.left + index * (size + gap)
        colour = colours[1 + rng.randrange(len(colours) - 1)] if rng.random() < 0.5 else colours[0]
        shape: ShapeKind = rng.choice(("rect", "ellipse"))
        shapes.append(Shape(shape, (x, y, x + size, y + size), colour))
    return shapes


def stripes(rng: random.Random, colours: Sequence[RGB], region: Box, params: Params) -> list[Shape]:
    """Diagonal bands of alternating width across the region (the renderer clips to it)."""
    width = _number(params, "band", 90)
    shapes: list[Shape] = []
    x = float(region.left - region.height)
    slope = region.height
    palette = list(colours)
    while x < region.right:
        band = width * rng.choice((0.5, 1.0, 1.0, 2.0))
        colour = palette[rng.randrange(len(palette))]
        points = (
            x,
            region.bottom,
            x + band,
            region.bottom,
            x + band + slope,
            region.top,
            x + slope,
            region.top,
        )
        shapes.append(Shape("polygon", points, colour))
        x += band * 2
    return shapes


# Where the rings of ``arcs`` are centred, as fractions of the region: a sun rising from the
# foot, quarter rings from a corner, a target off the centre.
_ARC_CENTRES = ((0.5, 1.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0), (0.7, 0.62), (0.3, 0.4))


def arcs(rng: random.Random, colours: Sequence[RGB], region: Box, params: Params) -> list[Shape]:
    """A field of the first colour with concentric rings in the second, cropped by the region's
    edges; the key picks the centre and the number of rings, the innermost disc takes the third
    colour."""
    rings = int(_number(params, "rings", 6)) + rng.randrange(3)
    fx, fy = rng.choice(_ARC_CENTRES)
    cx, cy = region.left + fx * region.width, region.top + fy * region.height
    reach = max(
        ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
        for x in (region.left, region.right)
        for y in (region.top, region.bottom)
    )
    outer = reach * (0.82 + 0.12 * rng.random())
    field, ring = colours[0], colours[1]
    disc = colours[2] if len(colours) > 2 else ring
    shapes = [Shape("rect", (region.left, region.top, region.right, region.bottom), field)]
    bands = 2 * rings  # ring, gap, ring, gap, …, and the disc as wide as a ring and a gap
    for band in range(bands - 1):
        radius = outer * (bands - band) / bands
        colour = disc if band == bands - 2 else (ring if band % 2 == 0 else field)
        shapes.append(
            Shape("ellipse", (cx - radius, cy - radius, cx + radius, cy + radius), colour)
        )
    return shapes


MOTIFS: dict[str, Motif] = {
    "tiles": tiles,
    "rules": rules,
    "stripes": stripes,
    "arcs": arcs,
}
