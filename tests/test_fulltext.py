"""Full text for feeds that carry only a summary (issue 18): a real server on 127.0.0.1 serves a
teaser-only feed and article pages in the shapes of WordPress, Ghost, Medium, Substack, Hugo and a
news site (tests/fulltext_site.py); books get each article's own text, and nothing else."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.cli.console import Environment
from feed2book.fulltext.cookies import CookieFileError, cookie_header, load_cookies
from feed2book.fulltext.extract import extract_article
from feed2book.fulltext.options import PageOptions
from feed2book.fulltext.stage import FullText, FullTextSettings
from feed2book.models import Article, Author, FeedInfo
from feed2book.parse.summary import ItemSignals, signals, summary_flags
from tests.conftest import EXAMPLES
from tests.epubcheck_helper import assert_epubcheck_clean
from tests.fulltext_site import BOILERPLATE, pages, summary_feed
from tests.httpserver import Server

pytestmark = pytest.mark.network
runner = CliRunner()


def run(*args: str, environ: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Run feed2book; with ``environ``, in an Environment whose variables are those."""
    stdout, stderr = io.BytesIO(), io.StringIO()
    env = None if environ is None else Environment(stdout=stdout, stderr=stderr, environ=environ)
    result = runner.invoke(app, list(args), obj=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    out, err = result.stdout + stdout.getvalue().decode(), result.stderr + stderr.getvalue()
    return result.exit_code, out, err


def serve_site(server: Server) -> str:
    for page in pages():
        server.route(
            f"/{page.slug}/post/",
            body=page.html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8", "ETag": f'"{page.slug}"'},
        )
    server.route(
        "/feed.xml",
        body=summary_feed(server.base),
        headers={"Content-Type": "application/rss+xml"},
    )
    return server.url("/feed.xml")


def page_requests(server: Server) -> list[str]:
    return [path for path, _ in server.requests if path.endswith("/post/")]


def book_text(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        return "\n".join(
            book.read(name).decode() for name in book.namelist() if name.endswith(".xhtml")
        )


def test_a_summary_only_feed_becomes_a_book_of_whole_articles(
    server: Server, tmp_path: Path
) -> None:
    feed = serve_site(server)
    out = tmp_path / "six.epub"
    code, _, err = run("epub", feed, "--group-by", "none", "--images", "none", "-o", str(out))
    assert code == 0, err
    text = book_text(out)
    for page in pages():
        assert page.last_paragraph in text, page.slug
        assert all(paragraph in text for paragraph in page.paragraphs), page.slug
        assert f'<code class="language-{page.code_language}">' in text, page.slug
        assert f"The {page.slug} picture, seen from above." in text  # the caption
    for phrase in BOILERPLATE:
        assert phrase not in text, phrase
    assert text.count("Full text from 127.0.0.1, fetched ") == 6
    assert "full text for Six Sites: 6 fetched, 0 cached, 0 failed" in err
    assert_epubcheck_clean(out)
    assert len(page_requests(server)) == 6
    # The second build asks the server for no page (the feed itself is read again).
    server.requests.clear()
    code, _, err = run("epub", feed, "--group-by", "none", "--images", "none", "-o", str(out))
    assert code == 0, err
    assert page_requests(server) == []
    assert "full text for Six Sites: 0 fetched, 6 cached, 0 failed" in err
    assert book_text(out) == text  # the same book, fetch date included


def test_markdown_bundles_get_the_pages_text_with_fenced_code(
    server: Server, tmp_path: Path
) -> None:
    feed = serve_site(server)
    out = tmp_path / "six.md"
    code, _, err = run(
        "markdown", feed, "--group-by", "none", "--images", "none", "--single-file", "-o", str(out)
    )
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    for page in pages():
        assert page.last_paragraph in text
        assert f"```{page.code_language}\n" in text
    assert text.count("Full text from 127.0.0.1, fetched ") == 6
    assert not any(phrase in text for phrase in BOILERPLATE)


def test_refetch_asks_again_with_the_validators(server: Server, tmp_path: Path) -> None:
    feed = serve_site(server)
    assert run("jsonl", feed, "--fields", "id")[0] == 0
    server.requests.clear()
    assert run("jsonl", feed, "--fields", "id", "--refetch")[0] == 0
    asked = [headers for path, headers in server.requests if path.endswith("/post/")]
    assert len(asked) == 6 and all(h.get("if-none-match") for h in asked)


def test_jsonl_says_where_each_body_came_from(server: Server) -> None:
    feed = serve_site(server)
    _, out, _ = run("jsonl", feed, "--full-text", "never")
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["content_source"] for r in records} == {"summary"}
    assert page_requests(server) == []
    _, out, err = run("jsonl", feed)
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["content_source"] for r in records} == {"page"}
    assert all(r["fetched"].endswith("Z") for r in records)
    assert "full text: 6 fetched, 0 cached, 0 failed" in err
    # From the cache: the same records, the time they were fetched included.
    _, again, err = run("jsonl", feed)
    assert again == out
    assert "full text: 0 fetched, 6 cached, 0 failed" in err


def test_a_page_that_stayed_a_summary_says_so_and_links_the_article(
    server: Server, tmp_path: Path
) -> None:
    feed = serve_site(server)
    for page in pages():
        server.route(f"/{page.slug}/post/", status=404, body=b"gone")
    out = tmp_path / "book.epub"
    code, _, err = run("epub", feed, "--group-by", "none", "--images", "none", "-o", str(out))
    assert code == 0, err
    text = book_text(out)
    assert text.count("Summary only — read the full article: ") == 6
    assert f'href="{server.base}/news/post/"' in text
    warnings = [line for line in err.splitlines() if "full text of" in line]
    assert warnings == [
        "feed2book: warning: 127.0.0.1: full text of 6 articles not fetched (HTTP 404 Not "
        "Found); the feed's text is kept"
    ]
    assert_epubcheck_clean(out)


def test_add_full_text_always_is_remembered_and_pages_are_stored_in_the_library(
    server: Server, tmp_path: Path
) -> None:
    from tests.test_library_cli import lib

    feed = serve_site(server)
    code, _, err = lib("add", "--full-text", "always", feed)
    assert code == 0, err
    code, out, err = run("jsonl", "--fields", "id,content_source")
    assert {json.loads(line)["content_source"] for line in out.splitlines()} == {"page"}
    assert len(page_requests(server)) == 6
    # The library now holds each page as a revision: with no cache at all, no request.
    server.requests.clear()
    no_cache = {**os.environ, "FEED2BOOK_CACHE_DIR": str(tmp_path / "empty-cache")}
    code, out, err = run("jsonl", "--fields", "id,content_source", environ=no_cache)
    assert {json.loads(line)["content_source"] for line in out.splitlines()} == {"page"}
    assert page_requests(server) == []
    # --refetch renews the stored pages.
    code, out, err = run("jsonl", "--fields", "id,content_source", "--refetch")
    assert len(page_requests(server)) == 6
    assert "full text: 6 fetched, 0 cached, 0 failed" in err


def test_cookies_from_a_netscape_file_go_to_their_host_only(
    server: Server, tmp_path: Path
) -> None:
    jar = tmp_path / "cookies.txt"
    jar.write_text(
        "# Netscape HTTP Cookie File\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n"
        "other.example\tFALSE\t/\tFALSE\t0\tsession\tnope\n"
    )
    assert cookie_header(load_cookies(jar), "http://127.0.0.1:8000/a") == "session=abc123"
    feed = serve_site(server)
    assert run("jsonl", feed, "--fields", "id", "--cookies", str(jar))[0] == 0
    sent = [h.get("cookie") for path, h in server.requests if path.endswith("/post/")]
    assert sent == ["session=abc123"] * 6
    bad = tmp_path / "bad.txt"
    bad.write_text("not a cookie file\n")
    with pytest.raises(CookieFileError):
        load_cookies(bad)
    code, _, err = run("jsonl", feed, "--cookies", str(bad), "--full-text", "never")
    assert code == 2 and "not a Netscape cookie file" in err


def _article(url: str, feed_url: str, body: str = "<p>A teaser […]</p>") -> Article:
    return Article(
        id=url,
        url=url,
        title="Profiling a slow static site build",
        authors=(Author("A", "a"),),
        published=datetime(2026, 12, 1, tzinfo=UTC),
        updated=None,
        tags=(),
        feed=FeedInfo("F", feed_url, ""),
        language="en",
        content_html=body,
        word_count=3,
        content_source="summary",
    )


def test_a_feed_on_a_public_host_may_not_make_pages_reach_internal_addresses(
    server: Server, tmp_path: Path
) -> None:
    serve_site(server)
    public = {"blog.example": ["93.184.216.34"]}
    settings = FullTextSettings(pages=PageOptions(cache_dir=tmp_path))
    now = datetime(2026, 12, 6, tzinfo=UTC)
    with FullText(settings, now, resolve=lambda host: public.get(host, [])) as stage:
        url = server.url("/hugo/post/")
        [kept] = stage.complete([_article(url, "https://blog.example/feed")])
    assert kept.content_source == "summary"
    assert page_requests(server) == []
    [problem] = stage.problems()
    assert "internal address" in problem.message


def test_one_pool_of_threads_fetches_every_page_of_a_run(tmp_path: Path) -> None:
    """Pages are fetched by one pool for the whole run, not a new pool (and new threads, each
    keeping its own allocator's memory) for every 64 articles: 200 notes on hosts that cannot
    be found are tried by at most ``concurrency`` threads in all."""
    threads: set[threading.Thread] = set()

    def resolve(host: str) -> list[str]:
        threads.add(threading.current_thread())
        return []  # no address: every page fails at once, without a request

    settings = FullTextSettings(pages=PageOptions(cache_dir=tmp_path))
    notes = [_article(f"https://gone{n}.example/", "https://blog.example/feed") for n in range(200)]
    with FullText(settings, datetime(2026, 12, 6, tzinfo=UTC), resolve=resolve) as stage:
        kept = list(stage.complete(notes))
    assert kept == notes  # the feed's text is kept
    assert stage.outcomes[notes[-1].id].status == "failed"
    workers = [thread for thread in threads if thread is not threading.main_thread()]
    assert 1 <= len(workers) <= settings.pages.concurrency


def test_a_page_is_never_shorter_than_the_summary(server: Server, tmp_path: Path) -> None:
    serve_site(server)
    long_summary = "<p>" + " ".join(["word"] * 400) + "</p>"
    article = _article(server.url("/hugo/post/"), "file.xml", long_summary)
    article = Article(**{**{f: getattr(article, f) for f in article.__slots__}, "word_count": 400})
    settings = FullTextSettings(pages=PageOptions(cache_dir=tmp_path))
    with FullText(settings, datetime(2026, 12, 6, tzinfo=UTC)) as stage:
        [kept] = stage.complete([article])
    assert kept.content_html == long_summary
    assert "shorter than the feed's" in stage.problems()[0].message


def test_trafilatura_finds_the_article_and_an_empty_page_gives_none() -> None:
    page = pages()[0]
    found = extract_article(page.html.encode(), "http://x/wordpress/post/", page.title)
    assert found is not None and found.extractor == "trafilatura"
    assert extract_article(b"<html><body></body></html>", "http://x/") is None


# --- detection: pure, over an entry's fields and its feed's other items ----------------------


def items(*bodies: str, content: bool = False) -> list[ItemSignals]:
    return [signals(body, has_content=content, link="https://x.example/a") for body in bodies]


LONG = "<p>" + " ".join(["word"] * 300) + "</p>"


def test_whole_posts_in_description_are_not_summaries() -> None:
    assert summary_flags(items(LONG, LONG, LONG)) == [False, False, False]


def test_teaser_endings_mark_a_summary_even_in_a_feed_of_long_items() -> None:
    for ending in ("…", "[…]", "[...]", "Read more", "Continue reading →", "(more…)"):
        teaser = "<p>" + " ".join(["word"] * 150) + f" {ending}</p>"
        assert summary_flags(items(LONG, teaser, LONG)) == [False, True, False], ending


def test_a_long_post_that_ends_in_an_ellipsis_is_not_a_summary() -> None:
    musing = "<p>" + " ".join(["word"] * 500) + " Now if only I had a project…</p>"
    assert summary_flags(items(LONG, musing, LONG)) == [False, False, False]
    short = "<p>" + " ".join(["word"] * 120) + "…</p>"
    assert summary_flags(items(LONG, short, LONG)) == [False, True, False]


def test_a_feed_of_short_descriptions_is_a_feed_of_summaries() -> None:
    hugo = "<p>" + " ".join(["word"] * 70) + ".</p>"
    assert summary_flags(items(hugo, hugo, LONG)) == [True, True, True]


def test_short_posts_with_code_lists_or_headings_are_whole_not_summaries() -> None:
    # The shape of the bundled dev.to examples: 70-120 words, but a code block and a list.
    post = "<p>Pick boring tools:</p><ul><li>SQLite</li></ul><pre><code>git init</code></pre>"
    hugo = "<p>" + " ".join(["word"] * 70) + ".</p>"
    assert summary_flags(items(post, post, hugo)) == [False, False, True]


def test_content_encoded_or_atom_content_is_full_text_however_short() -> None:
    assert summary_flags(items("<p>Short post…</p>", content=True)) == [False]


def test_an_item_without_a_web_link_cannot_be_completed() -> None:
    lone = signals("<p>A teaser…</p>", has_content=False, link="")
    assert summary_flags([lone]) == [False]


def test_a_title_only_item_is_a_summary() -> None:
    assert summary_flags(items("", LONG)) == [True, False]


def test_commands_that_fetch_no_page_never_import_the_extractors(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "sys.argv = ['feed2book', *json.loads(sys.argv[1])]\n"
        "from feed2book.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([m for m in ('trafilatura', 'readability', 'justext') "
        "if m in sys.modules]), file=sys.stderr)\n"
    )
    commands = (
        ["jsonl", str(EXAMPLES), "--fields", "id"],
        ["epub", str(EXAMPLES), "--images", "none", "-o", "books/"],
    )
    for args in commands:
        done = subprocess.run(
            [sys.executable, "-c", probe, json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert json.loads(done.stderr.strip().splitlines()[-1]) == [], args


def test_a_page_goes_through_feed2books_own_cleaner() -> None:
    page = pages()[4]
    hostile = page.html.replace(
        "<h2>How it works</h2>",
        '<h2 onclick="steal()">How it works</h2><script>steal()</script>'
        '<p><a href="javascript:steal()">a trap</a> and <img src="x.png" onerror="steal()"/></p>',
    )
    found = extract_article(hostile.encode(), "https://hugo.example/post/", page.title)
    assert found is not None
    assert "steal" not in found.xhtml and "javascript:" not in found.xhtml
    assert page.last_paragraph in found.xhtml
    assert found.xhtml.count("<h1") == 0  # the title is the book page's own heading
