"""Markdown made in the process pool (issue 19): the same bytes as made in this process alone,
failures raised here as before, and a bundle folder written while its pages are made."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from feed2book import parallel
from feed2book.clean.html import clean_html
from feed2book.images import ImageMode, ImageOptions
from feed2book.models import Article, Author, Book, Section
from feed2book.output.books import CoverChoice, make_cover
from feed2book.output.build import BuildSettings, late_cover, markdown_files, with_images
from feed2book.output.bundles import write_folder
from feed2book.parse.feed import parse_source
from feed2book.sources.fetch import Fetched
from feed2book.writers.markdown import (
    MANIFEST,
    Cover,
    build_bundle,
    build_single_file,
    bundle_files,
)
from tests.conftest import EXAMPLES, REPO
from tests.conversion_helpers import GOLDEN_BASE_URL, golden_cases
from tests.factory import make_article

PNG = b"\x89PNG\r\n\x1a\n" + b"written for this test"


@pytest.fixture(autouse=True)
def _no_helpers_left() -> Iterator[None]:
    parallel.shutdown()
    yield
    parallel.shutdown()


def articles_of(paths: list[Path]) -> list[Article]:
    articles: list[Article] = []
    for path in paths:
        fetched = Fetched(str(path), path.read_bytes(), None, {}, True)
        articles += parse_source(fetched).articles
    return articles


def golden_articles() -> list[Article]:
    """Every golden conversion case as an article."""
    return [
        make_article(
            id=f"forem:golden/{case.stem}",
            title=case.stem,
            content=clean_html(case.read_text(encoding="utf-8"), GOLDEN_BASE_URL),
        )
        for case in golden_cases()
    ]


def showing_images(number: int) -> Article:
    """An article showing two of the book's images (and an address that is not one)."""
    content = (
        f'<p>Figure {number}.</p><p><img src="images/{number % 3}.png" alt="a"/></p>'
        '<p><img src="images/2.png" alt="b"/><img src="https://i.example/x.png" alt="c"/></p>'
    )
    return make_article(id=f"forem:pictures/p-{number}", title=f"Figure {number}", content=content)


def book_of(articles: list[Article]) -> Book:
    """Two sections holding ``articles``, repeated (new ids, the same text) until the pool
    takes them: links between articles and images are kept in every copy."""
    copies = list(articles)
    while len(copies) < parallel.MIN_ITEMS + parallel.CHUNK:
        number = len(copies)
        source = articles[number % len(articles)]
        copies.append(replace(source, id=f"{source.id}#{number}", title=f"{source.title} {number}"))
    half = len(copies) // 2
    sections = (Section("First", tuple(copies[:half])), Section("Second", tuple(copies[half:])))
    return Book("author:test", "Pool", (Author("Test Author", "test"),), "en", sections)


RESOURCES = {f"images/{n}.png": ("image/png", PNG + bytes([n])) for n in range(4)}


def made_both_ways(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The bundle and the one document of ``book``, made here alone and with a helper."""
    made = []
    for workers in ("1", "2"):
        monkeypatch.setenv(parallel.WORKERS_ENV, workers)
        bundle = build_bundle(book, resources=RESOURCES)
        made.append({**bundle, "book.md": build_single_file(book, resources=RESOURCES)})
    assert len(book.articles) >= parallel.MIN_ITEMS and parallel.worker_count() == 2
    alone, pooled = made
    return alone, pooled


def test_the_pool_makes_the_bytes_this_process_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example feeds, every golden case and articles with images (inlined as data: URIs
    in the one document, each helper given only the images of its articles)."""
    examples = articles_of(sorted(EXAMPLES.glob("*.xml")) + sorted(EXAMPLES.glob("*.atom")))
    pictures = [showing_images(number) for number in range(5)]
    alone, pooled = made_both_ways(book_of(examples + golden_articles() + pictures), monkeypatch)
    assert list(pooled) == list(alone)
    for name, data in alone.items():
        assert pooled[name] == data, name
    document = pooled["book.md"].decode()
    assert "](data:image/png;base64," in document and "](images/" not in document


def test_the_pool_makes_the_bytes_of_the_shared_feeds(
    seeds: list[Path], practice: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = [path for path in [*seeds, *practice] if path.suffix != ".opml"]
    alone, pooled = made_both_ways(book_of(articles_of(feeds)), monkeypatch)
    assert pooled == alone


def test_the_library_s_markdown_files_are_the_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """``markdown_files`` starts the helpers first (``prepare_markdown``): the same files."""
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    book = book_of(golden_articles())
    settings = BuildSettings(ImageOptions(mode=ImageMode.NONE), CoverChoice(enabled=False))
    without_images, _ = with_images(book, settings, None)
    assert markdown_files(book, settings, None) == build_bundle(without_images)


def test_an_article_that_fails_in_a_helper_fails_here_as_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The first failing article raises from this process, with or without helpers; the
    bundle folder being written is taken away and the earlier bundle stays as it was."""
    book = book_of(golden_articles())
    articles = list(book.articles)
    position = len(articles) - 2 * parallel.CHUNK  # a chunk a helper is likely to make
    not_an_author: tuple[Author, ...] = ("not an Author",)  # type: ignore[assignment]
    articles[position] = replace(articles[position], authors=not_an_author)
    broken = replace(book, sections=(Section("", tuple(articles)),))
    target = tmp_path / "bundle"
    write_folder(target, {"README.md": b"the earlier bundle"})
    for workers in ("1", "2"):
        monkeypatch.setenv(parallel.WORKERS_ENV, workers)
        with pytest.raises(AttributeError, match="'str' object has no attribute 'name'"):
            build_bundle(broken)
        with pytest.raises(AttributeError, match="'str' object has no attribute 'name'"):
            write_folder(target, bundle_files(broken))
        assert [p.name for p in tmp_path.iterdir()] == ["bundle"]
        assert [p.name for p in target.iterdir()] == ["README.md"]
        assert (target / "README.md").read_bytes() == b"the earlier bundle"


def test_a_folder_is_written_as_its_files_come(tmp_path: Path) -> None:
    """Files given one after another are each on disk before the next is made."""
    folder = tmp_path / "bundle"
    seen: list[list[str]] = []

    def files() -> Iterator[tuple[str, bytes]]:
        for name in ("README.md", "01-one.md", "images/1.png", MANIFEST):
            fresh = next(p for p in tmp_path.iterdir() if p.name != "bundle")
            seen.append(sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*.*")))
            yield name, name.encode()

    write_folder(folder, files())
    assert seen == [
        [],
        ["README.md"],
        ["01-one.md", "README.md"],
        ["01-one.md", "README.md", "images/1.png"],
    ]
    assert (folder / "images" / "1.png").read_bytes() == b"images/1.png"


@pytest.mark.parametrize("name", ["../outside.md", "/tmp/absolute.md", "images/../../up.md", ""])
def test_files_given_one_after_another_cannot_leave_their_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="unsafe bundle path"):
        write_folder(tmp_path / "book", iter([("README.md", b"x"), (name, b"y")]))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("articles", "workers"), [(parallel.MIN_ITEMS, "2"), (10, "2"), (500, "1")]
)
def test_preloaded_helpers_import_the_module_before_any_work(
    articles: int, workers: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A book the pool will take starts the helpers, which import the converter at once; a
    small book, or one process, starts none."""
    mark = tmp_path / "imported-by"
    monkeypatch.setenv("FEED2BOOK_TEST_PRELOAD_MARK", str(mark))
    monkeypatch.setenv(parallel.WORKERS_ENV, workers)
    parallel.preload(articles, "tests.preload_probe")
    parallel.shutdown()  # waits for a helper's import to end
    if articles >= parallel.MIN_ITEMS and workers != "1":
        assert int(mark.read_text()) != os.getpid()
    else:
        assert not mark.exists()


# --- the cover drawn while the pages are made --------------------------------------------


def test_a_late_cover_is_asked_for_only_after_the_pages() -> None:
    """A bundle names its cover in README.md, first, but writes its bytes after the pages: a
    cover still being drawn is asked for only then, and the bundle is the one its bytes make."""
    book = book_of(golden_articles()[:3])
    order: list[str] = []

    def drawn() -> bytes:
        order.append("cover asked for")
        return PNG

    files = []
    for name, data in bundle_files(book, cover=Cover("cover.png", drawn), resources=RESOURCES):
        order.append(name)
        files.append((name, data))
    assert order.index("cover asked for") > max(
        order.index(name) for name in order if name.endswith(".md") and name != "README.md"
    )
    assert dict(files) == build_bundle(book, cover=Cover("cover.png", PNG), resources=RESOURCES)


def test_a_drawn_cover_of_a_big_book_is_drawn_aside_and_is_the_cover_drawn_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    big = book_of(golden_articles()[:3])
    late = late_cover(big, CoverChoice())
    assert late is not None
    assert late() == make_cover(big, CoverChoice(), "PNG")
    small = Book("author:test", "Small", big.authors, "en", (Section("One", big.articles[:3]),))
    assert late_cover(small, CoverChoice()) is None  # drawn here, before the pages
    assert late_cover(big, CoverChoice(enabled=False)) is None
    assert late_cover(big, CoverChoice(image=b"\xff\xd8\xff a photo")) is None


def test_the_markdown_command_s_bundle_with_a_cover_is_the_same_with_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's bundle of a feed big enough for the helpers, its cover drawn aside while the
    pages are made, has the bytes one process makes, cover included."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import corpus as bench

    feed = tmp_path / "feed.xml"
    feed.write_bytes(bench.make_feed(parallel.MIN_ITEMS + parallel.CHUNK))
    made = {}
    for workers in ("1", "2"):
        out = tmp_path / f"md-{workers}"
        env = {
            **os.environ,
            parallel.WORKERS_ENV: workers,
            "FEED2BOOK_LIBRARY": str(tmp_path / "library.sqlite3"),
            "FEED2BOOK_CACHE_DIR": str(tmp_path / "cache"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "feed2book", "markdown", str(feed), "-g", "none", "--images",
             "none", "--full-text", "never", "-q", "-o", str(out)],
            env=env, capture_output=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        made[workers] = {
            path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(out.rglob("*"))
            if path.is_file()
        }
    assert any(name.endswith("/cover.png") for name in made["2"])
    assert made["2"] == made["1"]
