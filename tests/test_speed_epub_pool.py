"""EPUB pages made by the helper processes, the cover drawn aside, a rebuild without the spool.

A helper makes an article's page without the book's plan and names the article addresses it
looked for; the writer keeps that page only when none of them is an article of the book (and it
needed no file of the book). These tests hold the pool's books to the serial ones
(``FEED2BOOK_WORKERS=1``) byte for byte, on real-world feeds, the golden cases and books whose
articles link to each other, and check that a rebuild reads its articles again from the library
instead of pickling them to a spool.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import PIL.Image
import pytest

from feed2book import parallel
from feed2book.clean.html import clean_html
from feed2book.fulltext.stage import with_note
from feed2book.images import ImageMode, ImageOptions
from feed2book.library import Library
from feed2book.library.reading import collect_library
from feed2book.models import Article, Book
from feed2book.output.books import CoverChoice, cover_aside, make_cover
from feed2book.output.build import BuildSettings, markdown_files, write_epub_file
from feed2book.parse import parse_source
from feed2book.sources.fetch import Fetched
from feed2book.writers.epub.ahead import page_maker
from feed2book.writers.epub.book import CoverToCome, write_epub
from feed2book.writers.epub.plan import BookPlan, make_plan
from tests.conftest import EXAMPLES, practice_files, seed_files
from tests.conversion_helpers import GOLDEN_BASE_URL, golden_cases
from tests.epubcheck_helper import assert_epubcheck_clean
from tests.test_epub import make_article, make_book

# Helpers import this module too: they learn the parent's pid from the environment they inherit.
PARENT = int(os.environ.setdefault("FEED2BOOK_TEST_PARENT_PID", str(os.getpid())))
NO_COVER = BuildSettings(ImageOptions(mode=ImageMode.NONE), CoverChoice(enabled=False))


@pytest.fixture(autouse=True)
def _helpers_for_small_books(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two processes, and the pool used from a handful of articles on (200 by default)."""
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel, "MIN_ITEMS", 2)
    yield
    parallel.shutdown()


def _epub(book: Book, workers: str, settings: BuildSettings = NO_COVER) -> bytes:
    os.environ[parallel.WORKERS_ENV] = workers
    out = io.BytesIO()
    write_epub_file(book, settings, None, out, note=with_note)
    return out.getvalue()


def _feed_articles(paths: list[Path]) -> list[Article]:
    articles: list[Article] = []
    for path in paths:
        if path.is_file() and path.suffix != ".opml":
            fetched = Fetched(str(path), path.read_bytes(), None, {}, True)
            articles += parse_source(fetched).articles
    return articles


def _book_of(articles: list[Article]) -> Book:
    numbered = [replace(article, id=f"{n}:{article.id}") for n, article in enumerate(articles)]
    return make_book(numbered)


def test_pages_of_real_world_feeds_made_by_the_helpers_are_the_serial_ones() -> None:
    articles = _feed_articles(sorted(EXAMPLES.glob("*")) + seed_files() + practice_files())
    book = _book_of(articles)
    assert _epub(book, "2") == _epub(book, "1")


def test_pages_of_the_golden_cases_made_by_the_helpers_are_the_serial_ones() -> None:
    articles = [
        make_article(number, title=case.stem, content_html=clean_html(case.read_text(), base))
        for number, case in enumerate(golden_cases(), start=1)
        for base in (GOLDEN_BASE_URL,)
    ]
    book = _book_of(articles)
    assert _epub(book, "2") == _epub(book, "1")


def _linking_book() -> Book:
    """Articles that link to each other by their original address: the plan turns those links
    into links to the book's own files, which a helper cannot know."""
    articles = [
        make_article(
            number,
            content_html=(
                f'<p>See <a href="https://alice.example/posts/{number + 1}">the next post</a>'
                ' and <a href="https://elsewhere.example/">another site</a>.</p>'
            ),
        )
        for number in range(1, 8)
    ]
    return make_book(articles)


def test_a_link_to_another_article_of_the_book_is_made_by_the_plan() -> None:
    book = _linking_book()
    plan = make_plan(book, None, {})
    with page_maker(plan, None) as page:
        first = page(plan.chapters[0]).decode()
        rest = [page(chapter) for chapter in plan.chapters[1:]]
    assert f'href="{plan.chapters[1].file_name}"' in first
    assert 'href="https://elsewhere.example/"' in first
    assert "https://alice.example/posts/8" in rest[-1].decode()  # not in the book: kept
    assert _epub(book, "2") == _epub(book, "1")


def _pages_made_with(page_article: Callable[[Article], Article]) -> tuple[BookPlan, list[str]]:
    """The pages ``page_maker`` gives for a book of 399 posts, each shown by ``page_article``."""
    book = make_book([make_article(number) for number in range(1, 400)])
    plan = make_plan(book, None, {})
    with page_maker(plan, page_article) as page:
        return plan, [page(chapter).decode() for chapter in plan.chapters]


def pid_stamp(article: Article) -> Article:
    """The article with the process that made its page in its title."""
    return replace(article, content_html=f"<p>{os.getpid()}</p>")


def test_the_helpers_make_pages_and_the_caller_takes_them_in_order() -> None:
    _, pages = _pages_made_with(pid_stamp)
    titles = [f"Post number {number}</h1>" for number in range(1, 400)]
    assert all(title in made for title, made in zip(titles, pages, strict=True))
    assert any(f"<p>{PARENT}</p>" not in made for made in pages)  # a helper made these


def pid_and_link(article: Article) -> Article:
    """The article with the process that made its page, and a link to the book's first post."""
    link = '<a href="https://alice.example/posts/1">the first post</a>'
    return replace(article, content_html=f"<p>{os.getpid()}: see {link}.</p>")


def test_a_helper_page_linking_into_the_book_has_its_links_fixed_here_not_made_again() -> None:
    plan, pages = _pages_made_with(pid_and_link)
    first = plan.chapters[0].file_name
    assert all(f'<a href="{first}">the first post</a>' in made for made in pages[1:])
    assert any(f"<p>{PARENT}:" not in made for made in pages)  # made by a helper all the same


def pid_with_an_id(article: Article) -> Article:
    """Content only a tree can make a page of (an id), with the process that made it."""
    return replace(article, content_html=f'<p id="made-by">{os.getpid()}</p>')


def test_a_page_that_takes_a_tree_is_made_by_a_helper_too() -> None:
    _, pages = _pages_made_with(pid_with_an_id)
    assert all('<p id="made-by">' in made for made in pages)
    assert any(f">{PARENT}</p>" not in made for made in pages)


def test_a_page_showing_a_file_of_the_book_is_the_serial_one() -> None:
    """An image shipped in the book is kept only by the plan: such a page is made here."""
    pixel = io.BytesIO()
    PIL.Image.new("RGB", (1, 1)).save(pixel, "PNG")
    image = ("image/png", pixel.getvalue())
    articles = [
        make_article(number, content_html=f'<p><img src="images/a.png" alt="{number}"/></p>')
        for number in range(1, 6)
    ]
    book = make_book(articles)
    books = []
    for workers in ("2", "1"):
        os.environ[parallel.WORKERS_ENV] = workers
        out = io.BytesIO()
        write_epub(book, out, resources={"images/a.png": image}, page_article=with_note)
        books.append(out.getvalue())
    assert books[0] == books[1]
    with zipfile.ZipFile(io.BytesIO(books[0])) as epub:
        pages = [epub.read(name) for name in epub.namelist() if name.endswith(".xhtml")]
    assert sum(b'<img src="images/a.png" alt=' in page for page in pages) == len(articles)


def test_a_page_article_that_does_not_pickle_is_made_here() -> None:
    book = make_book([make_article(number) for number in range(1, 5)])
    plan = make_plan(book, None, {})
    with page_maker(plan, lambda article: pid_stamp(article)) as page:
        pages = [page(chapter).decode() for chapter in plan.chapters]
    assert all(f"<p>{PARENT}</p>" in made for made in pages)


def test_a_cover_drawn_aside_is_the_cover_drawn_here_and_the_book_passes_epubcheck() -> None:
    book = _linking_book()
    drawn = BuildSettings(ImageOptions(mode=ImageMode.NONE), CoverChoice())
    pooled = _epub(book, "2", drawn)
    assert pooled == _epub(book, "1", drawn)
    here = io.BytesIO()  # the cover's bytes given at once, as before
    write_epub(book, here, cover_jpeg=make_cover(book, CoverChoice()), page_article=with_note)
    assert pooled == here.getvalue()
    assert b"cover.jpg" in pooled
    assert_epubcheck_clean(pooled)


def drawn_in(job: tuple[str, int]) -> tuple[str, int, int]:
    return *job, os.getpid()


def test_aside_computes_in_a_helper_and_gives_the_result_when_asked() -> None:
    result = parallel.aside(drawn_in, ("cover", 7))
    label, number, pid = result()
    assert (label, number) == ("cover", 7)
    assert pid != PARENT


def fails(item: int) -> int:
    raise ValueError(f"no cover for {item}")


def test_aside_raises_in_the_caller_what_the_work_raised() -> None:
    result = parallel.aside(fails, 3)
    with pytest.raises(ValueError, match="no cover for 3"):
        result()


def test_aside_with_one_process_computes_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.aside(drawn_in, ("cover", 1))()[2] == PARENT


def test_a_small_books_cover_is_drawn_here_without_starting_a_helper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 200)
    parallel.shutdown()
    book = make_book([make_article(1)])
    drawn = cover_aside(book, CoverChoice())
    assert parallel._POOL is None or not parallel._POOL.helpers
    assert drawn() == make_cover(book, CoverChoice())


def test_a_cover_that_comes_late_must_be_the_format_announced() -> None:
    book = make_book([make_article(1)])
    png = cover_aside(book, CoverChoice(), "PNG")
    with pytest.raises(ValueError, match="must be a JPEG image"):
        write_epub(book, io.BytesIO(), cover_jpeg=CoverToCome("JPEG", lambda: png() or b""))


def test_a_markdown_bundle_with_its_cover_drawn_aside_is_the_same() -> None:
    book = _linking_book()
    drawn = BuildSettings(ImageOptions(mode=ImageMode.NONE), CoverChoice())
    pooled = markdown_files(book, drawn, None)
    os.environ[parallel.WORKERS_ENV] = "1"
    assert pooled == markdown_files(book, drawn, None)


# -- a rebuild ----------------------------------------------------------------------------------


def _library(tmp_path: Path, articles: list[Article]) -> Path:
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        library.store("feed.xml", articles)
    return path


def test_a_rebuild_reads_its_articles_again_from_the_library_not_from_a_spool(
    tmp_path: Path,
) -> None:
    articles = [make_article(number) for number in range(1, 30)]
    path = _library(tmp_path, articles)
    with Library.open(path, create=False, read_only=True) as library:
        collection = collect_library(library)
    with collection:  # it outlives the library it was read from
        assert collection._spool.seek(0, 2) == 0  # nothing was pickled to a spool
        read = list(collection.select())
    assert read == articles
    assert len({id(article.feed) for article in read}) == 1  # one feed object, as from a spool


def test_a_rebuild_reads_the_library_as_it_was_when_collected(tmp_path: Path) -> None:
    articles = [make_article(number) for number in range(1, 5)]
    path = _library(tmp_path, articles)
    with Library.open(path, create=False, read_only=True) as library:
        collection = collect_library(library)
    with collection:
        with Library.open(path) as writer:  # another process changes an article meanwhile
            writer.store("feed.xml", [replace(articles[0], content_html="<p>Changed.</p>")])
        assert list(collection.select()) == articles
