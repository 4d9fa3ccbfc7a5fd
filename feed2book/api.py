"""What the CLI and library users share: read SOURCES, the library or the bundled examples into a
``Collection``, group it into books and build them.

    from feed2book import api

    limits = api.SourceLimits()
    with api.HttpFetcher(api.FetchLimits()) as fetcher:
        context = api.SourceContext(fetch=fetcher, budget=api.Budget(limits))
        with api.collect([api.bundled_examples()], context) as collection:
            collection.finish()
            grouping = api.group_articles(collection.select(), api.BookOptions())
            for book in grouping.books:
                for volume, data in api.epub_volumes(book, api.BuildSettings(), None): ...

Everything but ``bundled_examples`` is re-exported from its home module and imported on first
use, so ``from feed2book.api import bundled_examples`` costs nothing at start-up.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.group import BookOptions, Grouping, group_articles
    from feed2book.library import Library, default_library_path
    from feed2book.library.reading import collect_and_save, collect_library
    from feed2book.output.build import BuildSettings, epub_volumes, markdown_files
    from feed2book.pipeline import Collection, collect
    from feed2book.select import Selection
    from feed2book.sources.fetch import FetchLimits, HttpFetcher
    from feed2book.sources.limits import Budget, SourceLimits
    from feed2book.sources.resolver import SourceContext
    from feed2book.writers.base import WRITERS, Writer


def bundled_examples() -> str:
    """The path of the example feeds shipped inside the package."""
    return str(resources.files("feed2book.examples").joinpath("feeds"))


# Imported on first use (PEP 562).
_LAZY = {
    "BookOptions": "feed2book.group",
    "Grouping": "feed2book.group",
    "group_articles": "feed2book.group",
    "Library": "feed2book.library",
    "default_library_path": "feed2book.library",
    "collect_and_save": "feed2book.library.reading",
    "collect_library": "feed2book.library.reading",
    "BuildSettings": "feed2book.output.build",
    "epub_volumes": "feed2book.output.build",
    "markdown_files": "feed2book.output.build",
    "Collection": "feed2book.pipeline",
    "collect": "feed2book.pipeline",
    "Selection": "feed2book.select",
    "FetchLimits": "feed2book.sources.fetch",
    "HttpFetcher": "feed2book.sources.fetch",
    "Budget": "feed2book.sources.limits",
    "SourceLimits": "feed2book.sources.limits",
    "SourceContext": "feed2book.sources.resolver",
    "WRITERS": "feed2book.writers.base",
    "Writer": "feed2book.writers.base",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "WRITERS",
    "BookOptions",
    "Budget",
    "BuildSettings",
    "Collection",
    "FetchLimits",
    "Grouping",
    "HttpFetcher",
    "Library",
    "Selection",
    "SourceContext",
    "SourceLimits",
    "Writer",
    "bundled_examples",
    "collect",
    "collect_and_save",
    "collect_library",
    "default_library_path",
    "epub_volumes",
    "group_articles",
    "markdown_files",
]
