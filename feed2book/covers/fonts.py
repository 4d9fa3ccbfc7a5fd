"""Fonts for covers: which face can draw which character, shipped faces first, then fontconfig.

A cover never draws a character that its font has no glyph for (no .notdef "tofu" boxes): every
run of text is drawn with the first face in its stack whose cmap covers the run. Faces shipped in
``feed2book.covers.themes`` (``themes/fonts/``) come first, then, for scripts they do not cover
(CJK), whatever fontconfig (``fc-match``) finds on the machine.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING

from feed2book.defaults import LANGUAGE

if TYPE_CHECKING:  # fontTools and PIL (70 ms) are imported when a cover is drawn
    from PIL import ImageFont

THEMES_PACKAGE = "feed2book.covers.themes"
FONTCONFIG_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True, order=True)
class FontFace:
    """One face: a font file and, for a collection (.ttc), the face's index in it."""

    path: str
    index: int = 0


def shipped_face(relative: str) -> FontFace:
    """A face from ``covers/fonts/`` by its path relative to that folder."""
    return FontFace(str(files(THEMES_PACKAGE).joinpath("fonts", *relative.split("/"))))


@lru_cache(maxsize=64)
def cmap(face: FontFace) -> frozenset[int]:
    """The code points the face has a glyph for."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        # Glyph names from their numbers: the cmap names each glyph, and the real names would
        # be read from the CFF table of an OpenType font (fontTools.cffLib, 60 ms to import
        # and parse) only to be thrown away; the code points are the same.
        font.setGlyphOrder([f"glyph{number:05d}" for number in range(font["maxp"].numGlyphs)])
        best = font.getBestCmap() or {}
        return frozenset(best)


@lru_cache(maxsize=256)
def pil_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(face.path, size=size, index=face.index)


def shaping_available() -> bool:
    """Right-to-left and joined scripts need Raqm with FriBiDi (bundled in Pillow's wheels; FriBiDi
    itself is loaded from the system's ``libfribidi.so.0``)."""
    from PIL import features

    return bool(features.check("raqm")) and bool(features.check("fribidi"))


def is_rtl_char(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def is_ltr_char(char: str) -> bool:
    return unicodedata.bidirectional(char) == "L"


def is_ignorable(char: str) -> bool:
    """Spaces and format controls: any face may "draw" them (they are never shown as boxes)."""
    return char.isspace() or unicodedata.category(char) == "Cf"


def covers(face: FontFace, text: str) -> bool:
    table = cmap(face)
    return all(is_ignorable(char) or ord(char) in table for char in text)


def drawable(char: str, face: FontFace) -> bool:
    """Whether ``face`` can draw ``char`` correctly here (RTL needs shaping support)."""
    if is_ignorable(char):
        return True
    if is_rtl_char(char) and not shaping_available():
        return False
    return ord(char) in cmap(face)


def _fc_match(pattern: str) -> list[FontFace]:
    """Faces fontconfig suggests for ``pattern``, best first; empty when fontconfig is absent."""
    executable = shutil.which("fc-match")
    if executable is None:
        return []
    try:
        completed = subprocess.run(
            [executable, "-s", "--format=%{file}\t%{index}\n", pattern],
            capture_output=True,
            text=True,
            timeout=FONTCONFIG_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    faces = []
    for line in completed.stdout.splitlines():
        path, _, index = line.partition("\t")
        if path.lower().endswith((".ttf", ".otf", ".ttc")):
            faces.append(FontFace(path, int(index or 0)))
    return faces


@lru_cache(maxsize=128)
def system_face(char: str, generic: str, bold: bool, language: str) -> FontFace | None:
    """The face fontconfig prefers for ``char`` (honouring the book's language, so Japanese gets
    Japanese glyph shapes), or None when no installed font covers it."""
    weight = ":weight=bold" if bold else ""
    lang = f":lang={language}" if language.replace("-", "").isalnum() else ""
    pattern = f"{generic}:charset={ord(char):x}{lang}{weight}"
    from fontTools.ttLib import TTLibError  # type: ignore[import-untyped]

    for face in _fc_match(pattern):
        try:
            if ord(char) in cmap(face):
                return face
        except (OSError, TTLibError):  # an unreadable system font is skipped, not fatal
            continue
    return None


@dataclass(frozen=True, slots=True)
class FontStack:
    """Faces to try in order (like CSS ``font-family``), then fontconfig when ``system`` is set."""

    faces: tuple[FontFace, ...]
    generic: str = "sans-serif"
    bold: bool = False
    language: str = LANGUAGE
    system: bool = True

    @property
    def primary(self) -> FontFace:
        return self.faces[0]

    def face_for(self, char: str) -> FontFace | None:
        for face in self.faces:
            if drawable(char, face):
                return face
        if self.system and not (is_rtl_char(char) and not shaping_available()):
            return system_face(char, self.generic, self.bold, self.language)
        return None

    def face_for_text(self, text: str) -> FontFace | None:
        """The first face that draws all of ``text`` (keeps a word in one face when possible)."""
        for face in self.faces:
            if all(drawable(char, face) for char in text):
                return face
        return None
