"""Memory of a feed of very many tiny items (issue 14): 380,000 notes of about 130 bytes (a
49.6 MB feed) took 1.6 GB to become one EPUB. The pages are now made, compressed and written to
the file one at a time, and the articles loaded back share their feed and author objects.

The full 380,000-item case takes minutes on a loaded machine: it is ``slow``. The always-run
case builds 40,000 items and holds them to a bound the old code broke.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.hostile.corpus import tiny_items
from tests.hostile.runner import Run, assert_clean_stderr, run_command


def build(tmp_path: Path, items: int, *extra: str) -> Run:
    feed = tiny_items(tmp_path / "tiny.xml", items)
    out = tmp_path / "books"
    run = run_command(
        "epub", [str(feed)], out, "--images", "none", *extra, measure=True, wall_limit=1800
    )
    assert_clean_stderr(run)
    assert run.code == 0, run.stderr
    (book,) = run.epubs()
    with zipfile.ZipFile(book) as archive:
        pages = [name for name in archive.namelist() if name.startswith("OEBPS/a-")]
        assert archive.testzip() is None
    assert len(pages) == items  # every note became a page
    return run


def test_forty_thousand_tiny_items_build_in_bounded_memory(tmp_path: Path) -> None:
    run = build(tmp_path, 40_000)
    assert run.peak_mb is not None
    assert run.peak_mb < 260, f"{run.peak_mb:.0f} MB"  # was 330 MB


@pytest.mark.slow
@pytest.mark.parametrize("group_by", ["author", "none"])
def test_three_hundred_and_eighty_thousand_tiny_items_stay_under_600_mb(
    tmp_path: Path, group_by: str
) -> None:
    run = build(tmp_path, 380_000, "--group-by", group_by)
    assert run.peak_mb is not None
    assert run.peak_mb < 600, f"{run.peak_mb:.0f} MB"  # was 1,655 MB
