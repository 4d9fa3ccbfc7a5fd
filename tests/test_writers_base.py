"""``writers.base``: every format behind one ``Writer`` shape, found by name in ``WRITERS``.

The adapters add nothing: each gives exactly what the format's own entry point gives.
"""

from __future__ import annotations

import io
import json

from PIL import Image

from feed2book.models import Author, Book, Section
from feed2book.writers.base import WRITERS, MarkdownBundleWriter
from feed2book.writers.epub.book import build_epub
from feed2book.writers.jsonl import write_jsonl
from feed2book.writers.markdown import Cover, build_bundle, build_single_file
from tests.factory import make_article

BOOK = Book(
    key="author:test",
    title="Two Posts",
    authors=(Author("Test Author", "test"),),
    language="en",
    sections=(
        Section(
            "",
            (
                make_article(id="forem:test/one-1", title="One", content="<p>First.</p>"),
                make_article(id="forem:test/two-2", title="Two", content="<p>Second.</p>"),
            ),
        ),
    ),
)


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 24), (200, 40, 40)).save(out, fmt)
    return out.getvalue()


def test_every_format_is_registered_under_its_own_name() -> None:
    assert sorted(WRITERS) == ["epub", "jsonl", "markdown", "markdown-file"]
    assert all(writer.name == name for name, writer in WRITERS.items())
    assert {name: w.suffix for name, w in WRITERS.items()} == {
        "epub": ".epub",
        "jsonl": ".jsonl",
        "markdown": "",
        "markdown-file": ".md",
    }


def test_the_epub_writer_is_build_epub() -> None:
    cover = image("JPEG")
    assert WRITERS["epub"].write(BOOK, cover=cover) == build_epub(BOOK, cover_jpeg=cover)


def test_the_markdown_writer_is_build_bundle_with_the_cover_named_by_its_format() -> None:
    assert WRITERS["markdown"].write(BOOK) == build_bundle(BOOK)
    png, jpeg = image("PNG"), image("JPEG")
    assert WRITERS["markdown"].write(BOOK, cover=png) == build_bundle(
        BOOK, cover=Cover("cover.png", png)
    )
    written = WRITERS["markdown"].write(BOOK, cover=jpeg)
    assert isinstance(written, dict) and written["cover.jpg"] == jpeg


def test_a_streamed_bundle_gives_the_same_files_as_they_are_made() -> None:
    png = image("PNG")
    streamed = MarkdownBundleWriter(streamed=True).write(BOOK, cover=png)
    assert not isinstance(streamed, (bytes, dict))  # an iterator of (path, bytes)
    assert dict(streamed) == WRITERS["markdown"].write(BOOK, cover=png)


def test_the_single_file_writer_is_build_single_file() -> None:
    assert WRITERS["markdown-file"].write(BOOK) == build_single_file(BOOK)


def test_the_jsonl_writer_gives_one_record_per_article() -> None:
    written = WRITERS["jsonl"].write(BOOK)
    assert isinstance(written, bytes)
    records = [json.loads(line) for line in written.decode().splitlines()]
    assert [r["id"] for r in records] == ["forem:test/one-1", "forem:test/two-2"]


class LinesAtEachFlush(io.BytesIO):
    """A binary stream that notes how many whole lines it held at each ``flush``."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def flush(self) -> None:
        self.seen.append(self.getvalue().count(b"\n"))


def test_write_jsonl_is_what_the_jsonl_command_streams_one_flushed_line_at_a_time() -> None:
    out = LinesAtEachFlush()
    written = write_jsonl(BOOK.articles, out, ("id", "title"), flush=True)
    assert written == 2 and out.seen == [1, 2]
    assert out.getvalue().decode("utf-8").splitlines() == [
        '{"id":"forem:test/one-1","title":"One"}',
        '{"id":"forem:test/two-2","title":"Two"}',
    ]
    assert WRITERS["jsonl"].write(BOOK) == _all_fields(BOOK)


def _all_fields(book: Book) -> bytes:
    out = io.BytesIO()
    write_jsonl(book.articles, out)
    return out.getvalue()
