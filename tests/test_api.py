"""``feed2book.api``: what a library user needs to read feeds and build books, from one module."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from feed2book import api
from feed2book.images import ImageMode, ImageOptions
from tests.conftest import EXAMPLES


def test_the_bundled_examples_are_the_shipped_feeds() -> None:
    shipped = sorted(p.name for p in Path(api.bundled_examples()).iterdir())
    assert shipped == sorted(p.name for p in EXAMPLES.iterdir())


def test_read_the_examples_group_them_and_build_an_epub() -> None:
    settings = api.BuildSettings(images=ImageOptions(mode=ImageMode.NONE))
    with api.HttpFetcher(api.FetchLimits()) as fetcher:
        context = api.SourceContext(fetch=fetcher, budget=api.Budget(api.SourceLimits()))
        with api.collect([api.bundled_examples()], context) as collection:
            collection.finish()
            grouping = api.group_articles(collection.select(), api.BookOptions())
    book = grouping.books[0]
    [(volume, data)] = api.epub_volumes(book, settings, None)
    assert [a.id for a in volume.articles] == [a.id for a in book.articles]
    with zipfile.ZipFile(io.BytesIO(data)) as epub:
        assert epub.read("mimetype") == b"application/epub+zip"


def test_bundled_examples_costs_nothing_at_start_up() -> None:
    code = (
        "import sys\n"
        "from feed2book.api import bundled_examples\n"
        "bundled_examples()\n"
        "print(sorted(m for m in sys.modules if m.startswith('feed2book.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['feed2book.api', 'feed2book.examples', 'feed2book.lazy']"
