"""Every input the long fuzzing run (``python -m tests.fuzz.run``) ever failed on, replayed in
the normal suite: a bug found once by fuzzing stays fixed without anyone running the fuzzer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.invariants import check_feed, check_html

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"
SAVED = sorted(CORPUS.glob("*.feed")) + sorted(CORPUS.glob("*.html"))


def test_the_corpus_is_not_empty() -> None:
    assert SAVED, f"no saved fuzzing inputs in {CORPUS}"


@pytest.mark.parametrize("path", SAVED, ids=[path.name for path in SAVED])
def test_saved_fuzzing_input(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".html":
        check_html(data.decode("utf-8", "surrogatepass"))
    else:
        check_feed(data)
