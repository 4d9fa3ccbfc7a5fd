"""Article pages made by the helper processes (``feed2book.parallel``) while this process
compresses and writes the pages before them.

    with page_maker(plan, page_article) as page:  # page(chapter): what article_page makes
        ...

The plan (the file name and address of every page) is never sent to a helper: it would be
pickled with every chunk. A helper is given the chapter alone and makes its page as if the book
held no other file and no article had an address (``_Alone``), noting every file name and
article address its links were looked up by. Nothing else of the plan goes into a page, so
when none of those is in the book, the page is the plan's. When a file name is (a relative
link, an image of the book), the page is made again here, with the plan; when only article
addresses are: a page made as text (``page_parts_without_tree``, most pages) has its content's
links fixed again here (a regex pass, a tenth of making the page; its links are resolved
already, so that gives what fixing the original ones gives), a page made through a tree is made
again. Chapters go to the pool ``WINDOW`` at a time and are asked for in order (ebooklib's
writer writes the pages in spine order), so however long the book, at most a window of pages
is made ahead of the writer.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
from collections.abc import Callable, Generator, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from feed2book import parallel
from feed2book.models import Article
from feed2book.writers.epub.pages import _page_from_tree, article_page, page_parts_without_tree
from feed2book.writers.epub.plan import BookPlan, Chapter
from feed2book.xhtml.content import fix_links_without_tree

__all__ = ["WINDOW", "page_maker"]

WINDOW = 40 * parallel.CHUNK  # chapters handed to the pool at once: the most pages made ahead

PageArticle = Callable[[Article], Article]
# A page made alone (as text in three parts, or a tree's bytes), the article addresses and the
# file names it looked for.
_Made = tuple[tuple[str, str, str] | bytes, tuple[str, ...], tuple[str, ...]]


@contextlib.contextmanager
def page_maker(
    plan: BookPlan, page_article: PageArticle | None
) -> Iterator[Callable[[Chapter], bytes]]:
    """What makes a chapter's page (``page_article``: the article as its page shows it): in
    the helpers when there are enough chapters, more than one process, and ``page_article``
    pickles (a module-level function, a dataclass of them); else here, page by page. Leaving
    the block ends the pool's work (a book that failed half-way leaves none running)."""
    here = functools.partial(_made_here, plan, page_article)
    if len(plan.chapters) < parallel.MIN_ITEMS or parallel.worker_count() < 2:
        yield here
        return
    try:
        pickle.dumps(page_article)
    except Exception:  # a closure, say: it cannot go to a helper
        yield here
        return
    ahead = _PagesAhead(plan, page_article, here)
    try:
        yield ahead.page
    finally:
        ahead.close()


def _made_here(plan: BookPlan, page_article: PageArticle | None, chapter: Chapter) -> bytes:
    if page_article is not None:
        chapter = replace(chapter, article=page_article(chapter.article))
    return article_page(plan, chapter)


class _PagesAhead:
    """Pages asked for in the plan's order, made ahead by the pool."""

    def __init__(
        self, plan: BookPlan, page_article: PageArticle | None, here: Callable[[Chapter], bytes]
    ) -> None:
        self._plan = plan
        self._work = functools.partial(_made_alone, page_article)
        self._here = here
        # Started when the first page is asked for.
        self._made: Generator[_Made, None, None] | None = None
        self._next = 0  # the chapter whose page the pool gives next

    def page(self, chapter: Chapter) -> bytes:
        chapters = self._plan.chapters
        if self._next < len(chapters) and chapters[self._next] is chapter:
            if self._made is None:
                self._made = self._pages()
            self._next += 1
            made, asked, files = next(self._made)
            if not any(name in self._plan.book_files for name in files):
                if isinstance(made, tuple):
                    return self._with_links_in_book(chapter, made, asked)
                if not any(key in self._plan.articles_by_url for key in asked):
                    return made
        # A page with a link to a file of the book, a tree's page with a link to one of its
        # articles, or a page asked for out of order.
        return self._here(chapter)

    def _with_links_in_book(
        self, chapter: Chapter, parts: tuple[str, str, str], asked: tuple[str, ...]
    ) -> bytes:
        """The helper's page made as text, its links to articles of the book pointed at their
        files (see the module's docstring)."""
        plan = self._plan
        head, content, tail = parts
        if any(key in plan.articles_by_url for key in asked):
            fixed = fix_links_without_tree(
                content, plan.book_files, plan.articles_by_url, chapter.file_name
            )
            if fixed is None:  # cannot be: every link resolved once already
                return self._here(chapter)
            content = fixed
        return (head + content + tail).encode()

    def close(self) -> None:
        """Stop the pool's work here and now (an unfinished ``map_in_order`` left to the
        garbage collector would end it at exit, where starting its idle timer hangs)."""
        if self._made is not None:
            self._made.close()

    def _pages(self) -> Generator[_Made, None, None]:
        chapters = self._plan.chapters
        for start in range(0, len(chapters), WINDOW):
            yield from parallel.map_in_order(self._work, chapters[start : start + WINDOW])


def _made_alone(page_article: PageArticle | None, chapter: Chapter) -> _Made:
    """In a helper: the chapter's page as if the book held no other file (as text: before its
    content, the content, after it; or a tree's page, as bytes), the article addresses and
    the file names it looked for."""
    if page_article is not None:
        chapter = replace(chapter, article=page_article(chapter.article))
    alone = _Alone(_AskedFiles(), _Asked())
    made: tuple[str, str, str] | bytes | None = page_parts_without_tree(alone, chapter)
    if made is None:
        made = _page_from_tree(alone, chapter)
    return made, tuple(alone.articles_by_url.asked), tuple(alone.book_files.asked)


@dataclass(frozen=True, slots=True)
class _Alone:
    """The link targets of a book with no other file and no known article addresses."""

    book_files: _AskedFiles
    articles_by_url: _Asked


class _AskedFiles(AbstractSet[str]):
    """A ``book_files`` that holds nothing and notes every name asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __contains__(self, name: object) -> bool:
        self.asked.append(str(name))
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Asked(Mapping[str, str]):
    """An ``articles_by_url`` that finds nothing and notes every key asked for. Never empty
    (``len`` 1): a link is looked up only in a book with article addresses, and the plan's
    answer for it is checked afterwards."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.asked.append(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 1
