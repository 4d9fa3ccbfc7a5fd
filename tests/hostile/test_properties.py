"""Hypothesis over hostile feeds and HTML: no crash, no traceback, well-formed and safe output.

Generated RSS, Atom and JSON Feed documents (XSS vectors, tag soup, odd dates, links and names;
sometimes cut, wrongly encoded or carrying entities), mutated example feeds and random bytes go
through parsing and every writer in memory (``invariants.check_feed``). A sample of the EPUBs
built goes through EPUBCheck at the end. ``tests/fuzz/run.py`` runs the same checks for as long
as it is asked to.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.hostile.invariants import check_feed, check_html
from tests.hostile.strategies import atom_feed, html_soup, json_feed, mutated_example, rss_feed

EPUBS: dict[str, bytes] = {}
_QUICK = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _keep(kind: str, epubs: list[bytes]) -> None:
    for epub in epubs[:1]:
        if sum(1 for name in EPUBS if name.startswith(kind)) < 8:
            EPUBS[f"{kind}-{len(EPUBS)}"] = epub


@settings(_QUICK, max_examples=40)
@given(rss_feed())
def test_generated_rss_feeds(data: bytes) -> None:
    _keep("rss", check_feed(data))


@settings(_QUICK, max_examples=30)
@given(atom_feed())
def test_generated_atom_feeds(data: bytes) -> None:
    _keep("atom", check_feed(data))


@settings(_QUICK, max_examples=30)
@given(json_feed())
def test_generated_json_feeds(data: bytes) -> None:
    _keep("json", check_feed(data))


@settings(_QUICK, max_examples=25)
@given(mutated_example())
def test_mutated_example_feeds(data: bytes) -> None:
    _keep("mutated", check_feed(data))


@settings(_QUICK, max_examples=60)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check_feed(data, books=False)


@settings(_QUICK, max_examples=150)
@given(html_soup(max_parts=60))
def test_hostile_html_soup(html: str) -> None:
    check_html(html)


def test_a_sample_of_the_generated_books_passes_epubcheck() -> None:
    """EPUBCheck on books kept by the tests above (same worker) plus a fixed-seed sample.

    Under pytest-xdist the tests above may run on other workers, so this test always builds
    its own derandomised sample as well: it never depends on test order.
    """
    sample: dict[str, bytes] = dict(EPUBS)

    @settings(_QUICK, max_examples=6, derandomize=True, database=None)
    @given(st.one_of(rss_feed(), atom_feed(), json_feed()))
    def build(data: bytes) -> None:
        for epub in check_feed(data)[:1]:
            sample[f"sample-{len(sample)}"] = epub

    build()
    assert sample, "no generated feed gave a book"
    assert_all_epubcheck_clean(sample)
