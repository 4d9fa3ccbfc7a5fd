"""Articles stream from the parser into the spool: the same articles, and a source that fails
halfway leaves nothing behind."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feed2book import parallel
from feed2book.models import Article, Severity
from feed2book.parse import feed as parse
from feed2book.pipeline import collect
from feed2book.sources.fetch import Fetched
from feed2book.sources.resolver import SourceContext
from tests.conftest import EXAMPLES, REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import corpus as bench


def no_fetch(url: str) -> Fetched:
    raise AssertionError(url)


@pytest.fixture(autouse=True)
def _shutdown_helpers() -> Iterator[None]:
    yield
    parallel.shutdown()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_handed_over_in_order_and_the_same(
    workers: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, workers)
    feed = tmp_path / "corpus.xml"
    feed.write_bytes(bench.make_feed(parallel.MIN_ITEMS + 30))
    paths = [feed, *sorted(EXAMPLES.glob("*.xml")), *sorted(EXAMPLES.glob("*.atom"))]
    for path in paths:
        fetched = Fetched(str(path), path.read_bytes(), None, {}, True)
        whole = parse.parse_source(fetched)
        handed: list[Article] = []
        streamed = parse.parse_source(fetched, on_article=handed.append)
        assert streamed.articles == []
        assert handed == whole.articles
        assert streamed.problems == whole.problems
        assert streamed.feed == whole.feed


def test_map_in_order_can_take_its_input_over() -> None:
    items = list(range(parallel.MIN_ITEMS + 10))
    assert list(parallel.map_in_order(str, items, consume=True)) == [
        str(n) for n in range(parallel.MIN_ITEMS + 10)
    ]
    assert items == []


def test_a_source_failing_halfway_leaves_no_article(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")  # the patch below lives in this process only
    bad = tmp_path / "bad.xml"
    bad.write_bytes(bench.make_feed(40))
    good = tmp_path / "good.atom"
    good.write_bytes((EXAMPLES / "field-notes.atom").read_bytes())
    real = parse._entry_to_article
    calls = 0

    def fail_on_the_tenth(entry: Any, context: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 10:
            raise ValueError("boom")
        return real(entry, context)

    monkeypatch.setattr(parse, "_entry_to_article", fail_on_the_tenth)
    with collect([str(bad), str(good)], SourceContext(fetch=no_fetch)) as collection:
        articles = list(collection.select())
        report = collection.report
    assert calls > 10
    assert report.failed_sources == [str(bad)]
    assert [p.severity for p in report.problems if p.source == str(bad)] == [Severity.ERROR]
    assert "could not be read (ValueError: boom)" in report.problems[0].message
    assert articles and all(article.feed.url == str(good) for article in articles)
    assert report.items == len(articles)
    assert report.sources_read == 1
