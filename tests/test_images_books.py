"""Images in whole books: embed_book_images + build_epub (EPUBCheck clean in every mode, no
missing file), and fit_book (smaller images first, then volumes that each fit)."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from feed2book.images import (
    ImageMode,
    ImageOptions,
    ImageResolver,
    embed_book_images,
    fit_book,
    image_urls,
)
from feed2book.models import Author, Book, FeedInfo, Problem, Section
from feed2book.writers.epub.book import build_epub
from feed2book.writers.epub.package import CONTENT_DIR
from tests import images_fixtures as fx
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.factory import make_article
from tests.httpserver import Server

AUTHOR = Author("Test Author", "test")


def data_uri(data: bytes, kind: str = "jpeg") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


# The images are served on 127.0.0.1: the articles come from a feed on this machine, whose
# content may fetch internal addresses (a public source's may not: test_images_addresses).
LOCAL_FEED = FeedInfo("Test feed", "/home/test/feed.xml", "")


def make_book(contents: list[str], **changes: str) -> Book:
    articles = tuple(
        dataclasses.replace(
            make_article(id=f"test/post-{n}", title=f"Post {n}", content=content), feed=LOCAL_FEED
        )
        for n, content in enumerate(contents, 1)
    )
    book = Book("author:test", "Test's posts", (AUTHOR,), "en", (Section("", articles),))
    return dataclasses.replace(book, **changes)


def build(book: Book, resources: Mapping[str, tuple[str, bytes]]) -> bytes:
    return build_epub(book, resources=resources)


def entries(epub: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def referenced_images(book: Book) -> set[str]:
    found = set()
    for article in book.articles:
        found |= set(re.findall(r'<img src="([^"]+)"', article.content_html))
    return found


def served_book(server: Server) -> tuple[Book, dict[str, str]]:
    urls = {
        "photo": server.route("/photo.webp", body=fx.webp_photo()),
        "same": server.route("/copy-of-photo.webp", body=fx.webp_photo()),
        "alpha": server.route("/alpha.png", body=fx.png_with_alpha()),
        "huge": server.route("/huge.jpg", body=fx.huge_jpeg()),
        "svg": server.route("/drawing.svg", body=fx.CLEAN_SVG),
        "script": server.route("/evil.svg", body=fx.SCRIPT_SVG),
        "gif": server.route("/diagram.gif", body=fx.static_gif()),
        "pixel": server.route("/pixel.gif", body=fx.one_pixel_gif()),
        "missing": server.url("/gone.png"),
    }
    book = make_book(
        [
            f'<p>A photo: <img src="{urls["photo"]}" alt="Photo"/></p>'
            f'<figure><img src="{urls["alpha"]}" alt=""/><figcaption>Alpha</figcaption></figure>'
            f'<p><img src="{urls["pixel"]}" alt=""/>Counted.</p>',
            f'<p><img src="{urls["same"]}" alt="Same photo"/> <img src="{urls["huge"]}" alt="Big"/></p>'
            f'<p><img src="{urls["svg"]}" alt="Drawing"/> <img src="{urls["script"]}" alt="Evil"/></p>',
            f'<p><img src="{urls["gif"]}" alt="Diagram"/> <a href="https://x.example/">'
            f'<img src="{urls["missing"]}" alt="Gone"/></a> <img src="{urls["missing"]}" alt="Gone too"/></p>'
            f'<p><img src="{data_uri(fx.encode(fx.photo(50, 40), "PNG"), "png")}" alt="Inline"/></p>',
        ]
    )
    return book, urls


@pytest.mark.network
def test_books_in_every_mode_pass_epubcheck(server: Server, tmp_path: Path) -> None:
    book, urls = served_book(server)
    options = ImageOptions(cache_dir=tmp_path / "cache")
    problems: list[Problem] = []
    with ImageResolver(options) as resolver:
        embedded, resources = embed_book_images(book, resolver, options, on_problem=problems.append)
        stats = resolver.stats
    assert sorted(p.source for p in problems) == sorted([urls["script"], urls["missing"]])
    assert (stats.failed, stats.dropped) == (2, 1)
    # Every image the articles show is in the book; nothing else is; the copy is stored once.
    assert referenced_images(embedded) == set(resources)
    assert list(resources) == sorted(resources)
    assert len(resources) == 6  # photo (twice), alpha, huge, svg, gif, inline
    assert {media for media, _ in resources.values()} == {
        "image/jpeg",
        "image/png",
        "image/svg+xml",
        "image/gif",
    }
    text = "".join(article.content_html for article in embedded.articles)
    host = urlsplit(urls["script"]).hostname  # a failed image says what it was and where
    assert f'<a href="{urls["script"]}">[Image unavailable: Evil ({host})]</a>' in text
    assert f'<a href="{urls["missing"]}">[Image unavailable: Gone too ({host})]</a>' in text
    assert f"[Image unavailable: Gone ({host})]" in text  # inside a link: no nested link
    assert urls["pixel"] not in text
    assert not re.search(r'src="(https?:|data:)', text)
    epub = build(embedded, resources)
    files = entries(epub)
    for name, (_, data) in resources.items():
        assert files[f"{CONTENT_DIR}/{name}"] == data
    assert sum(1 for name in files if "/images/" in name) == len(resources)
    assert all(image_urls(article.content_html) == [] for article in embedded.articles)

    link_book, link_resources = embed_book_images(book, None, ImageOptions(mode=ImageMode.LINK))
    none_book, none_resources = embed_book_images(book, None, ImageOptions(mode=ImageMode.NONE))
    assert link_resources == none_resources == {}
    assert link_book == book
    assert "<img" not in "".join(a.content_html for a in none_book.articles)

    volumes = fit_book(*volume_book(tmp_path), limit_bytes=400_000, build=build)
    assert len(volumes) > 1
    assert_all_epubcheck_clean(
        {
            "embed": epub,
            "link": build(link_book, {}),
            "none": build(none_book, {}),
            **{volume.title: data for volume, data in volumes},
        }
    )


def volume_book(
    cache: Path, count: int = 6, side: int = 500
) -> tuple[Book, dict[str, tuple[str, bytes]]]:
    """``count`` articles, each with its own ~250 kB noise JPEG; the last two share one."""
    images = [fx.noise_jpeg(side, side, seed=n) for n in range(count - 1)] + [
        fx.noise_jpeg(side, side, seed=count - 2)
    ]
    contents = [
        f'<p>Post {n}.</p><p><img src="{data_uri(image)}" alt="Noise {n}"/></p>'
        for n, image in enumerate(images)
    ]
    book = make_book(contents, slug="test-2026")
    return embed_book_images(book, None, ImageOptions(cache_dir=cache))


def test_fit_book_leaves_a_book_that_fits_alone(tmp_path: Path) -> None:
    book, resources = volume_book(tmp_path, 2, 100)
    [(same, epub)] = fit_book(book, resources, 10_000_000, build)
    assert same == book and epub == build(book, resources)


def test_fit_book_shrinks_images_before_splitting(tmp_path: Path) -> None:
    big = fx.noise_jpeg(1500, 1000, seed=7, quality=80)
    book, resources = embed_book_images(
        make_book([f'<p><img src="{data_uri(big)}" alt="Big"/></p>']),
        None,
        ImageOptions(cache_dir=tmp_path),
    )
    full = len(build(book, resources))
    [(shrunk, epub)] = fit_book(book, resources, int(full * 0.6), build)
    assert len(epub) <= full * 0.6 and shrunk.key == book.key and shrunk.title == book.title
    assert 'width="1200" height="800"' in shrunk.articles[0].content_html
    [name] = resources
    assert len(entries(epub)[f"{CONTENT_DIR}/{name}"]) < len(resources[name][1])


def test_fit_book_splits_into_volumes_that_each_fit(tmp_path: Path) -> None:
    book, resources = volume_book(tmp_path)
    limit = 400_000
    volumes = fit_book(book, resources, limit, build)
    assert [volume.title for volume, _ in volumes] == [
        f"Test's posts, Vol. {n}" for n in range(1, len(volumes) + 1)
    ]
    assert [volume.key for volume, _ in volumes] == [
        f"author:test#vol{n}" for n in range(1, len(volumes) + 1)
    ]
    assert [volume.slug for volume, _ in volumes][:2] == ["test-2026-vol-1", "test-2026-vol-2"]
    assert all(len(epub) <= limit for _, epub in volumes)
    # Every article exactly once, in order; each volume holds exactly the images it shows.
    titles = [article.title for volume, _ in volumes for article in volume.articles]
    assert titles == [article.title for article in book.articles]
    for volume, epub in volumes:
        shown = referenced_images(volume)
        packed = {name.split("/", 1)[1] for name in entries(epub) if "/images/" in name}
        assert packed == shown
    assert fit_book(book, resources, limit, build) == volumes  # deterministic


def test_an_article_too_big_alone_gets_its_own_volume_and_a_warning(tmp_path: Path) -> None:
    book, resources = volume_book(tmp_path, 3)
    problems: list[Problem] = []
    volumes = fit_book(book, resources, 60_000, build, on_problem=problems.append)
    assert len(volumes) == 3
    assert [len(volume.articles) for volume, _ in volumes] == [1, 1, 1]
    assert len(problems) == 3
    assert "alone makes a" in problems[0].message and "60 kB limit" in problems[0].message
