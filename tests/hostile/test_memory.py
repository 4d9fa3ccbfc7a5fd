"""Memory of a feed of very many tiny items (issue 14): 380,000 notes of about 130 bytes (a
52 MB feed) took 1,655 MB to become one EPUB. The pages are now made, compressed and written to
the file one at a time, and the articles loaded back share their feed and author objects: 989 MB.
The issue's target (600 MB) is not met yet: parsing still holds every item of a feed at once.

The measured builds (40,000 and 380,000 items) take minutes on a loaded machine: they are
``slow``. Always run: the two causes of copies fixed, shown directly on the objects.
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from feed2book.group import BookOptions, GroupBy, group_articles
from feed2book.images import ImageOptions
from feed2book.images.options import ImageMode
from feed2book.images.rewrite import embed_book_images
from feed2book.models import Author, FeedInfo
from feed2book.pipeline import Collection
from tests.factory import make_article
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


def test_articles_read_back_share_their_feed_and_author_objects() -> None:
    """Equal feeds and authors come back from the spool as one object each, not one per
    article (380,000 copies of the same ``FeedInfo`` were a third of the articles' memory)."""
    with Collection() as collection:
        for n in range(3):
            article = make_article(id=f"note:{n}", title=f"Note {n}")
            collection.add(
                replace(
                    article,
                    feed=FeedInfo("Notes", "https://n.example/feed", "https://n.example/"),
                    authors=(Author("Ann Author", "ann"),),
                )
            )
        first, *others = collection.select()
    assert len(others) == 2
    assert all(other.feed is first.feed for other in others)
    assert all(other.authors[0] is first.authors[0] for other in others)
    assert first.feed == FeedInfo("Notes", "https://n.example/feed", "https://n.example/")


def test_articles_images_leave_unchanged_are_not_copied() -> None:
    """``--images none``/``link`` on articles without images changes nothing: the prepared book
    holds the same article objects as the grouped one (the CLI holds both while building)."""
    notes = [make_article(id=f"note:{n}", title=f"Note {n}") for n in range(3)]
    with_image = make_article(
        id="note:img", content='<p><img src="https://i.example/a.png" alt="a"/></p>'
    )
    (book,) = group_articles([*notes, with_image], BookOptions(GroupBy.NONE, title="N")).books
    prepared, _ = embed_book_images(book, None, ImageOptions(mode=ImageMode.NONE))
    kept = {id(article) for article in book.articles}
    assert [id(a) in kept for a in prepared.articles] == [True, True, True, False]


@pytest.mark.slow  # 25 s of CPU, but over pytest's 300 s timeout on a loaded 2-core machine
def test_forty_thousand_tiny_items_build_under_a_ceiling(tmp_path: Path) -> None:
    """A guard, not the fix's proof: 218 MB measured here (230 MB before; parsing dominates at
    this size)."""
    run = build(tmp_path, 40_000)
    assert run.peak_mb is not None
    assert run.peak_mb < 280, f"{run.peak_mb:.0f} MB"


@pytest.mark.slow
@pytest.mark.parametrize("group_by", ["author", "none"])
def test_three_hundred_and_eighty_thousand_tiny_items_stay_under_1100_mb(
    tmp_path: Path, group_by: str
) -> None:
    """989 MB measured (was 1,655 MB); issue 14 asks for 600 MB, not reached yet."""
    run = build(tmp_path, 380_000, "--group-by", group_by)
    assert run.peak_mb is not None
    assert run.peak_mb < 1_100, f"{run.peak_mb:.0f} MB"
