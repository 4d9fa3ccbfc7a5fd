"""Conversion over every item of the seed feeds (and the practice feeds): nothing lost."""

from __future__ import annotations

import pytest
from lxml import etree

from feed2book.clean.html import clean_html
from feed2book.convert.markdown import to_markdown
from feed2book.convert.text import block_sequence_from_xhtml, count_words, to_text
from tests.conversion_helpers import (
    PRACTICE,
    SEEDS,
    XHTML_NS,
    Item,
    block_sequence_from_markdown,
    clean_block_counts,
    parse_xhtml,
    practice_items,
    raw_block_counts,
    seed_items,
)

if not SEEDS.is_dir():
    pytest.skip("../shared/seeds is not available", allow_module_level=True)

SEED_ITEMS = seed_items()
PRACTICE_ITEMS = practice_items() if PRACTICE.is_dir() else []


def _ids(items: list[Item]) -> list[str]:
    return [f"{item.feed[:12]}-{number}" for number, item in enumerate(items)]


def test_all_56_seed_items_are_read() -> None:
    assert len(SEED_ITEMS) == 56


@pytest.mark.parametrize("item", SEED_ITEMS, ids=_ids(SEED_ITEMS))
def test_seed_item_loses_no_block(item: Item) -> None:
    cleaned = clean_html(item.html, item.base)
    before, after = raw_block_counts(item.html), clean_block_counts(cleaned)
    for kind, count in before.items():
        assert after[kind] >= count, f"{kind}: {count} before, {after[kind]} after"


@pytest.mark.parametrize("item", SEED_ITEMS, ids=_ids(SEED_ITEMS))
def test_seed_item_code_blocks_keep_their_language(item: Item) -> None:
    raw = etree.fromstring(f"<div>{item.html}</div>", etree.HTMLParser()).iter("pre")
    languages = [
        cls for pre in raw for cls in (pre.get("class") or "").split() if cls != "highlight"
    ]
    cleaned = parse_xhtml(clean_html(item.html, item.base))
    kept = [
        (code.get("class") or "").removeprefix("language-")
        for code in cleaned.iter(f"{{{XHTML_NS}}}code")
        if code.getparent() is not None and etree.QName(code.getparent()).localname == "pre"
    ]
    assert kept == languages


@pytest.mark.parametrize("item", SEED_ITEMS, ids=_ids(SEED_ITEMS))
def test_seed_item_iframes_become_visible_links(item: Item) -> None:
    iframes = item.html.count("<iframe")
    cleaned = clean_html(item.html, item.base)
    assert "<iframe" not in cleaned
    labels = (">▶ Watch on ", ">▶ Video: ", ">View on ", ">Embedded content: ")
    assert sum(cleaned.count(label) for label in labels) >= iframes


@pytest.mark.parametrize(
    "item", SEED_ITEMS + PRACTICE_ITEMS, ids=_ids(SEED_ITEMS) + _ids(PRACTICE_ITEMS)
)
def test_item_is_wellformed_idempotent_and_round_trips(item: Item) -> None:
    cleaned = clean_html(item.html, item.base)
    parse_xhtml(cleaned)
    assert clean_html(cleaned, item.base) == cleaned
    markdown = to_markdown(cleaned)
    assert block_sequence_from_markdown(markdown) == block_sequence_from_xhtml(cleaned)
    if item.html.strip():
        assert count_words(to_text(cleaned)) > 0
