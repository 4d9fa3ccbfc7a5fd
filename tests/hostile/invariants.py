"""What must hold for any input, checked on one feed or one HTML fragment.

``check_feed`` parses bytes as a source would be read and, for what it yields, builds every
output in memory (JSON Lines record and its round trip, Markdown and front matter, a bundle, an
EPUB) and checks each: no exception but ``SourceError``, one-line messages, safe and well-formed
content, front matter that reads back, safe file names. ``check_html`` does the same for one
fragment. Both return what they built so a caller can collect EPUBs for one EPUBCheck run.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC

import yaml
from lxml import etree

from feed2book.clean.html import clean_html
from feed2book.convert.markdown import to_markdown
from feed2book.convert.text import to_text
from feed2book.errors import SourceError
from feed2book.group import BookOptions, GroupBy, group_articles
from feed2book.models import Article
from feed2book.parse.feed import article_from_record, is_web_url, parse_source
from feed2book.pipeline import Collection
from feed2book.sources.fetch import Fetched
from feed2book.writers.epub.book import build_epub
from feed2book.writers.jsonl import article_record, dumps
from feed2book.writers.markdown import build_bundle, front_matter
from tests.hostile.names import unsafe_name
from tests.hostile.scan import unsafe_in_markdown, unsafe_in_markup, unsafe_in_xhtml_fragment

ORIGIN = "fuzzed-input.xml"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_XHTML = "{http://www.w3.org/1999/xhtml}"


def check_feed(data: bytes, *, books: bool = True) -> list[bytes]:
    """Parse ``data`` and check everything built from it; returns the EPUBs built."""
    fetched = Fetched(ORIGIN, data, "file:///fuzz/" + ORIGIN, {}, is_local=True)
    try:
        parsed = parse_source(fetched)
    except SourceError as error:
        assert "\n" not in str(error), repr(str(error))
        assert error.source == ORIGIN
        return []
    for problem in parsed.problems:
        assert "\n" not in problem.message and not _CONTROL.search(problem.message), problem
    for article in parsed.articles:
        check_article(article)
    if not (books and parsed.articles):
        return []
    return check_books(parsed.articles)


def check_article(article: Article) -> None:
    assert article.id
    assert article.title and article.title == " ".join(article.title.split())
    assert not _CONTROL.search(article.title)
    assert article.authors and all(author.name and author.handle for author in article.authors)
    assert all(not _CONTROL.search(author.name) for author in article.authors)
    assert all(tag and not _CONTROL.search(tag) for tag in article.tags)
    assert article.published.tzinfo is not None and article.published.utcoffset() == UTC.utcoffset(
        None
    )
    assert article.published.year >= 1970
    assert article.url == "" or is_web_url(article.url), article.url
    assert article.feed.site == "" or is_web_url(article.feed.site), article.feed.site
    assert _LANGUAGE.fullmatch(article.language), article.language
    assert unsafe_in_xhtml_fragment(article.content_html) == [], article.content_html
    assert clean_html(article.content_html) == article.content_html  # already clean: stable
    markdown = to_markdown(article.content_html)
    assert unsafe_in_markdown(markdown) == [], markdown
    to_text(article.content_html)
    # JSON Lines: one line, and read back as the same article.
    line = dumps(article_record(article))
    assert "\n" not in line
    back = article_from_record(json.loads(line))
    assert (back.id, back.title, back.content_html, back.tags) == (
        article.id, article.title, article.content_html, article.tags,
    )  # fmt: skip
    # Front matter: YAML that reads back to the same values.
    matter = yaml.safe_load(front_matter(article).strip().strip("-"))
    assert matter["title"] == article.title
    assert matter["authors"] == [{"name": a.name, "handle": a.handle} for a in article.authors]
    assert matter.get("tags", []) == list(article.tags)
    assert matter["id"] == article.id


def check_books(articles: list[Article]) -> list[bytes]:
    collection = Collection()
    try:
        for article in articles:
            collection.add(article)
        collection.finish()
        selected = list(collection.select())
    finally:
        collection.close()
    built = []
    for group_by in (GroupBy.AUTHOR, GroupBy.NONE):
        for book in group_articles(selected, BookOptions(group_by=group_by)).books:
            for name, data in build_bundle(book).items():
                for part in name.split("/"):
                    assert part.startswith(("_", ".feed2book")) or not unsafe_name(part), name
                if name.endswith(".md"):
                    assert unsafe_in_markdown(data.decode()) == [], name
            epub = build_epub(book)
            check_epub(epub)
            built.append(epub)
    return built


def check_epub(epub: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        names = archive.namelist()
        assert names[0] == "mimetype"
        for name in names:
            assert not name.startswith("/") and ".." not in name.split("/")
            if name.endswith(".xhtml"):
                page = etree.fromstring(archive.read(name))
                body = page.find(f"{_XHTML}body")
                assert body is not None
                folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
                files = {other.removeprefix(folder) for other in names}
                assert unsafe_in_markup(body, book_files=files) == [], name


def check_html(html: str) -> str:
    """Clean ``html`` and check the result and its Markdown; returns the clean XHTML."""
    problems: list[str] = []
    xhtml = clean_html(html, "https://ok.example/dir/post", on_problem=problems.append)
    assert all("\n" not in problem for problem in problems)
    assert unsafe_in_xhtml_fragment(xhtml) == [], xhtml
    assert clean_html(xhtml, "https://ok.example/dir/post") == xhtml
    assert unsafe_in_markdown(to_markdown(xhtml)) == []
    to_text(xhtml)
    return xhtml
