"""Fixture images for the images tests, drawn with Pillow at test time (no binaries in git).

Each function says what it exercises; all are deterministic (seeded noise, no clock).
"""

from __future__ import annotations

import base64
import gzip
import io
import random
import struct
import zlib
from functools import cache

from PIL import Image, ImageDraw

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 30), (30, 30, 220)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


@cache
def photo(width: int, height: int, noise: int = 24, seed: int = 1) -> Image.Image:
    """Something like a photograph: smooth colour gradients plus grain (many colours)."""
    gradient = Image.linear_gradient("L").resize((width, height))
    red = gradient
    green = gradient.rotate(90).resize((width, height))
    blue = Image.radial_gradient("L").resize((width, height))
    image = Image.merge("RGB", (red, green, blue))
    if noise:
        rng = random.Random(seed)
        grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        image = Image.blend(image, grain, noise / 255)
    return image


def noise_jpeg(width: int, height: int, seed: int, quality: int = 92) -> bytes:
    """Incompressible noise: a JPEG whose size is predictable (for size limits and volumes)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    return encode(image, "JPEG", quality=quality)


def webp_photo() -> bytes:
    """Lossy WebP photograph -> JPEG."""
    return encode(photo(1200, 800), "WEBP", quality=85)


def png_with_alpha() -> bytes:
    """RGBA PNG with a half-transparent disc on a photo -> stays PNG with its alpha."""
    image = photo(400, 300).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).ellipse((50, 50, 250, 250), fill=(255, 0, 0, 128))
    image.putalpha(200)
    return encode(Image.alpha_composite(image, overlay), "PNG")


def huge_jpeg() -> bytes:
    """6000x4000 JPEG (smooth, so the file stays small) -> capped at 1600x1067."""
    return encode(photo(6000, 4000, noise=0), "JPEG", quality=80)


def one_pixel_gif() -> bytes:
    """The classic 1x1 tracking GIF -> dropped."""
    return encode(Image.new("P", (1, 1), 0), "GIF")


def exif_rotated_jpeg() -> bytes:
    """300x200 stored sideways with EXIF orientation 6 (rotate 90 clockwise to view), a red
    block at the stored top-left, GPS-ish metadata -> 200x300 upright, red at top-right."""
    image = Image.new("RGB", (300, 200), (240, 240, 240))
    ImageDraw.Draw(image).rectangle((0, 0, 59, 39), fill=RED)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera Maker"
    return encode(image, "JPEG", quality=90, exif=exif.tobytes())


def jpeg_with_metadata() -> bytes:
    """An upright JPEG that fits but carries EXIF and a comment -> metadata cut, pixels kept."""
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x0112] = 1
    return encode(photo(320, 240), "JPEG", quality=85, exif=exif.tobytes(), comment=b"secret")


def cmyk_jpeg() -> bytes:
    """CMYK JPEG (print workflows) -> RGB JPEG."""
    return encode(photo(300, 200).convert("CMYK"), "JPEG", quality=90)


def animated_gif() -> bytes:
    """Three frames, red/green/blue -> the first frame, red, as PNG (few colours)."""
    frames = [Image.new("RGB", (120, 80), colour) for colour in (RED, GREEN, BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def static_gif() -> bytes:
    """A small static GIF diagram -> kept byte for byte."""
    image = Image.new("P", (100, 60), 0)
    ImageDraw.Draw(image).rectangle((10, 10, 90, 50), fill=1)
    return encode(image, "GIF")


def bmp_photo() -> bytes:
    """BMP photograph (lossless source, many colours) -> JPEG (far smaller than PNG)."""
    return encode(photo(320, 240, noise=60), "BMP")


def tiff_diagram() -> bytes:
    """TIFF with four flat colours (line art) -> palette PNG."""
    image = Image.new("RGB", (200, 100), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 60, 60), fill=RED)
    draw.line((70, 50, 190, 50), fill=BLUE, width=3)
    return encode(image, "TIFF")


def smooth_png() -> bytes:
    """A smooth gradient PNG without noise: many colours, but PNG is not much bigger -> PNG."""
    return encode(photo(256, 64, noise=0).quantize(256).convert("RGB"), "PNG")


def ico_icon() -> bytes:
    """A Windows icon (favicons end up in feeds) -> PNG."""
    image = Image.new("RGBA", (48, 48), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, 44, 44), fill=BLUE)
    return encode(image, "ICO", sizes=[(48, 48)])


def avif_photo() -> bytes:
    """AVIF photograph -> JPEG (only when Pillow was built with AVIF)."""
    return encode(photo(400, 300), "AVIF", quality=70)


def huge_dimension_png() -> bytes:
    """A PNG whose header claims 50000x50000 pixels (a decompression bomb) -> refused."""
    width = height = 50_000
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1000)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def gzip_bomb(decoded_size: int) -> bytes:
    """``decoded_size`` zero bytes, gzip-compressed to about a thousandth of that."""
    return gzip.compress(b"\x00" * decoded_size, compresslevel=9)


def png_data_uri() -> str:
    image = Image.new("RGB", (40, 30), GREEN)
    return "data:image/png;base64," + base64.b64encode(encode(image, "PNG")).decode()


CLEAN_SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- drawn by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     width="120" height="80" viewBox="0 0 120 80" inkscape:version="1.3">
  <metadata><title>editor junk</title></metadata>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient>
    <circle id="dot" r="4"/></defs>
  <rect x="0" y="0" width="120" height="80" fill="url(#g)"/>
  <use xlink:href="#dot" x="10" y="10"/>
  <circle cx="60" cy="40" r="30" style="fill: url('#g')"/>
</svg>
"""

SCRIPT_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>"""
