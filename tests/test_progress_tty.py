"""Progress on a terminal: a bar counting articles, messages on their own lines above it; and
nothing of it when stderr is not a terminal. Run with stderr on a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES

_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_pty(*args: str) -> str:
    """What the CLI writes to stderr when stderr is a terminal (escapes left in)."""
    main, secondary = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "feed2book", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=120) == 0
    finally:
        os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_bar_counts_articles_and_messages_stay_on_their_own_lines(
    tmp_path: Path,
) -> None:
    shown = run_on_a_pty("epub", str(EXAMPLES), "-o", str(tmp_path))
    text = _ESCAPE.sub("", shown).replace("\r\n", "\n").replace("\r", "\n")
    assert re.search(r"\d+/9 articles", text)  # the bar counts articles, not books
    assert "Building " in text  # labelled with the book being built
    wrote = [line for line in text.split("\n") if "wrote" in line]
    assert len(wrote) == 3
    assert all(line.startswith("feed2book: wrote ") for line in wrote), wrote
    assert all(line.rstrip().endswith(("article)", "articles)")) for line in wrote), wrote
    told = [line for line in text.split("\n") if "feed2book:" in line]
    assert all(line.startswith("feed2book: ") for line in told), told  # none glued on a bar


def test_with_stderr_not_a_terminal_there_is_no_progress(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feed2book", "epub", str(EXAMPLES), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    assert "articles" not in done.stderr.replace("(", " (").split("wrote")[0]  # no bar
    assert all(line.startswith("feed2book: ") for line in done.stderr.splitlines())
