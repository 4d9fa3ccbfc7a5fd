"""A big local feed on the command line starts the helpers before the CLI is imported
(``feed2book.headstart``), so they import while this process does.

Started for a reading command over local XML files that hold ``parallel.MIN_ITEMS`` entries in
all; never for a small feed, another command, one process, or a file that is not XML text, and
never by opening something that is not a regular file (a named pipe would wait for a writer).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from feed2book import headstart, parallel
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def _two_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    parallel.shutdown()
    yield
    parallel.shutdown()


def _feed(path: Path, items: int) -> Path:
    entries = "".join(
        f"<item><title>Lamp {number}</title><link>https://lamps.example/{number}</link>"
        f"<description>&lt;p&gt;Lamp {number} glows amber at dusk.&lt;/p&gt;</description></item>\n"
        for number in range(items)
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Lamps</title><link>https://lamps.example/</link>\n{entries}</channel></rss>\n",
        encoding="utf-8",
    )
    return path


def _helpers() -> int:
    pool = parallel._POOL
    return 0 if pool is None else sum(helper.alive for helper in pool.helpers)


@pytest.mark.parametrize("command", sorted(headstart.READING_COMMANDS))
def test_a_big_local_feed_starts_the_helpers(tmp_path: Path, command: str) -> None:
    big = _feed(tmp_path / "big.xml", parallel.MIN_ITEMS)
    assert headstart.start_helpers([command, "--quiet", str(big)]) == parallel.MIN_ITEMS
    assert _helpers() == 1


def test_the_entries_of_several_files_add_up(tmp_path: Path) -> None:
    half = parallel.MIN_ITEMS // 2 + 1
    files = [str(_feed(tmp_path / f"{name}.xml", half)) for name in ("a", "b")]
    assert headstart.start_helpers(["jsonl", *files]) >= parallel.MIN_ITEMS
    assert _helpers() == 1


def test_a_small_feed_starts_nothing(tmp_path: Path) -> None:
    small = _feed(tmp_path / "small.xml", parallel.MIN_ITEMS - 1)
    assert headstart.start_helpers(["epub", str(small)]) == parallel.MIN_ITEMS - 1
    assert _helpers() == 0


@pytest.mark.parametrize("arguments", [[], ["cover"], ["library", "stats"], ["sync"]])
def test_other_commands_start_nothing(tmp_path: Path, arguments: list[str]) -> None:
    big = _feed(tmp_path / "big.xml", parallel.MIN_ITEMS)
    assert headstart.start_helpers([*arguments, str(big)]) == 0
    assert _helpers() == 0


def test_one_process_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    big = _feed(tmp_path / "big.xml", parallel.MIN_ITEMS)
    assert headstart.start_helpers(["epub", str(big)]) == 0
    assert _helpers() == 0


def test_what_is_not_a_local_xml_file_counts_nothing(tmp_path: Path) -> None:
    text = _feed(tmp_path / "big.xml", parallel.MIN_ITEMS).read_bytes()
    binary = tmp_path / "library.sqlite3"
    binary.write_bytes(b"SQLite format 3\0" + text)  # a database holding feed text
    (tmp_path / "folder").mkdir()
    arguments = [
        "jsonl",
        str(binary),
        str(tmp_path / "folder"),
        str(tmp_path / "missing.xml"),
        str(tmp_path / "*.xml"),  # a glob feed2book expands itself, later
        "https://lamps.example/feed.xml",
        "-",  # standard input
        "--output=" + str(tmp_path / "big.xml"),
    ]
    assert headstart.start_helpers(arguments) == 0
    assert _helpers() == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_not_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "feed.pipe"
    os.mkfifo(pipe)
    counted: list[int] = []
    worker = threading.Thread(
        target=lambda: counted.append(headstart.start_helpers(["jsonl", str(pipe)])),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # it waits in open(): let it go before failing
        with open(pipe, "wb"):
            pass
        pytest.fail("start_helpers opened a named pipe and waited for a writer")
    assert counted == [0]


def test_the_command_gives_the_same_output_with_and_without_a_head_start(tmp_path: Path) -> None:
    big = _feed(tmp_path / "big.xml", parallel.MIN_ITEMS + 30)
    outputs = []
    for workers in ("2", "1"):
        environment = {**os.environ, parallel.WORKERS_ENV: workers}
        done = subprocess.run(
            [sys.executable, "-m", "feed2book", "jsonl", str(big), "--full-text", "never", "-q"],
            capture_output=True,
            env=environment,
            cwd=REPO,
            check=True,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") == parallel.MIN_ITEMS + 30


@pytest.mark.parametrize("shift", range(-7, 8))
def test_a_tag_across_two_blocks_is_counted_once(tmp_path: Path, shift: int) -> None:
    """The file is read a block at a time: a tag cut by a block's end still counts, once."""
    boundary = headstart._SNIFF + headstart._BLOCK  # where the second block read ends
    head = b"<rss>" + b" " * (boundary - 5 + shift)
    data = head + b"<item/><entry/>" * 3 + b" " * headstart._BLOCK + b"<item/></rss>"
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    assert headstart._items_in_file(str(path), 10**6) == headstart.items_in(data) == 7
