"""Cutting metadata out of JPEG and PNG files without decoding them: no loss, no time spent.

A JPEG is a series of marker segments before its scan data. Kept: everything the decoder needs
(tables, frame and scan headers), JFIF (APP0) and Adobe (APP14, it says how colours are
stored). Dropped: EXIF (APP1, with GPS position and a thumbnail), XMP (APP1), ICC profiles
(APP2; only called when the profile is sRGB, which readers assume), APP3-APP13, APP15 and
comments. A PNG keeps its critical chunks and those that change how pixels look (transparency,
gamma, colour space), and loses text, EXIF, time stamps and private chunks. Anything
unexpected returns the input unchanged.
"""

from __future__ import annotations

import struct
from typing import Final

_SOI: Final = 0xD8
_SOS: Final = 0xDA
_KEEP_APP: Final = frozenset({0xE0, 0xEE})
_COMMENT: Final = 0xFE
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})


def strip_jpeg_metadata(data: bytes) -> bytes:
    """``data`` without metadata segments; byte-identical scan data."""
    if data[:2] != b"\xff\xd8":
        return data
    kept = bytearray(data[:2])
    position = 2
    while position + 1 < len(data):
        if data[position] != 0xFF:
            return data  # not at a marker: not a JPEG we understand
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE or marker == _SOI:
            kept += data[position : position + 2]
            position += 2
            continue
        if position + 4 > len(data):
            return data
        end = position + 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if end > len(data) or end < position + 4:
            return data
        if marker == _SOS:
            kept += data[position:]  # the scan and everything after it, untouched
            return bytes(kept)
        dropped = marker == _COMMENT or (0xE1 <= marker <= 0xEF and marker not in _KEEP_APP)
        if not dropped:
            kept += data[position:end]
        position = end
    return data


_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP: Final = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"pHYs"}
)


def strip_png_metadata(data: bytes) -> bytes:
    """``data`` without ancillary metadata chunks (tEXt, zTXt, iTXt, eXIf, tIME, iCCP...)."""
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept = bytearray(_PNG_SIGNATURE)
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length  # length, type, data, CRC
        if end > len(data):
            return data
        if kind in _PNG_KEEP:
            kept += data[position:end]
        position = end
        if kind == b"IEND":
            return bytes(kept)
    return data
