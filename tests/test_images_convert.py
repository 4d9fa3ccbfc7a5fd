"""Image conversion for e-readers: formats sniffed from bytes, size caps, rotation, metadata,
safe SVG only, tracking pixels, decompression bombs; srcset choice; data: URIs. No network."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import pytest
from lxml import etree
from PIL import Image, features

from feed2book.clean.rules import best_srcset_url
from feed2book.images import ConversionError, ImageOptions, convert_image, sniff
from feed2book.images.fetch import decode_data_uri, parse_retry_after
from feed2book.images.lossless import strip_jpeg_metadata, strip_png_metadata
from tests import images_fixtures as fx

OPTIONS = ImageOptions()


def decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


# fixture, sniffed format, output media type, output size (None: same as the input)
CASES: list[tuple[Callable[[], bytes], str, str, tuple[int, int] | None]] = [
    (fx.webp_photo, "WEBP", "image/jpeg", None),
    (fx.png_with_alpha, "PNG", "image/png", None),
    (fx.huge_jpeg, "JPEG", "image/jpeg", (1600, 1067)),
    (fx.exif_rotated_jpeg, "JPEG", "image/jpeg", (200, 300)),
    (fx.cmyk_jpeg, "JPEG", "image/jpeg", None),
    (fx.animated_gif, "GIF", "image/png", None),
    (fx.static_gif, "GIF", "image/gif", None),
    (fx.bmp_photo, "BMP", "image/jpeg", None),
    (fx.tiff_diagram, "TIFF", "image/png", None),
    (fx.smooth_png, "PNG", "image/png", None),
    (fx.ico_icon, "ICO", "image/png", None),
]


@pytest.mark.parametrize(
    ("make", "kind", "media_type", "size"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_conversion_table(
    make: Callable[[], bytes], kind: str, media_type: str, size: tuple[int, int] | None
) -> None:
    data = make()
    assert sniff(data) == kind
    converted = convert_image(data, OPTIONS)
    assert converted.media_type == media_type
    image = decoded(converted.data)
    assert image.size == (converted.width, converted.height)
    assert image.size == (size or decoded(data).size)
    assert image.mode in {"RGB", "RGBA", "L", "LA", "P"}
    assert "exif" not in image.info and "icc_profile" not in image.info


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_becomes_jpeg() -> None:
    converted = convert_image(fx.avif_photo(), OPTIONS)
    assert converted.media_type == "image/jpeg"
    assert (converted.width, converted.height) == (400, 300)


def test_format_comes_from_bytes_not_from_names() -> None:
    # A PNG is a PNG whatever the URL or Content-Type claimed; HTML is never an image.
    assert sniff(fx.png_with_alpha()) == "PNG"
    with pytest.raises(ConversionError, match="HTML page"):
        convert_image(b"<!DOCTYPE html><html><body>Not found</body></html>", OPTIONS)
    with pytest.raises(ConversionError, match="empty"):
        convert_image(b"", OPTIONS)
    with pytest.raises(ConversionError, match=r"cannot be decoded|corrupt"):
        convert_image(fx.huge_jpeg()[:3000], OPTIONS)  # truncated


def test_exif_orientation_applied_and_metadata_gone() -> None:
    converted = convert_image(fx.exif_rotated_jpeg(), OPTIONS)
    image = decoded(converted.data)
    assert image.size == (200, 300)
    red = image.getpixel((195, 5))  # stored top-left, shown top-right after 90 degrees
    assert isinstance(red, tuple) and red[0] > 180 and red[1] < 80
    assert image.getpixel((5, 5)) != red
    assert not image.getexif()
    assert b"Camera Maker" not in converted.data


def test_jpeg_metadata_cut_losslessly() -> None:
    original = fx.jpeg_with_metadata()
    converted = convert_image(original, OPTIONS)
    assert converted.changed and len(converted.data) < len(original)
    assert b"Camera Maker" not in converted.data and b"secret" not in converted.data
    assert decoded(converted.data).tobytes() == decoded(original).tobytes()  # not re-encoded
    assert strip_jpeg_metadata(converted.data) == converted.data
    assert strip_jpeg_metadata(b"not a jpeg") == b"not a jpeg"


def test_clean_jpeg_kept_byte_for_byte() -> None:
    original = fx.encode(fx.photo(300, 200), "JPEG", quality=80)
    converted = convert_image(original, OPTIONS)
    assert converted.data == original and not converted.changed


def test_png_metadata_cut_and_optimised_png_kept() -> None:
    from PIL import PngImagePlugin

    image = decoded(fx.smooth_png())  # many colours, but PNG compresses it well

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone private")
    original = fx.encode(image, "PNG", pnginfo=info, optimize=True)
    converted = convert_image(original, OPTIONS)
    assert converted.media_type == "image/png"
    assert b"someone private" not in converted.data
    assert decoded(converted.data).convert("RGB").tobytes() == image.tobytes()
    assert len(converted.data) <= len(original)
    assert strip_png_metadata(b"junk") == b"junk"


def test_cmyk_becomes_rgb() -> None:
    converted = convert_image(fx.cmyk_jpeg(), OPTIONS)
    assert decoded(converted.data).mode == "RGB"


def test_animated_gif_keeps_first_frame() -> None:
    converted = convert_image(fx.animated_gif(), OPTIONS)
    image = decoded(converted.data).convert("RGB")
    assert image.getpixel((10, 10)) == fx.RED
    assert not getattr(decoded(converted.data), "is_animated", False)


def test_alpha_kept_and_few_colours_become_palette_png() -> None:
    alpha = decoded(convert_image(fx.png_with_alpha(), OPTIONS).data)
    assert alpha.mode == "RGBA" and alpha.getchannel("A").getextrema() != (255, 255)
    diagram = decoded(convert_image(fx.tiff_diagram(), OPTIONS).data)
    assert diagram.mode == "P"
    assert decoded(fx.tiff_diagram()).tobytes() == diagram.convert("RGB").tobytes()  # lossless


def test_grayscale_and_max_px_options() -> None:
    options = ImageOptions(grayscale=True, max_px=500, jpeg_quality=60)
    converted = convert_image(fx.webp_photo(), options)
    image = decoded(converted.data)
    assert image.mode == "L" and max(image.size) == 500 and image.size == (500, 333)
    assert decoded(convert_image(fx.png_with_alpha(), options).data).mode == "LA"
    assert decoded(convert_image(fx.huge_jpeg(), options).data).mode == "L"


def test_tracking_pixels_dropped() -> None:
    assert convert_image(fx.one_pixel_gif(), OPTIONS).tracking_pixel
    two = fx.encode(Image.new("RGB", (2, 2)), "PNG")
    assert convert_image(two, OPTIONS).tracking_pixel
    three = fx.encode(Image.new("RGB", (3, 1), fx.RED), "PNG")
    assert not convert_image(three, OPTIONS).tracking_pixel


def test_decompression_bomb_refused_without_decoding() -> None:
    with pytest.raises(ConversionError, match="too large to decode safely"):
        convert_image(fx.huge_dimension_png(), OPTIONS)


def test_big_jpeg_decoded_at_reduced_scale() -> None:
    # 9000x6000 = 54 Mpx is over the decode limit, but a 1/4-scale draft is 3.4 Mpx.
    big = fx.encode(Image.new("L", (9000, 6000), 128), "JPEG", quality=50)
    converted = convert_image(big, OPTIONS)
    assert (converted.width, converted.height) == (1600, 1067)


SAFE_SVGS = {
    "clean drawing, editor junk stripped": fx.CLEAN_SVG,
    "embedded png": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="data:image/png;base64,iVBORw0KGgo="/></svg>',
    "size from viewBox": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"/>',
    "ordinary style sheet": b'<svg xmlns="http://www.w3.org/2000/svg"><style>/* theme */ text{font-family:"Open Sans";content:"\\2014"} rect{fill:url(#g)}</style><linearGradient id="g"/><rect style="fill:url( \'#g\' )"/></svg>',
}
UNSAFE_SVGS = {
    "script": (fx.SCRIPT_SVG, "<script>"),
    "event handler": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
    "foreignObject": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject></svg>',
        "foreignObject",
    ),
    "external image": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>',
        "another file",
    ),
    "external use": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="other.svg#a"/></svg>',
        "another file",
    ),
    "css url": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://x.example/p)"/></svg>',
        "another file",
    ),
    "css import": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import "http://x.example/a.css";</style></svg>',
        "imports",
    ),
    "svg data uri": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>',
        "another file",
    ),
    "javascript link": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
        "another file",
    ),
    "animated link": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/></a></svg>',
        "animates",
    ),
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        "DTD|entities",
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
        "DTD|entities",
    ),
    "css escape spells url": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:\\75 rl(http://x.example/t.png)}</style></svg>',
        "another file",
    ),
    "css comment splits url": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:u/**/rl(http://x.example/t.png)"/></svg>',
        "another file",
    ),
    "css escape inside the address": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(\\68ttp://x.example/t.png)"/></svg>',
        "another file",
    ),
    "css image-set": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:image-set("http://x.example/t.png" 1x)}</style></svg>',
        "image-set",
    ),
    "css prefixed image-set": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:-webkit-image-set("t.png" 1x)}</style></svg>',
        "image-set",
    ),
    "css escaped import": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>@\\69mport "http://x.example/a.css";</style></svg>',
        "imports",
    ),
    "not svg root": (b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>', "HTML|not an"),
    "malformed": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', "well-formed"),
}


@pytest.mark.parametrize("data", SAFE_SVGS.values(), ids=SAFE_SVGS.keys())
def test_safe_svg_kept_and_reserialised(data: bytes) -> None:
    converted = convert_image(data, OPTIONS)
    assert converted.media_type == "image/svg+xml"
    text = converted.data.decode()
    assert "inkscape" not in text and "<!--" not in text and "metadata" not in text
    assert converted.width > 0 and converted.height > 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<linearGradient id='g'/><use href='#g'/>", '<linearGradient id="g"/>'),
        ("<clipPath id='c'/><use xlink:href='#c'/>", '<clipPath id="c"/>'),
        ("<use href='#missing'/>", ""),
        ("<g id='x'/><use href='#x'/>", '<g id="x"/><use href="#x"/>'),
        ("<rect id='r' fill='url(#r)'/>", '<rect id="r" fill="none"/>'),
        ("<rect stroke=\"url('#gone') #c00\"/>", '<rect stroke="#c00"/>'),
        ("<pattern id='p'/><rect fill='url(#p)'/>", '<pattern id="p"/><rect fill="url(#p)"/>'),
        ("<a href='#gone'><rect/></a>", "<a><rect/></a>"),
    ],
)
def test_svg_references_repaired(body: str, expected: str) -> None:
    """References EPUBCheck rejects (RSC-012 missing, RSC-014 wrong kind) are repaired."""
    data = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        + body
        + "</svg>"
    ).encode()
    text = convert_image(data, OPTIONS).data.decode()
    assert text.split(">", 2)[2].removesuffix("</svg>") == expected


def test_svg_size() -> None:
    assert (convert_image(fx.CLEAN_SVG, OPTIONS).width, 80) == (120, 80)
    viewbox = convert_image(SAFE_SVGS["size from viewBox"], OPTIONS)
    assert (viewbox.width, viewbox.height) == (40, 20)


@pytest.mark.parametrize(("data", "reason"), UNSAFE_SVGS.values(), ids=UNSAFE_SVGS.keys())
def test_unsafe_svg_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ConversionError, match=reason):
        convert_image(data, OPTIONS)


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("a.jpg 400w, b.jpg 1600w, c.jpg 800w", "b.jpg"),
        ("a.jpg 600w, b.jpg 2400w, c.jpg 1400w", "c.jpg"),  # closest, not widest
        ("a.jpg 1500w, b.jpg 1700w", "b.jpg"),  # a tie goes to the wider one
        ("a.jpg, b.jpg 2x, c.jpg 3x", "b.jpg"),  # densities: 2x counts as 1600 px
        ("https://x/a,b.jpg 100w, https://x/c.jpg 3000w", "https://x/c.jpg"),  # commas in URLs
        ("only.jpg", "only.jpg"),
        ("a.jpg junkw, b.jpg 1200w", "b.jpg"),
        ("", ""),
    ],
)
def test_srcset_closest_to_target(srcset: str, expected: str) -> None:
    assert best_srcset_url(srcset) == expected


def test_srcset_other_target() -> None:
    assert best_srcset_url("a.jpg 400w, b.jpg 1600w, c.jpg 800w", target_width=700) == "c.jpg"


def test_data_uris_decoded() -> None:
    png = fx.encode(Image.new("RGB", (4, 4), fx.RED), "PNG")
    encoded = base64.b64encode(png).decode()
    assert decode_data_uri(f"data:image/png;base64,{encoded}", 1000) == png
    assert decode_data_uri(f"data:image/png;base64,{encoded.rstrip('=')}", 1000) == png
    assert decode_data_uri("data:image/svg+xml,%3Csvg%2F%3E", 1000) == b"<svg/>"
    with pytest.raises(ValueError, match="size limit"):
        decode_data_uri(f"data:image/png;base64,{encoded}", 10)
    with pytest.raises(ValueError, match="corrupt"):
        decode_data_uri("data:image/png;base64,@@@@", 1000)
    with pytest.raises(ValueError, match="not a data"):
        decode_data_uri("https://example.com/x.png", 1000)


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Fri, 01 May 2026 12:00:10 GMT", now) == 10.0
    assert parse_retry_after("Fri, 01 May 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_options_validated() -> None:
    with pytest.raises(ValueError, match="max_px"):
        ImageOptions(max_px=0)
    with pytest.raises(ValueError, match="jpeg_quality"):
        ImageOptions(jpeg_quality=101)


def _use_bomb(levels: int, fan_out: int = 10) -> bytes:
    """``levels`` groups, each drawing the previous one ``fan_out`` times: fan_out**levels."""
    groups = ['<g id="l0"><rect width="1" height="1"/></g>']
    for level in range(1, levels + 1):
        uses = f'<use href="#l{level - 1}"/>' * fan_out
        groups.append(f'<g id="l{level}">{uses}</g>')
    body = "<defs>" + "".join(groups) + f'</defs><use href="#l{levels}"/>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{body}</svg>'.encode()


def test_svg_use_tree_of_ten_billion_instances_is_refused() -> None:
    bomb = _use_bomb(10)  # 10^10 rectangles in under 2 kB
    assert len(bomb) < 2000
    with pytest.raises(ConversionError, match="too many elements"):
        convert_image(bomb, OPTIONS)


def test_svg_use_nested_too_deep_is_refused_and_a_modest_one_kept() -> None:
    with pytest.raises(ConversionError, match="nests <use> more than"):
        convert_image(_use_bomb(12, fan_out=1), OPTIONS)
    assert convert_image(_use_bomb(3), OPTIONS).media_type == "image/svg+xml"  # 1,000 is fine


def test_svg_use_referring_to_itself_is_refused() -> None:
    loop = b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>'
    with pytest.raises(ConversionError, match="refer to themselves"):
        convert_image(loop, OPTIONS)


@pytest.mark.parametrize(
    ("primitive", "attribute", "kept"),
    [
        ('<feTurbulence baseFrequency="0.05" numOctaves="1e6"/>', "numOctaves", "8"),
        ('<feGaussianBlur stdDeviation="1e9 5"/>', "stdDeviation", "100 5"),
        ('<feMorphology radius="100000"/>', "radius", "100"),
        ('<feConvolveMatrix order="3000" kernelMatrix="1"/>', "order", "5"),
    ],
)
def test_svg_filter_parameters_are_clamped(primitive: str, attribute: str, kept: str) -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><filter id="f">{primitive}</filter><rect width="5" height="5" filter="url(#f)"/></svg>'
    converted = convert_image(svg.encode(), OPTIONS)
    assert f'{attribute}="{kept}"' in converted.data.decode()


@pytest.mark.parametrize(
    "root",
    ['width="1e9" height="5e8"', 'width="1000000000" height="500000000"', 'viewBox="0 0 1e9 5e8"'],
)
def test_svg_huge_size_is_scaled_down_whole(root: str) -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" {root}><rect width="5" height="5"/></svg>'
    converted = convert_image(svg.encode(), OPTIONS)
    assert (converted.width, converted.height) == (4096, 2048)
    kept = etree.fromstring(converted.data)
    assert (kept.get("width"), kept.get("height")) == ("4096", "2048")
    assert kept.get("viewBox") in ("0 0 1000000000 500000000", "0 0 1e9 5e8")


def test_svg_infinite_size_falls_back_to_the_default() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1e999" height="1e999" viewBox="0 0 1e999 1"/>'
    assert convert_image(svg, OPTIONS).width == 300


def test_svg_long_chain_of_use_is_refused_without_exhausting_the_stack() -> None:
    chain = "".join(f'<g id="c{n}"><use href="#c{n + 1}"/></g>' for n in range(3000))
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><g id="c3000"/>{chain}</svg>'
    with pytest.raises(ConversionError, match="nests <use> more than 8 deep"):
        convert_image(svg.encode(), OPTIONS)
