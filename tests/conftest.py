"""Shared fixtures: paths to the example, seed and practice feeds, and a local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.httpserver import Server

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "feeds"
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
PRACTICE = SHARED / "practice"
DATA = Path(__file__).resolve().parent / "data"


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


def practice_files() -> list[Path]:
    if not PRACTICE.is_dir():
        return []
    return sorted(p for p in PRACTICE.iterdir() if p.suffix in (".xml", ".rss", ".opml"))


@pytest.fixture
def seeds() -> list[Path]:
    files = seed_files()
    if not files:
        pytest.skip("the seed feeds (../shared/seeds) are not present")
    return files


@pytest.fixture
def practice() -> list[Path]:
    files = practice_files()
    if not files:
        pytest.skip("the practice feeds (../shared/practice) are not present")
    return files


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def _private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user's library or image cache."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("FEED2BOOK_LIBRARY", str(home / "library.sqlite3"))
    monkeypatch.setenv("FEED2BOOK_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("FEED2BOOK_CONFIG", str(home / "config.toml"))  # SMTP settings
    # pytest-xdist gives its workers COLUMNS=80: the width `list` fits is set by the tests
    # that are about it, never by how the suite runs.
    monkeypatch.delenv("COLUMNS", raising=False)
    for name in ("URL", "FROM", "PASSWORD", "PASSWORD_COMMAND", "CAFILE"):
        monkeypatch.delenv(f"FEED2BOOK_SMTP_{name}", raising=False)
