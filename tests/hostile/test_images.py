"""Hostile images, served on 127.0.0.1 and embedded (``--images embed``, the default): scripts in
SVG, HTML sent as a PNG, a decompression bomb, a redirect to a script. Whatever the image stage
keeps must be as safe as the pages around it, in EPUBs (which pass EPUBCheck) and in bundles.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import re
import struct
import zlib
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.hostile.corpus import escape, item, rss
from tests.hostile.runner import Run, archive_entries, assert_clean_stderr, run_command
from tests.hostile.scan import unsafe_in_css, unsafe_in_markdown, unsafe_in_markup
from tests.httpserver import Server

pytestmark = pytest.mark.network

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{}</svg>'
_PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


def _png(width: int, height: int, rows: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = rows if rows is not None else b"\x00" + b"\xff\x00\x00" * width
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels * min(height, 4)))
        + chunk(b"IEND", b"")
    )  # fmt: skip


IMAGES: dict[str, tuple[bytes, str]] = {
    "/script.svg": (SVG.format("<script>alert(1)</script><rect width='5' height='5'/>").encode(), "image/svg+xml"),
    "/onload.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="5" height="5"/>', "image/svg+xml"),
    "/foreign.svg": (SVG.format("<foreignObject><iframe xmlns='http://www.w3.org/1999/xhtml' src='javascript:alert(1)'/></foreignObject>").encode(), "image/svg+xml"),
    "/link.svg": (SVG.format("<a xlink:href='javascript:alert(1)'><rect width='5' height='5'/></a>").encode(), "image/svg+xml"),
    "/remote.svg": (SVG.format("<image href='http://xss.example/track.png' width='5' height='5'/>").encode(), "image/svg+xml"),
    "/style-url.svg": (SVG.format("<style>rect{fill:url(http://xss.example/t.png)}</style><rect width='5' height='5'/>").encode(), "image/svg+xml"),
    "/entity.svg": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SVG.format("<text>&x;</text>").encode(), "image/svg+xml"),
    "/plain.svg": (SVG.format("<rect width='5' height='5' fill='#c00'/>").encode(), "image/svg+xml"),
    "/html-as-png": (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "image/png"),
    "/bomb.png": (_png(60_000, 60_000), "image/png"),
    "/pixel.gif": (_PIXEL_GIF, "image/gif"),
    "/red.png": (_png(40, 20), "image/png"),
}  # fmt: skip
CSS_BYPASSES: dict[str, tuple[bytes, str]] = {
    "/css-escape.svg": (SVG.format("<style>rect{fill:\\75 rl(http://xss.example/t.png)}</style><rect width='5' height='5'/>").encode(), "image/svg+xml"),
    "/image-set.svg": (SVG.format("<style>rect{fill:image-set('http://xss.example/t.png' 1x)}</style><rect width='5' height='5'/>").encode(), "image/svg+xml"),
}  # fmt: skip


def _feed(server: Server, paths: list[str]) -> bytes:
    body = "".join(f'<p><img src="{server.url(path)}" alt="alt for {path}"></p>' for path in paths)
    body += f'<p><a href="{server.url("/redirect")}"><img src="{server.url("/redirect")}" alt="r"></a></p>'
    return rss(item("Hostile images", escape(body), slug="images")).encode()


def _serve(server: Server, images: dict[str, tuple[bytes, str]]) -> None:
    for path, (data, media_type) in images.items():
        server.route(path, body=data, headers={"Content-Type": media_type})
    server.route("/redirect", status=302, headers={"Location": "/script.svg"})


_SVG_DANGER = re.compile(
    r"<script|foreignObject|\bon[a-z]+\s*=|javascript:|https?://xss|@import", re.I
)


def unsafe_in_svg(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    found = [match.group(0) for match in _SVG_DANGER.finditer(data.decode("utf-8", "replace"))]
    for element in root.iter():
        for raw_name, raw_value in element.items():
            name, value = str(raw_name), str(raw_value)
            local = name.rsplit("}", 1)[-1]
            if local in ("href", "src") and not value.strip().startswith(("#", "data:image/")):
                found.append(f"{name}={value!r}")
    found += unsafe_in_css(data.decode("utf-8", "replace"))
    return found


def _check_epub(path: Path) -> list[str]:
    entries = dict(archive_entries(path))
    folder = next(name for name in entries if name.endswith(".opf")).rsplit("/", 1)[0] + "/"
    files = {name.removeprefix(folder) for name in entries}
    problems = []
    for name, data in entries.items():
        if name.endswith(".xhtml"):
            body = etree.fromstring(data).find("{http://www.w3.org/1999/xhtml}body")
            assert body is not None
            problems += [f"{name}: {p}" for p in unsafe_in_markup(body, book_files=files)]
        elif name.endswith(".svg"):
            problems += [f"{name}: {p}" for p in unsafe_in_svg(data)]
    return problems


def _build(server: Server, tmp_path: Path, images: dict[str, tuple[bytes, str]]) -> dict[str, Run]:
    _serve(server, images)
    source = tmp_path / "images.xml"
    source.write_bytes(_feed(server, list(images)))
    runs = {}
    for command in ("epub", "markdown"):
        runs[command] = run_command(command, [str(source)], tmp_path / command, "--images", "embed")
        assert_clean_stderr(runs[command])
        assert runs[command].code == 0, runs[command].stderr
    return runs


def test_hostile_images_are_refused_or_made_safe(server: Server, tmp_path: Path) -> None:
    runs = _build(server, tmp_path, IMAGES)
    books = runs["epub"].epubs()
    assert len(books) == 1
    problems = _check_epub(books[0])
    entries = dict(archive_entries(books[0]))
    assert any(name.endswith(".svg") for name in entries), "the plain SVG should be kept"
    assert any(name.endswith(".png") and "cover" not in name for name in entries)
    for path in runs["markdown"].files:
        if path.suffix == ".md":
            problems += [f"{path.name}: {p}" for p in unsafe_in_markdown(path.read_text())]
        elif path.suffix == ".svg":
            problems += [f"{path.name}: {p}" for p in unsafe_in_svg(path.read_bytes())]
    assert problems == []
    assert not [request for request, _ in server.requests if "xss.example" in request]
    assert_all_epubcheck_clean({path.name: path for path in books})


def test_svg_style_sheets_cannot_load_remote_files_in_disguise(
    server: Server, tmp_path: Path
) -> None:
    runs = _build(server, tmp_path, CSS_BYPASSES)
    problems = _check_epub(runs["epub"].epubs()[0])
    assert problems == [], problems


BROKEN_REFERENCES: dict[str, tuple[bytes, str]] = {
    "/use-gradient.svg": (SVG.format("<defs><linearGradient id='g'><stop offset='0' stop-color='red'/></linearGradient></defs><use xlink:href='#g'/><rect width='5' height='5' fill='url(#g)'/>").encode(), "image/svg+xml"),
    "/use-missing.svg": (SVG.format("<use xlink:href='#nothing'/><rect width='5' height='5' fill='url(#none)'/>").encode(), "image/svg+xml"),
    "/fill-not-paint.svg": (SVG.format("<rect id='r' width='5' height='5'/><rect width='5' height='5' fill='url(#r)' stroke='url(#r) blue'/>").encode(), "image/svg+xml"),
    "/use-symbol.svg": (SVG.format("<symbol id='s'><rect width='5' height='5'/></symbol><use href='#s'/><a href='#gone'><rect width='2' height='2'/></a>").encode(), "image/svg+xml"),
}  # fmt: skip


def test_svg_references_epubcheck_rejects_are_repaired_not_dropped(
    server: Server, tmp_path: Path
) -> None:
    """A ``<use>`` of a gradient, a ``fill`` naming a rectangle or a link to a missing id are
    drawing mistakes, not dangers: the image is kept, repaired, and the book passes EPUBCheck
    (found as RSC-012/RSC-014 errors before the repair)."""
    runs = _build(server, tmp_path, BROKEN_REFERENCES)
    books = runs["epub"].epubs()
    entries = dict(archive_entries(books[0]))
    svgs = [name for name in entries if name.endswith(".svg")]
    assert len(svgs) == len(BROKEN_REFERENCES)
    assert _check_epub(books[0]) == []
    assert_all_epubcheck_clean({path.name: path for path in books})


_USE_BOMB = (
    "<defs><g id='l0'><rect width='1' height='1'/></g>"
    + "".join(
        f"<g id='l{n}'>" + f"<use xlink:href='#l{n - 1}'/>" * 10 + "</g>" for n in range(1, 11)
    )
    + "</defs><use xlink:href='#l10'/>"
)
RENDER_BOMBS: dict[str, tuple[bytes, str]] = {
    "/use-bomb.svg": (SVG.format(_USE_BOMB).encode(), "image/svg+xml"),
    "/turbulence.svg": (SVG.format("<filter id='f'><feTurbulence baseFrequency='0.05' numOctaves='1000000'/></filter><rect width='5' height='5' filter='url(#f)'/>").encode(), "image/svg+xml"),
    "/huge.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="1e9" height="1e9"><rect width="5" height="5"/></svg>', "image/svg+xml"),
}  # fmt: skip


def test_svg_render_bombs_are_refused_or_bounded(server: Server, tmp_path: Path) -> None:
    """A <use> tree of 10^10 instances is refused (with a warning, the alt text stays); an
    feTurbulence of a million octaves keeps 8; a 1e9 px drawing is scaled to 4096 px, on the
    <img> too. The book passes EPUBCheck."""
    runs = _build(server, tmp_path, RENDER_BOMBS)
    assert any(
        "use-bomb.svg" in line and "too many elements" in line for line in runs["epub"].warnings()
    )
    books = runs["epub"].epubs()
    entries = dict(archive_entries(books[0]))
    svgs = [data for name, data in entries.items() if name.endswith(".svg")]
    assert len(svgs) == 2
    assert any(b'numOctaves="8"' in data for data in svgs)
    pages = b"".join(data for name, data in entries.items() if name.endswith(".xhtml"))
    assert b'width="4096" height="4096"' in pages
    assert b"alt for /use-bomb.svg" in pages
    assert _check_epub(books[0]) == []
    assert_all_epubcheck_clean({path.name: path for path in books})


@pytest.mark.slow
def test_one_photo_behind_many_addresses_costs_memory_and_disk_once(
    server: Server, tmp_path: Path
) -> None:
    """The same ~6 MB photo behind 200 query strings: bodies are streamed to disk, stored once
    by content, converted once. Peak memory stays far under 500 MB (it grew with every URL:
    334 MB for 100, about 2 GB for 1,000) and the cache holds one copy, not 200."""
    image = Image.frombytes("RGB", (2800, 2100), random.Random(6).randbytes(2800 * 2100 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=93)
    assert len(buffer.getvalue()) > 5_000_000
    url = server.route("/photo.jpg", body=buffer.getvalue(), headers={"Content-Type": "image/jpeg"})
    count = 200
    body = "".join(f'<p><img src="{url}?v={n}" alt="photo {n}"></p>' for n in range(count))
    source = tmp_path / "photos.xml"
    source.write_text(rss(item("Photos", escape(body), slug="photos")))
    run = run_command("epub", [str(source)], tmp_path / "out", "--images", "embed", measure=True)
    assert run.code == 0, run.stderr
    assert "200 downloaded" in run.stderr and "0 failed" in run.stderr
    assert run.peak_mb is not None and run.peak_mb < 500, run.peak_mb
    cache = Path(os.environ["FEED2BOOK_CACHE_DIR"]) / "images"
    blobs = [path for path in (cache / "blobs").rglob("*.body")]
    assert len(blobs) == 1  # one copy, indexed by every URL
    assert len(list((cache / "raw").rglob("*.json"))) == count
    assert sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) < 2 * len(
        buffer.getvalue()
    )
    entries = dict(archive_entries(run.epubs()[0]))
    assert len([name for name in entries if "/images/" in name]) == 1


def test_a_feed_claiming_a_public_home_cannot_make_feed2book_fetch_this_machine(
    server: Server, tmp_path: Path
) -> None:
    """A JSON Feed file whose feed_url is on a public host stands for a feed fetched from there:
    its images on 127.0.0.1 (in any spelling) are refused, each with a warning, and nothing
    reaches the server. The same feed as a plain local file fetches them."""
    url = server.route("/secret.png", body=_png(40, 20), headers={"Content-Type": "image/png"})
    port = url.split(":")[2].split("/")[0]
    sources = [
        url,
        f"http://0x7f000001:{port}/secret.png",
        f"http://[::ffff:127.0.0.1]:{port}/secret.png",
    ]
    content = "".join(f'<p><img src="{src}" alt="secret {n}"></p>' for n, src in enumerate(sources))
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Public blog",
        "feed_url": "https://blog.example/feed.json",
        "items": [{"id": "1", "title": "Post", "url": "https://blog.example/1", "content_html": content,
                   "date_published": "2026-06-01T10:00:00Z", "authors": [{"name": "Ann"}]}],
    }  # fmt: skip
    source = tmp_path / "public.json"
    source.write_text(json.dumps(feed))
    run = run_command("epub", [str(source)], tmp_path / "out", "--images", "embed")
    assert run.code == 0, run.stderr
    refused = [line for line in run.warnings() if "internal address" in line]
    assert len(refused) == 3, run.stderr
    assert not [path for path, _ in server.requests if path.startswith("/secret")]
    del feed["feed_url"]
    source.write_text(json.dumps(feed))
    run = run_command("epub", [str(source)], tmp_path / "local", "--images", "embed")
    assert not [line for line in run.warnings() if "internal address" in line], run.stderr
    assert [path for path, _ in server.requests if path.startswith("/secret")]
