"""Bytes of any web image in, bytes an e-reader shows out: JPEG, PNG, GIF or a safe SVG.

The format comes from the bytes, never from a Content-Type or a file name. Output rules:

- JPEG stays JPEG. It is re-encoded only when it must change (too large, rotated by its EXIF
  orientation, CMYK, a non-sRGB profile, grayscale wanted); otherwise its metadata segments are
  cut out losslessly (EXIF with GPS, XMP, comments, an sRGB profile readers assume anyway).
- A static GIF that needs no change stays as it is; an animated one keeps its first frame.
- Everything else (PNG, WebP, AVIF, BMP, TIFF, ICO) becomes PNG when it has transparency or
  few colours (line art, diagrams), JPEG when it is a photograph; a lossless source with many
  colours (a screenshot) stays PNG unless JPEG is less than half the size. A PNG whose pixels
  need no change keeps its own compression (minus metadata chunks) when that is smaller.
- The longest edge is capped at ``max_px``; ``grayscale`` converts for e-ink.
- 2x2 pixels or fewer: a tracking pixel, dropped.

Decompression bombs: the header's size is checked before any pixel is decoded, and a JPEG is
decoded at 1/2, 1/4 or 1/8 scale when that suffices (``draft``), so no image costs more than
``MAX_DECODE_PIXELS``. Images are opened through Pillow's format registry with the sniffed
format rather than ``Image.open``, which warns (an error under ``-W error``) for large images
before we could apply our own, stricter limit.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageCms, ImageFile, ImageOps, features

from feed2book.images.errors import ConversionError
from feed2book.images.lossless import strip_jpeg_metadata, strip_png_metadata
from feed2book.images.options import MAX_DECODE_PIXELS, TRACKING_PIXEL_MAX_EDGE, ImageOptions
from feed2book.images.svg import sanitise_svg

CONVERTER_VERSION: Final = "1"  # part of the conversion cache key: bump when output changes
MEDIA_TYPES: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/svg+xml": "svg",
}
_LOSSLESS_SOURCES: Final = frozenset({"PNG", "GIF", "BMP", "TIFF", "ICO", "WEBP-LOSSLESS"})
_PNG_OVER_JPEG_MAX_RATIO: Final = 2.0  # keep a screenshot PNG unless JPEG is under half
_FEW_COLOURS: Final = {"RGB": 256, "L": 32}  # at most this many: a palette PNG, lossless
_EXIF_ORIENTATION: Final = 0x0112
_NO_DITHER: Final = Image.Dither.NONE
_HAS_CMS: Final = bool(features.check("littlecms2"))


@dataclass(frozen=True, slots=True)
class Converted:
    """The outcome for one image; ``changed`` is False when the input bytes were kept."""

    media_type: str
    data: bytes
    width: int
    height: int
    changed: bool = True
    tracking_pixel: bool = False


TRACKING_PIXEL: Final = Converted("", b"", 0, 0, changed=False, tracking_pixel=True)


def sniff(data: bytes) -> str | None:
    """The image format the bytes really are (a Pillow format name, or ``SVG``), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP-LOSSLESS" if data[12:16] == b"VP8L" else "WEBP"
    if data[4:8] == b"ftyp" and (data[8:12] in (b"avif", b"avis") or b"avif" in data[16:40]):
        return "AVIF"
    if data[:2] == b"BM" and len(data) > 26 and data[14] in (12, 40, 52, 56, 64, 108, 124):
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:4] == b"\x00\x00\x01\x00" and len(data) > 6 and data[4:6] != b"\x00\x00":
        return "ICO"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head and b"<html" not in head:
        return "SVG"
    return None


def convert_image(data: bytes, options: ImageOptions) -> Converted:
    """``data`` made fit for an e-reader; ``ConversionError`` explains a refusal."""
    kind = sniff(data)
    if kind == "SVG":
        svg, (width, height) = sanitise_svg(data)
        return Converted("image/svg+xml", svg, width, height, changed=svg != data)
    if kind is None:
        raise ConversionError(_unknown_format(data))
    image = _open(data, kind)
    try:
        width, height = image.size
        if width <= TRACKING_PIXEL_MAX_EDGE and height <= TRACKING_PIXEL_MAX_EDGE:
            return TRACKING_PIXEL
        _check_decodable(kind, width, height, options.max_px)
        if kind == "JPEG":
            converted = _convert_jpeg(data, image, options)
        elif kind == "GIF" and _gif_stays(image, options):
            converted = Converted("image/gif", data, width, height)
        else:
            converted = _convert_other(kind, data, image, options)
        return dataclasses.replace(converted, changed=converted.data != data)
    except ConversionError:
        raise
    except Exception as error:  # a decoder meeting hostile bytes may raise anything
        raise ConversionError(f"the {kind} image cannot be decoded ({error})") from None
    finally:
        image.close()


def _open(data: bytes, kind: str) -> ImageFile.ImageFile:
    Image.init()
    plugin = "WEBP" if kind == "WEBP-LOSSLESS" else kind
    if plugin not in Image.OPEN:
        raise ConversionError(f"{kind} images are not supported by this Pillow build")
    factory, accept = Image.OPEN[plugin]
    accepted = True if accept is None else accept(data[:16])
    if accepted is not True:
        reason = accepted if isinstance(accepted, str) else "Pillow does not recognise it"
        raise ConversionError(f"the {kind} image cannot be read ({reason})")
    try:
        return factory(io.BytesIO(data), "")
    except Exception as error:
        raise ConversionError(f"the {kind} image is corrupt ({error})") from None


def decode_pixels(data: bytes, max_px: int) -> int:
    """How many pixels converting ``data`` decodes at once (after JPEG draft scaling), read
    from its header alone; 0 for an SVG or bytes that will not open (nothing is decoded)."""
    kind = sniff(data)
    if kind in (None, "SVG"):
        return 0
    try:
        image = _open(data, kind)
    except ConversionError:
        return 0
    with image:
        width, height = image.size
    return _decoded_pixels(kind, width, height, max_px)


def _decoded_pixels(kind: str, width: int, height: int, max_px: int) -> int:
    scale = 1
    if kind == "JPEG":  # draft() decodes at 1/2, 1/4 or 1/8 while still >= max_px
        while scale < 8 and max(width, height) // (scale * 2) >= max_px:
            scale *= 2
    return (width // scale) * (height // scale)


def _check_decodable(kind: str, width: int, height: int, max_px: int) -> None:
    if _decoded_pixels(kind, width, height, max_px) > MAX_DECODE_PIXELS:
        raise ConversionError(f"the image is too large to decode safely ({width}x{height} px)")


def _convert_jpeg(data: bytes, image: ImageFile.ImageFile, options: ImageOptions) -> Converted:
    width, height = image.size
    unchanged = (
        image.mode in ("RGB", "L")
        and max(width, height) <= options.max_px
        and _orientation(image) == 1
        and not (options.grayscale and image.mode != "L")
        and _is_srgb(image.info.get("icc_profile"))
    )
    if unchanged:
        return Converted("image/jpeg", strip_jpeg_metadata(data), width, height)
    target = _fitted(width, height, options.max_px)
    image.draft(None, target)  # decode at a reduced scale when that still gives >= target
    return _encode(_prepared(image, options), options, lossless_source=False)


def _convert_other(
    kind: str, data: bytes, image: ImageFile.ImageFile, options: ImageOptions
) -> Converted:
    image.seek(0)  # animations, multi-page TIFF: the first frame
    same_pixels = (
        kind == "PNG"
        and max(image.size) <= options.max_px
        and not options.grayscale
        and _orientation(image) == 1
        and _is_srgb(image.info.get("icc_profile"))
    )
    prepared = _prepared(image, options)
    png_hint = 0
    if kind in ("PNG", "WEBP-LOSSLESS"):  # compressed already: its size predicts a PNG's
        scale = (prepared.width * prepared.height) / (image.width * image.height)
        png_hint = round(len(data) * scale)
    lossless = kind in _LOSSLESS_SOURCES
    converted = _encode(prepared, options, lossless_source=lossless, png_hint=png_hint)
    if same_pixels and converted.media_type == "image/png":
        # Our re-encoding may be larger than a PNG optimiser's work: keep theirs, minus metadata.
        original = strip_png_metadata(data)
        if len(original) <= len(converted.data):
            return Converted("image/png", original, *image.size)
    return converted


def _gif_stays(image: ImageFile.ImageFile, options: ImageOptions) -> bool:
    animated = bool(getattr(image, "is_animated", False))
    return not animated and not options.grayscale and max(image.size) <= options.max_px


def _prepared(image: Image.Image, options: ImageOptions) -> Image.Image:
    """Decoded, upright, sRGB, in RGB(A)/L(A), no larger than ``max_px``, grey if asked."""
    if _orientation(image) != 1:
        image = ImageOps.exif_transpose(image)
    image = _to_srgb(image)
    if max(image.size) > options.max_px:
        image.thumbnail((options.max_px, options.max_px), Image.Resampling.LANCZOS, 2.0)
    if image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert(image.mode[:-1])  # an alpha channel that hides nothing
    if options.grayscale and image.mode in ("RGB", "RGBA"):
        image = image.convert("L" if image.mode == "RGB" else "LA")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if profile and _HAS_CMS and not _is_srgb(profile) and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            target = ImageCms.createProfile("sRGB")
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, target, outputMode=mode)
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to Pillow's plain conversion below
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode in ("PA", "RGBa", "La"):
        return image.convert("RGBA" if image.mode != "La" else "LA")
    if image.mode in ("1",):
        return image.convert("L")
    if image.mode.startswith("I"):  # 16/32-bit grey: scale to 8 bits
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX...


def _encode(
    image: Image.Image, options: ImageOptions, *, lossless_source: bool, png_hint: int = 0
) -> Converted:
    """PNG for transparency and few colours; else JPEG, or PNG when not much larger.

    ``png_hint`` estimates the PNG's size (0: unknown); far above JPEG's, the PNG is not made.
    """
    if image.mode in ("RGBA", "LA"):
        return _png(image)
    limit = _FEW_COLOURS.get(image.mode)
    if lossless_source and limit is not None:
        colours = image.getcolors(limit)
        if colours is not None:
            if image.mode == "RGB":
                # median cut over <= 256 distinct colours keeps every one: lossless
                image = image.quantize(len(colours), Image.Quantize.MEDIANCUT, dither=_NO_DITHER)
            return _png(image)
    jpeg = _jpeg(image, options)
    clearly_photo = png_hint > 2 * _PNG_OVER_JPEG_MAX_RATIO * len(jpeg.data)
    if lossless_source and not clearly_photo:
        png = _png(image)
        if len(png.data) <= _PNG_OVER_JPEG_MAX_RATIO * len(jpeg.data):
            return png
    return jpeg


def _png(image: Image.Image) -> Converted:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=9 if image.mode == "P" else 6)
    return Converted("image/png", buffer.getvalue(), *image.size)


def _jpeg(image: Image.Image, options: ImageOptions) -> Converted:
    buffer = io.BytesIO()
    image.convert("L" if image.mode == "L" else "RGB").save(
        buffer, "JPEG", quality=options.jpeg_quality, optimize=True
    )
    return Converted("image/jpeg", buffer.getvalue(), *image.size)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # malformed EXIF: treat as upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _is_srgb(profile: object) -> bool:
    """True without a profile, or for an sRGB one (or when we cannot tell: no LittleCMS)."""
    if not profile or not _HAS_CMS or not isinstance(profile, bytes):
        return True
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile)))
    except (ImageCms.PyCMSError, OSError, ValueError):
        return True
    return "srgb" in description.lower()


def _fitted(width: int, height: int, max_px: int) -> tuple[int, int]:
    scale = min(1.0, max_px / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _unknown_format(data: bytes) -> str:
    head = data[:1024].lstrip().lower()
    if not data:
        return "not an image (the body is empty)"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "not an image (the server sent an HTML page)"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "HEIC images are not supported"
    return "not an image in a supported format"
