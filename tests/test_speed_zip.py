"""The EPUB's files are deflated and written by a thread while the next page is made.

The entries must come out in the order they were given, whole and readable, and an error in
the thread (a full disk) must reach the caller, with the thread gone.
"""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pytest

from feed2book.models import Article
from feed2book.writers.epub.book import build_epub, write_epub
from tests.test_epub import article_file, make_article, make_book

FULL_DISK = Path("/dev/full")


def _articles(pages: int) -> list[Article]:
    return [
        make_article(n, content_html=f"<p>{f'Words of page {n}. ' * 400}</p>")
        for n in range(1, pages + 1)
    ]


def test_entries_come_out_in_order_whole_and_readable() -> None:
    articles = _articles(40)
    epub = build_epub(make_book(articles))
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        assert archive.testzip() is None  # every entry's CRC matches its bytes
        names = archive.namelist()
        assert names[:2] == ["mimetype", "META-INF/container.xml"]
        pages = [article_file(article) for article in articles]
        assert [name for name in names if name in pages] == pages
        for number, name in enumerate(pages, start=1):
            assert f"Words of page {number}. ".encode() in archive.read(name)
    assert epub == build_epub(make_book(articles))  # and the same bytes every time
    assert not [t for t in threading.enumerate() if t.name.startswith("feed2book-zip")]


@pytest.mark.skipif(not FULL_DISK.exists(), reason="no /dev/full here")
def test_a_full_disk_in_the_zip_thread_reaches_the_caller() -> None:
    book = make_book(_articles(30))
    with pytest.raises(OSError, match="No space left"), FULL_DISK.open("wb") as out:
        write_epub(book, out)
    assert not [t for t in threading.enumerate() if t.name.startswith("feed2book-zip")]
