"""The full-text stage as a building command runs it: settings from its options, the library's
remembered per-source modes and stored pages, and the fetched pages stored back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

from feed2book.defaults import TIMEOUT
from feed2book.fulltext.options import PAGES_FOLDER, PageOptions
from feed2book.fulltext.stage import FullText, FullTextSettings
from feed2book.models import Article
from feed2book.parse.summary import FullTextMode


@contextmanager
def full_text_stage(
    mode: FullTextMode | None,
    *,
    now: datetime,
    refetch: bool = False,
    cookies: Path | None = None,
    cache_dir: Path | None = None,
    timeout: float = TIMEOUT,
    insecure: bool = False,
    library: Path | None = None,
) -> Iterator[FullText]:
    """A ``FullText`` for one run. ``mode`` ``None``: each source's remembered mode, else auto.
    ``library``: the articles come from this library: its remembered modes apply (unless
    ``mode`` is given), its stored pages are reused, and pages fetched now are stored in it."""
    pages = PageOptions(
        cache_dir=cache_dir / PAGES_FOLDER if cache_dir is not None else None,
        refetch=refetch,
        cookies=cookies,
        timeout=timeout,
        insecure=insecure,
    )
    if cookies is not None:
        from feed2book.fulltext.cookies import load_cookies  # http.cookiejar, urllib: 35 ms

        load_cookies(cookies)  # a bad file is an error at once, even if no page is wanted
    settings = FullTextSettings(mode or FullTextMode.AUTO, pages)
    with ExitStack() as stack:
        if library is None or not library.is_file():
            yield stack.enter_context(FullText(settings, now))
            return
        from feed2book.library import Library

        # Read-only while the build reads (a library on a read-only mount still builds); a
        # writable connection only once there are fetched pages to store.
        store = stack.enter_context(Library.open(library, create=False, read_only=True))

        def remembered(article: Article) -> FullTextMode | None:
            return None if mode is not None else store.full_text_mode(article.id)

        full = stack.enter_context(
            FullText(settings, now, modes=remembered, stored=lambda a: store.stored_page(a.id))
        )
        try:
            yield full
        finally:  # the command ends by raising its exit status: store the pages all the same
            if full.pages:
                with Library.open(library) as writable:
                    writable.store_pages(full.pages)
