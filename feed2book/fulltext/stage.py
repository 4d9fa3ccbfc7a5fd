"""The full-text stage: summaries in, articles with their pages' text out.

``FullText.complete`` takes the selected articles and returns them in the same order, each one
that needs its page (``wanted``) replaced by the page's article when that could be had and is
not shorter than what the feed gave. It never raises for an article: a failure leaves the
article as it was and is told once per host (``problems``). The time pages are said to be
fetched at is ``now``, handed in by the caller (a cached page: when it was stored).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from feed2book.errors import Feed2BookError
from feed2book.fulltext.options import PageOptions
from feed2book.i18n import plural
from feed2book.models import Article, Book, Problem
from feed2book.parse.summary import ContentSource, FullTextMode

if TYPE_CHECKING:  # HTTP, images and the extractors: imported once a page is wanted
    from feed2book.fulltext.fetch import PageFetcher
    from feed2book.images.addresses import Resolve

FETCHED, CACHED, FAILED, STORED = "fetched", "cached", "failed", "stored"
CHUNK = 64  # articles completed at once (their pages fetched concurrently)


@dataclass(frozen=True, slots=True)
class FullTextSettings:
    mode: FullTextMode = FullTextMode.AUTO
    pages: PageOptions = field(default_factory=PageOptions)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one article: ``fetched``, ``cached`` (no request), ``stored`` (the
    library held its page), or ``failed`` with ``reason``."""

    status: str
    reason: str = ""


def wanted(article: Article, mode: FullTextMode, *, refetch: bool = False) -> bool:
    """Whether ``article``'s page should replace its body under ``mode`` (an article whose
    text already came from its page: only to renew it, ``refetch``)."""
    if mode is FullTextMode.NEVER or not article.url.startswith(("http://", "https://")):
        return False
    if article.content_source == ContentSource.PAGE:
        return refetch
    return mode is FullTextMode.ALWAYS or article.content_source == ContentSource.SUMMARY


def counts_line(outcomes: Iterable[Outcome]) -> str:
    """``3 fetched, 2 cached, 1 failed`` (the library's pages count as cached)."""
    statuses = [outcome.status for outcome in outcomes]
    cached = statuses.count(CACHED) + statuses.count(STORED)
    return f"{statuses.count(FETCHED)} fetched, {cached} cached, {statuses.count(FAILED)} failed"


class FullText:
    """Fetches and extracts pages for one run (one HTTP client, one cache)."""

    def __init__(
        self,
        settings: FullTextSettings,
        now: datetime,
        *,
        modes: Callable[[Article], FullTextMode | None] = lambda article: None,
        stored: Callable[[Article], Article | None] = lambda article: None,
        resolve: Resolve | None = None,
        fetcher: PageFetcher | None = None,
    ) -> None:
        self.settings = settings
        self.now = now
        self._modes = modes  # a per-source mode (remembered in the library) overrides the run's
        self._stored = stored  # a page the library holds for the article, if any
        self._resolve = resolve
        self._fetcher = fetcher
        self._internal: dict[str, bool] = {}
        self._lock = threading.Lock()
        self.outcomes: dict[str, Outcome] = {}  # by article id
        # Equal outcomes are one object: 380,000 notes of an unreachable host fail alike.
        self._distinct: dict[Outcome, Outcome] = {}
        self.pages: list[Article] = []  # articles whose page was fetched in this run
        # One pool for the run, made when a page is first wanted: a pool per chunk made new
        # threads every 64 articles, and the memory each thread's allocator took stayed.
        self._pool: ThreadPoolExecutor | None = None
        self._told: list[Problem] = []

    def complete(self, articles: Iterable[Article]) -> Iterator[Article]:
        """``articles`` in order, each wanted one with its page's text when that worked.
        Streamed in chunks, so a run that wants no page holds no more articles than before."""
        chunk: list[Article] = []
        for article in articles:
            chunk.append(article)
            if len(chunk) >= CHUNK:
                yield from self._chunk(chunk)
                chunk = []
        yield from self._chunk(chunk)

    def _chunk(self, given: list[Article]) -> list[Article]:
        refetch = self.settings.pages.refetch
        todo = [
            i
            for i, a in enumerate(given)
            if wanted(a, self._modes(a) or self.settings.mode, refetch=refetch)
        ]
        if not todo:
            return given
        import feed2book.fulltext.extract  # noqa: F401 - once, here, not in every worker

        if self._fetcher is None:
            from feed2book.fulltext.fetch import PageFetcher
            from feed2book.images.addresses import system_resolve

            self._resolve = self._resolve or system_resolve
            self._fetcher = PageFetcher(self.settings.pages, resolve=self._resolve)
        stored = {i: self._stored(given[i]) for i in todo}  # on this thread: the library's
        if self._pool is None:
            workers = max(1, self.settings.pages.concurrency)
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="feed2book-page")
        done = list(self._pool.map(lambda i: self._one(given[i], stored[i]), todo))
        for index, (article, outcome) in zip(todo, done, strict=True):
            self.outcomes[given[index].id] = self._distinct.setdefault(outcome, outcome)
            if outcome.status in (FETCHED, CACHED):
                self.pages.append(article)
            given[index] = article
        return given

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        if self._fetcher is not None:
            self._fetcher.close()

    def __enter__(self) -> FullText:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_problems(self) -> list[Problem]:
        """``problems()`` not taken before (each failure is told once)."""
        fresh = [p for p in self.problems() if p not in self._told]
        self._told.extend(fresh)
        return fresh

    def problems(self) -> list[Problem]:
        """One warning per host whose pages failed: how many, and the first reason."""
        failures: dict[str, tuple[int, str]] = {}  # by host: how many, the first reason
        for article_id, outcome in self.outcomes.items():
            if outcome.status == FAILED:
                host, _, reason = outcome.reason.partition(" ")
                count, first = failures.get(host, (0, reason or article_id))
                failures[host] = (count + 1, first)
        return [
            Problem(
                host,
                f"full text of {plural(count, 'article', 'articles')} not fetched "
                f"({first}); the feed's text is kept",
            )
            for host, (count, first) in sorted(failures.items())
        ]

    def book_line(self, book: Book) -> str | None:
        """``full text for <title>: 3 fetched, 2 cached, 1 failed``, when any page was wanted."""
        mine = [self.outcomes[a.id] for a in book.articles if a.id in self.outcomes]
        return f"full text for {book.title}: {counts_line(mine)}" if mine else None

    def _one(self, article: Article, stored: Article | None) -> tuple[Article, Outcome]:
        from feed2book.fulltext.extract import extract_article

        if stored is not None and not self.settings.pages.refetch:
            return stored, Outcome(STORED)
        host = (urlsplit(article.url).hostname or "?").lower()
        assert self._fetcher is not None
        try:
            page = self._fetcher.get(
                article.url, internal_ok=self._internal_ok(article), now=self.now
            )
        except Feed2BookError as error:
            return article, Outcome(FAILED, f"{host} {_reason(error)}")
        extracted = extract_article(page.body, page.url, article.title)
        if extracted is None:
            return article, Outcome(FAILED, f"{host} no article found on the page")
        if extracted.words < article.word_count:
            return article, Outcome(FAILED, f"{host} the page's text is shorter than the feed's")
        completed = replace(
            article,
            content_html=extracted.xhtml,
            word_count=extracted.words,
            content_source=ContentSource.PAGE.value,
            fetched=page.fetched,
        )
        return completed, Outcome(CACHED if page.cached else FETCHED)

    def _internal_ok(self, article: Article) -> bool:
        feed = article.feed.url
        with self._lock:
            known = self._internal.get(feed)
        if known is None:
            from feed2book.images.addresses import source_is_internal, system_resolve

            known = source_is_internal(feed, self._resolve or system_resolve)
            with self._lock:
                self._internal[feed] = known
        return known


def _reason(error: Feed2BookError) -> str:
    text = str(error)
    return text.split(": ", 1)[1] if ": " in text else text


# --- what a book's page says ---------------------------------------------------------------


def note_html(article: Article) -> str:
    """The small line a book page carries about where its text came from ("" for feed text)."""
    if article.content_source == ContentSource.PAGE:
        host = html.escape(urlsplit(article.url).hostname or article.url)
        day = article.fetched.strftime("%Y-%m-%d") if article.fetched else "?"
        return f'<p class="full-text-note"><small>Full text from {host}, fetched {day}</small></p>'
    if article.content_source == ContentSource.SUMMARY and article.url:
        link = html.escape(article.url, quote=True)
        return (
            '<p class="full-text-note"><small>Summary only — read the full article: '
            f'<a href="{link}">{link}</a></small></p>'
        )
    return ""


def with_notes(book: Book) -> Book:
    """``book`` with each article's note: before a fetched text, after a summary."""
    return book.with_each_article(with_note)


def with_note(article: Article) -> Article:
    """``article`` with its note (``note_html``): before a fetched text, after a summary."""
    note = note_html(article)
    if not note:
        return article
    if article.content_source == ContentSource.PAGE:
        return replace(article, content_html=note + "\n" + article.content_html)
    return replace(article, content_html=article.content_html + "\n" + note)
