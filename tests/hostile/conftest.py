"""The hostile suite's slow tests (many random interruptions, the 20-moment runs, the biggest
inputs) stay out of a plain ``pytest`` run, which CI uses; ``pytest -m slow`` (or any ``-m``
expression that selects them) or ``FEED2BOOK_SLOW=1`` runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("markexpr") or os.environ.get("FEED2BOOK_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or FEED2BOOK_SLOW=1")
    for item in items:
        if "slow" in item.keywords and item.path.is_relative_to(HERE):
            item.add_marker(skip)
