"""The benchmark harness (benchmarks/): the corpus is deterministic and reads as intended, and the
quick run (`benchmarks/run.py --quick`) completes and reports every scenario."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from feed2book.pipeline import collect
from feed2book.sources.fetch import Fetched
from feed2book.sources.resolver import SourceContext

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A benchmarks/ script as a module (the directory is not a package)."""
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def no_network(url: str) -> Fetched:
    raise AssertionError(f"the corpus must be read offline, not {url}")


def series_counts(sources: list[str]) -> tuple[int, dict[str, int]]:
    counts: dict[str, int] = {}
    with collect(sources, SourceContext(fetch=no_network)) as collection:
        articles = list(collection.select())
    for article in articles:
        if article.series is not None:
            counts[article.series.name] = counts.get(article.series.name, 0) + 1
    return len(articles), counts


def test_corpus_is_deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    corpus = load("corpus", monkeypatch)
    first = corpus.make_feed(12)
    assert first == corpus.make_feed(12)
    assert first != corpus.make_feed(12, seed="another seed")
    # Article i does not depend on N: a longer corpus holds the same first articles.
    item = corpus.item_xml(corpus.article(3)).encode()
    assert item in first
    assert item in corpus.make_feed(40)
    one, two = tmp_path / "one", tmp_path / "two"
    corpus.write_multi(one, 25)
    corpus.write_multi(two, 25)
    names = sorted(p.name for p in one.iterdir())
    assert len(names) == corpus.MULTI_FILES
    assert all((one / name).read_bytes() == (two / name).read_bytes() for name in names)


def test_corpus_articles_are_dev_to_shaped(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load("corpus", monkeypatch)
    sizes = [len(corpus.article(index).html) for index in range(30)]
    assert 9_500 < sum(sizes) / len(sizes) < 12_000
    html = corpus.article(7).html
    for needle in (
        '<div class="highlight js-code-highlight">',
        '<span class="k">',
        '<div class="table-wrapper-paragraph"><table>',
        "https://www.youtube.com/embed/",
        "<ul>",
        "<blockquote>",
        'rel="noopener noreferrer"',
        "<h2>\n  \n  \n  ",
    ):
        assert needle in html, needle


def test_corpus_feed_reads_into_n_articles_and_its_series(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    corpus = load("corpus", monkeypatch)
    n = 60
    feed = tmp_path / "corpus.xml"
    with feed.open("wb") as out:
        corpus.write_feed(out, n, target=1_500)
    expected = corpus.expected_series(n)
    assert len(expected) >= 5
    assert series_counts([str(feed)]) == (n, expected)

    multi = tmp_path / "multi"
    corpus.write_multi(multi, n, target=1_500)
    assert series_counts([str(multi)]) == (n, expected)


def test_corpus_jsonl_reads_like_the_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load("corpus", monkeypatch)
    buffer = io.BytesIO()
    corpus.write_jsonl(buffer, 20, target=1_500)
    lines = buffer.getvalue().decode().splitlines()
    assert len(lines) == 20
    assert '"id": "forem:ines_vaskova/day-1-' in lines[0]


def test_corpus_jsonl_spreads_a_big_library_over_authors(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load("corpus", monkeypatch)
    buffer = io.BytesIO()
    corpus.write_jsonl(buffer, 2_000, target=0, authors=200)
    records = [json.loads(line) for line in buffer.getvalue().splitlines()]
    handles = Counter(record["authors"][0]["handle"] for record in records)
    assert len(handles) == 200
    assert set(handles.values()) == {10}
    series_authors: dict[str, set[str]] = {}
    for record in records:
        if record["series"]:
            series_authors.setdefault(record["series"]["name"], set()).add(
                record["authors"][0]["handle"]
            )
    assert all(len(authors) == 1 for authors in series_authors.values())


def test_real_shaped_corpus_repeats_the_shared_items_as_distinct_articles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seeds: list[Path]
) -> None:
    corpus = load("corpus", monkeypatch)
    shared = tmp_path / "shared"
    (shared / "seeds").mkdir(parents=True)
    for seed in seeds:
        (shared / "seeds" / seed.name).write_bytes(seed.read_bytes())
    items = len(corpus.real_items(shared))
    once, twice = io.BytesIO(), io.BytesIO()
    assert corpus.write_real_feed(once, items, shared) == items
    corpus.write_real_feed(twice, 2 * items, shared)
    again = io.BytesIO()
    corpus.write_real_feed(again, 2 * items, shared)
    assert again.getvalue() == twice.getvalue()
    assert twice.getvalue().startswith(once.getvalue()[: -len(corpus._TAIL)])
    (tmp_path / "once.xml").write_bytes(once.getvalue())
    (tmp_path / "twice.xml").write_bytes(twice.getvalue())
    # Every copy is an article of its own: neither a duplicate nor a revision of its original
    # (the originals keep their own republished pairs: 48 articles of the seeds' 56 items).
    articles, _ = series_counts([str(tmp_path / "once.xml")])
    assert series_counts([str(tmp_path / "twice.xml")])[0] == articles + items
    assert 40 < articles <= items


def test_real_shaped_corpus_says_where_the_shared_feeds_are_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = load("corpus", monkeypatch)
    with pytest.raises(corpus.MissingShared, match="seed and practice feeds in"):
        corpus.real_sources(tmp_path)
    with pytest.raises(SystemExit) as stop:
        corpus.main(["10", "--real", str(tmp_path), "-o", str(tmp_path / "real.xml")])
    assert stop.value.code == 2
    assert f"in {tmp_path} (seeds/*.txt, practice/*.xml): none found" in capsys.readouterr().err
    assert not (tmp_path / "real.xml").exists()


@pytest.mark.slow
def test_quick_run_reports_every_scenario(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = load("run", monkeypatch)
    report = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--out", str(report)],
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    for scenario in run.SCENARIOS:
        assert f"`{scenario.key}`" in text, scenario.key
    assert "## Targets" in text
    assert run.BEFORE_AFTER_START in text
