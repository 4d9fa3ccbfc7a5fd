"""Images end to end through `feed2book epub` and `feed2book markdown`: a dev.to-shaped feed whose
articles carry images served by a real server on 127.0.0.1."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests import images_fixtures as fx
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.httpserver import Server

runner = CliRunner()


def feed(server: Server, *, count: int = 3) -> str:
    """An RSS feed of ``count`` articles, each with a WebP photo, a PNG with alpha, a 1x1 pixel
    and an image that 404s; served images are routed on ``server``."""
    server.route("/img/photo.webp", body=fx.webp_photo(), headers={"Content-Type": "image/webp"})
    server.route("/img/alpha.png", body=fx.png_with_alpha(), headers={"Content-Type": "image/png"})
    server.route("/img/dot.gif", body=fx.encode(fx.photo(1, 1), "GIF"))
    items = []
    for n in range(1, count + 1):
        body = (
            f"<p>Part {n} starts with a photo.</p>"
            f'<p><img src="{server.url("/img/photo.webp")}" alt="A photo {n}"></p>'
            f'<p><img src="{server.url("/img/alpha.png")}" alt="Logo"></p>'
            f'<p>Tracked<img src="{server.url("/img/dot.gif")}" alt=""></p>'
            f'<p><img src="{server.url("/img/missing.jpg")}" alt="Lost diagram"></p>'
        )
        items.append(
            f"<item><title>Day {n}: Images - Pictures Week</title>"
            f"<link>https://dev.to/pic_author/day-{n}-images-{n}a</link>"
            f"<guid>https://dev.to/pic_author/day-{n}-images-{n}a</guid>"
            f"<dc:creator>Pic Author</dc:creator>"
            f"<pubDate>Mon, 0{n} Jun 2026 10:00:00 +0000</pubDate>"
            f"<description><![CDATA[{body}]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>DEV Community: Pic Author</title><link>https://dev.to/pic_author</link>"
        + "".join(items)
        + "</channel></rss>"
    )


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


@pytest.fixture
def picture_feed(tmp_path: Path, server: Server) -> Path:
    path = tmp_path / "pictures.xml"
    path.write_text(feed(server))
    return path


def image_requests(server: Server) -> list[str]:
    return [path for path, _ in server.requests if path.startswith("/img/")]


def test_epub_embeds_images_and_a_warm_rebuild_asks_nothing(
    tmp_path: Path, picture_feed: Path, server: Server
) -> None:
    cache = tmp_path / "cache"
    out = tmp_path / "books"
    code, err = run("epub", str(picture_feed), "-o", str(out), "--cache-dir", str(cache))
    assert code == 0, err
    assert "missing.jpg: image not included" in err and "HTTP 404" in err
    assert "images: 3 downloaded" in err
    assert "1 tracking pixels dropped" in err
    # each address is asked once for the whole run (three articles share them; a 404 is final)
    assert sorted(image_requests(server)) == [
        "/img/alpha.png",
        "/img/dot.gif",
        "/img/missing.jpg",
        "/img/photo.webp",
    ]
    [book] = out.glob("*.epub")
    with zipfile.ZipFile(book) as archive:
        names = archive.namelist()
        pages = "".join(archive.read(n).decode() for n in names if n.endswith(".xhtml"))
        opf = archive.read("OEBPS/content.opf").decode()
    pictures = [n for n in names if n.startswith("OEBPS/images/")]
    assert len(pictures) == 2  # the photo (now JPEG) and the PNG, each once for 3 articles
    assert any(n.endswith(".jpg") for n in pictures) and any(n.endswith(".png") for n in pictures)
    assert not re.search(r'src="https?:', pages)  # no remote src left
    assert "[Image unavailable: Lost diagram (127.0.0.1)]" in pages  # alt text and host kept
    assert 'src="images/' in pages and "dot.gif" not in pages
    for picture in pictures:
        assert picture.removeprefix("OEBPS/") in opf

    server.requests.clear()
    code, err = run(
        "epub", str(picture_feed), "-o", str(out), "--cache-dir", str(cache), "--images", "embed"
    )
    assert code == 0, err
    assert image_requests(server) == ["/img/missing.jpg"]  # only the failure is asked again
    assert_all_epubcheck_clean([book])


def test_link_and_none_modes_fetch_nothing(
    tmp_path: Path, picture_feed: Path, server: Server
) -> None:
    books = []
    for mode in ("link", "none"):
        out = tmp_path / mode
        code, err = run("epub", str(picture_feed), "-o", str(out), "--images", mode, "-q")
        assert code == 0, err
        books += list(out.glob("*.epub"))
        with zipfile.ZipFile(books[-1]) as archive:
            assert not [n for n in archive.namelist() if n.startswith("OEBPS/images/")]
            pages = "".join(
                archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")
            )
        assert "<img" not in pages.split("cover")[-1] or mode == "link"
        if mode == "link":
            assert server.url("/img/photo.webp") in pages  # a visible link, not an image
        else:
            assert "[Image: A photo 1]" in pages
    assert image_requests(server) == []
    assert_all_epubcheck_clean(books)


def test_markdown_bundle_ships_images_that_resolve(tmp_path: Path, picture_feed: Path) -> None:
    out = tmp_path / "md"
    code, err = run("markdown", str(picture_feed), "-o", str(out), "--grayscale", "-q")
    assert code == 0, err
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    pictures = sorted((folder / "images").iterdir())
    assert len(pictures) == 2
    first = (folder / "01-day-1-images-pictures-week.md").read_text()
    targets = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", first)
    assert targets and all((folder / t).is_file() for t in targets)
    assert "Image unavailable: Lost diagram (127.0.0.1)" in first
    from PIL import Image

    with Image.open(next(p for p in pictures if p.suffix == ".jpg")) as image:
        assert image.mode == "L"  # --grayscale
    manifest = (folder / ".feed2book.json").read_text()
    assert all(f"images/{p.name}" in manifest for p in pictures)


def test_markdown_link_mode_keeps_remote_addresses(
    tmp_path: Path, picture_feed: Path, server: Server
) -> None:
    out = tmp_path / "md"
    code, err = run("markdown", str(picture_feed), "-o", str(out), "--images", "link", "-q")
    assert code == 0, err
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    assert not (folder / "images").exists()
    text = (folder / "01-day-1-images-pictures-week.md").read_text()
    assert f"![A photo 1]({server.url('/img/photo.webp')})" in text


def test_max_book_mb_splits_into_volumes_that_fit(tmp_path: Path, server: Server) -> None:
    for n in range(1, 5):
        server.route(f"/img/noise{n}.jpg", body=fx.noise_jpeg(900, 900, seed=n))
    items = "".join(
        f"<item><title>Post {n}</title><link>https://dev.to/big/post-{n}</link>"
        f"<dc:creator>Big</dc:creator><pubDate>Mon, 0{n} Jun 2026 10:00:00 +0000</pubDate>"
        f'<description><![CDATA[<p>Text {n}.</p><img src="{server.url(f"/img/noise{n}.jpg")}" '
        f'alt="noise {n}">]]></description></item>'
        for n in range(1, 5)
    )
    path = tmp_path / "big.xml"
    path.write_text(
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Big</title>'
        f"{items}</channel></rss>"
    )
    out = tmp_path / "books"
    code, err = run(
        "epub", str(path), "-o", str(out), "--max-book-mb", "0.25", "--no-cover",
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0, err
    volumes = sorted(out.glob("*.epub"))
    assert len(volumes) >= 2
    assert all(v.stat().st_size <= 250_000 for v in volumes)
    assert all("-vol-" in v.name for v in volumes)
    assert_all_epubcheck_clean(volumes)


def test_many_failed_images_of_one_host_are_one_line_and_each_with_verbose(
    tmp_path: Path, server: Server
) -> None:
    images = "".join(
        f'<p><img src="{server.url(f"/gone/{n}.png")}" alt="Plot {n}"></p>' for n in range(127)
    )
    path = tmp_path / "plots.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Plots</title>'
        "<link>https://example.com/</link><item><title>Many plots</title>"
        "<link>https://example.com/plots</link><pubDate>Mon, 01 Jun 2026 10:00:00 +0000</pubDate>"
        f"<description><![CDATA[{images}]]></description></item></channel></rss>"
    )
    code, err = run(
        "epub", str(path), "-o", str(tmp_path / "books"), "--cache-dir", str(tmp_path / "c")
    )
    assert code == 0, err
    failed = [line for line in err.splitlines() if "not included" in line]
    assert failed == [
        "feed2book: warning: 127 images from 127.0.0.1 not included: HTTP 404 Not Found"
    ]
    code, err = run(
        "epub", str(path), "-o", str(tmp_path / "again"), "--cache-dir", str(tmp_path / "c"), "-v"
    )
    failed = [line for line in err.splitlines() if "not included" in line]
    assert len(failed) == 127 and all("/gone/" in line for line in failed)
