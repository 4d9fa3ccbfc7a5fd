"""The XSS corpus through every command: nothing executable, nothing remote, survives.

EPUB: every XHTML page of every book (head included), the package and the stylesheets; nothing
may load from outside the book. Markdown bundles: every ``.md`` file, rendered the way mdBook
renders it (raw HTML passed through, links not sanitised). JSON Lines: ``content_html`` and
``content_markdown`` of every record. The books pass EPUBCheck.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.hostile.runner import (
    COMMANDS,
    Run,
    archive_entries,
    assert_clean_stderr,
    example_sources,
    run_command,
)
from tests.hostile.scan import (
    unsafe_in_css,
    unsafe_in_markdown,
    unsafe_in_markup,
    unsafe_in_xhtml_fragment,
)
from tests.hostile.xss import TITLE_VECTORS, VECTORS, write_feeds

_OPF = "{http://www.idpf.org/2007/opf}"
_XHTML = "{http://www.w3.org/1999/xhtml}"


class _Runs(dict[str, Run]):
    """The XSS feeds through a command, run when first asked for (once per xdist worker)."""

    def __init__(self, work: Path) -> None:
        super().__init__()
        self.work = work
        self.sources = [str(path) for path in write_feeds(work)] + example_sources()

    def __missing__(self, command: str) -> Run:
        self[command] = run_command(command, self.sources, self.work / command)
        return self[command]


@pytest.fixture(scope="module")
def xss_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return _Runs(tmp_path_factory.mktemp("xss"))


@pytest.mark.parametrize("command", COMMANDS)
def test_the_xss_feeds_are_read_by_every_command(command: str, xss_runs: dict[str, Run]) -> None:
    run = xss_runs[command]
    assert_clean_stderr(run)
    assert run.code == 0, run.stderr
    assert run.errors() == []


def test_jsonl_content_is_safe(xss_runs: dict[str, Run]) -> None:
    records = [json.loads(line) for line in xss_runs["jsonl"].stdout.decode().splitlines()]
    titles = {record["title"] for record in records}
    assert {f"Vector {n}" for n in range(len(VECTORS))} <= titles
    assert set(TITLE_VECTORS) <= titles  # hostile titles are data, kept as written
    problems = []
    for record in records:
        for field in ("content_html", "content_markdown"):
            check = unsafe_in_xhtml_fragment if field == "content_html" else unsafe_in_markdown
            problems += [f"{record['title']} {field}: {p}" for p in check(record[field])]
        for url in (record["url"], record["feed"]["site"]):
            assert url == "" or url.startswith(("https://", "http://", "/")), (record["id"], url)
    assert problems == []


def _epub_pages(path: Path) -> Iterator[tuple[str, bytes, set[str]]]:
    """``(name, bytes, files relative to it)`` for every XHTML page in the EPUB."""
    entries = dict(archive_entries(path))
    for name, data in entries.items():
        if name.endswith((".xhtml", ".html", ".htm")):
            folder = posixpath.dirname(name)
            relative = {posixpath.relpath(other, folder or ".") for other in entries}
            yield name, data, relative


def test_epub_pages_hold_no_script_handler_or_remote_resource(xss_runs: dict[str, Run]) -> None:
    books = xss_runs["epub"].epubs()
    assert books
    problems = []
    for book in books:
        entries = dict(archive_entries(book))
        for name, data, relative in _epub_pages(book):
            page = etree.fromstring(data)
            head = page.find(f"{_XHTML}head")
            assert head is not None
            for element in head:
                assert element.tag in (f"{_XHTML}title", f"{_XHTML}link"), (name, element.tag)
                if element.tag == f"{_XHTML}link":
                    assert element.get("rel") == "stylesheet" and element.get("href") in relative
            body = page.find(f"{_XHTML}body")
            assert body is not None
            problems += [
                f"{book.name}!{name}: {p}" for p in unsafe_in_markup(body, book_files=relative)
            ]
        for name, data in entries.items():
            if name.endswith(".css"):
                problems += [f"{book.name}!{name}: {p}" for p in unsafe_in_css(data.decode())]
            if name.endswith(".opf"):
                package = etree.fromstring(data)
                folder = posixpath.dirname(name)
                for item in package.iter(f"{_OPF}item"):
                    href = posixpath.normpath(posixpath.join(folder, item.get("href") or ""))
                    assert href in entries, f"{book.name}: manifest names {item.get('href')}"
                    assert "remote-resources" not in (item.get("properties") or "")
    assert problems == []


def test_markdown_bundles_render_without_script_or_javascript_links(
    xss_runs: dict[str, Run],
) -> None:
    files = [path for path in xss_runs["markdown"].files if path.suffix == ".md"]
    assert len(files) > len(VECTORS)
    problems = []
    for path in files:
        problems += [f"{path.name}: {p}" for p in unsafe_in_markdown(path.read_text("utf-8"))]
    assert problems == []


def test_epubs_built_from_the_xss_corpus_pass_epubcheck(xss_runs: dict[str, Run]) -> None:
    assert_all_epubcheck_clean({path.name: path for path in xss_runs["epub"].epubs()})


def test_the_scanner_sees_what_it_must() -> None:
    assert unsafe_in_xhtml_fragment('<a href=" java&#9;script:x">a</a>')
    assert unsafe_in_xhtml_fragment('<p onclick="x">a</p>')
    assert unsafe_in_xhtml_fragment('<img src="data:text/html,x"/>')
    assert unsafe_in_xhtml_fragment('<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert unsafe_in_xhtml_fragment('<p style="color:red">a</p>')
    assert not unsafe_in_xhtml_fragment(
        '<p><a href="https://ok.example/">a</a><img src="a.png"/></p>'
    )
    assert unsafe_in_markdown("[a](javascript:alert(1))")
    assert unsafe_in_markdown("<img src=x onerror=alert(1)>")
    assert not unsafe_in_markdown("\\<img src=x onerror=alert(1)> and [a](https://ok.example/)")
    assert unsafe_in_markup(
        etree.fromstring('<p><img src="https://ok.example/a.png"/></p>'), book_files={"a.png"}
    )
    assert unsafe_in_css("p { background: url(https://x.example/a.png) }")
    assert not unsafe_in_css("p { margin: 0 }")


@pytest.mark.parametrize("vector", VECTORS)
def test_every_vector_alone_cleans_to_safe_xhtml(vector: str) -> None:
    from feed2book.clean.html import clean_html

    assert unsafe_in_xhtml_fragment(clean_html(vector, "https://ok.example/post/")) == []
