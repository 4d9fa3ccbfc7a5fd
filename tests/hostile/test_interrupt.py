"""Ctrl-C and kill -9 at random moments: never a partial output, never a stray temporary file.

Each run is ``python -m feed2book`` over five generated feeds (a few seconds of work), signalled
after a random delay (seeded: a failure names its delay and reproduces). After SIGINT the exit
code is 130 with one "interrupted" line (or 0 when the run had finished), no ``*.feed2book-tmp``
is left, and every output present is byte-identical to the one a full run writes (builds are
reproducible). After SIGKILL only temporaries may be left over, and the next run removes them.
``-m slow`` (or ``FEED2BOOK_SLOW=1``) runs 20 moments per command instead of a few.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from feed2book.atomic import TEMP_SUFFIX, atomic_writer
from feed2book.output.bundles import write_folder
from tests.hostile.corpus import escape
from tests.hostile.runner import build_flags

AUTHORS = ("Ada Quill", "Bo Larsen", "Chidi Obi", "Dana Kuro", "Emil Varga")
ITEMS_PER_FEED = {"epub": 20, "markdown": 8, "jsonl": 20}
QUICK_MOMENTS = {"epub": 3, "markdown": 2, "jsonl": 2}
SLOW_MOMENTS = 20
# 130 from feed2book; -SIGINT when the signal lands before Python's own handler is in place
# (a loaded machine can be slow to get there): a shell shows both as 130. 0: it had finished.
INTERRUPTED_OR_DONE = (130, -signal.SIGINT, 0)
PARAGRAPH = "<p>" + "Words of a generated article, long enough to take a moment. " * 12 + "</p>"


def write_feeds(directory: Path, items: int) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, author in enumerate(AUTHORS):
        entries = "".join(
            f"<item><title>{author}: note {n}</title>"
            f"<link>https://gen.example/{number}/{n}</link>"
            f"<author>x@gen.example ({author})</author>"
            f"<pubDate>Mon, {1 + n % 28:02d} Jun 2026 {n % 24:02d}:00:00 GMT</pubDate>"
            f"<description>{escape('<h2>Part</h2>' + PARAGRAPH * 6 + '<ul><li>a</li></ul>')}"
            "</description></item>"
            for n in range(items)
        )
        path = directory / f"feed-{number}.xml"
        path.write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{author}</title>'
            f"<link>https://gen.example/{number}/</link>{entries}</channel></rss>"
        )
        paths.append(str(path))
    return paths


@dataclass
class Job:
    command: str
    sources: list[str]

    def args(self, out: Path) -> list[str]:
        if self.command == "jsonl":
            return ["jsonl", *self.sources, "-q", "-o", str(out / "articles.jsonl")]
        return [self.command, *self.sources, "-q", *build_flags(self.command), "-o", str(out)]

    def start(self, out: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "feed2book", *self.args(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (hidden ones too), by relative path."""
    if not out.exists():
        return {}
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def temporaries(out: Path) -> list[str]:
    return [path.name for path in out.rglob(f"*{TEMP_SUFFIX}")] if out.exists() else []


@dataclass
class Reference:
    job: Job
    files: dict[str, bytes]
    seconds: float  # a whole run
    start_up: float  # until feed2book's modules are imported


def start_up_seconds() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import feed2book.cli.commands"], check=True)
    return time.monotonic() - started


class _References(dict[str, Reference]):
    """A full run per command, made when a test first needs it (once per xdist worker)."""

    def __init__(self, work: Path) -> None:
        super().__init__()
        self.work = work
        self.start_up = start_up_seconds()

    def __missing__(self, command: str) -> Reference:
        job = Job(command, write_feeds(self.work / command / "feeds", ITEMS_PER_FEED[command]))
        out = self.work / command / "reference"
        started = time.monotonic()
        process = job.start(out)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        self[command] = Reference(job, snapshot(out), time.monotonic() - started, self.start_up)
        return self[command]


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reference]:
    return _References(tmp_path_factory.mktemp("interrupt"))


def moments(
    count: int, reference: Reference, seed: str, *, from_start: bool = False
) -> list[float]:
    """Random delays (seeded) over a run: after start-up (see the start-up test below for that
    window) unless ``from_start``, up to a little past its usual end."""
    rng = random.Random(seed)
    earliest = 0.02 if from_start else reference.start_up * 1.5
    latest = max(reference.seconds * 1.1, earliest + 0.5)
    return sorted(rng.uniform(earliest, latest) for _ in range(count))


def check_partial(out: Path, reference: Reference, context: str) -> None:
    """Whatever is there is complete: byte for byte what a full run writes."""
    for name, data in snapshot(out).items():
        assert name in reference.files, f"{context}: unexpected {name}"
        assert data == reference.files[name], f"{context}: {name} differs from a full build"


def _interrupt(
    reference: Reference, out: Path, delay: float, sig: signal.Signals
) -> tuple[int, str]:
    process = reference.job.start(out)
    time.sleep(delay)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    return process.returncode, err.decode("utf-8", "replace")


def _during_start_up(code: int, err: str) -> bool:
    """A load spike can stretch start-up past the estimate: still importing feed2book.cli."""
    return code == -signal.SIGINT and "from feed2book.cli import main" in err


def _sigint_runs(
    references: dict[str, Reference], command: str, count: int, tmp_path: Path
) -> None:
    reference = references[command]
    for number, delay in enumerate(moments(count, reference, f"sigint-{command}")):
        out = tmp_path / f"run-{number}"
        code, err = _interrupt(reference, out, delay, signal.SIGINT)
        context = f"{command}, SIGINT after {delay:.2f} s (exit {code}):\n{err}"
        if _during_start_up(code, err):  # before Python reaches feed2book's own handler
            assert snapshot(out) == {}, context
            continue
        assert code in INTERRUPTED_OR_DONE, context
        assert "Traceback" not in err, context
        # Between start-up and the command's body typer ends the run silently (still 130).
        assert err.strip().splitlines() in ([], ["feed2book: error: interrupted"]), context
        assert temporaries(out) == [], context
        check_partial(out, reference, context)
        if code == 0:
            assert snapshot(out) == reference.files, context


@pytest.mark.parametrize("command", list(ITEMS_PER_FEED))
def test_sigint_at_random_moments(
    command: str, references: dict[str, Reference], tmp_path: Path
) -> None:
    _sigint_runs(references, command, QUICK_MOMENTS[command], tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("command", list(ITEMS_PER_FEED))
def test_sigint_at_twenty_random_moments(
    command: str, references: dict[str, Reference], tmp_path: Path
) -> None:
    _sigint_runs(references, command, SLOW_MOMENTS, tmp_path)


def _sigkill_runs(
    references: dict[str, Reference], command: str, count: int, tmp_path: Path
) -> None:
    reference = references[command]
    for number, delay in enumerate(
        moments(count, reference, f"sigkill-{command}", from_start=True)
    ):
        out = tmp_path / f"run-{number}"
        code, err = _interrupt(reference, out, delay, signal.SIGKILL)
        context = f"{command}, SIGKILL after {delay:.2f} s (exit {code}):\n{err}"
        for name, data in snapshot(out).items():
            if TEMP_SUFFIX not in name:  # only a temporary may be incomplete
                assert data == reference.files.get(name), f"{context}: {name} is partial"
        # The next run cleans up after the killed one.
        process = reference.job.start(out)
        _, err_again = process.communicate(timeout=120)
        assert process.returncode == 0, err_again.decode()
        assert temporaries(out) == [], f"{context}: the next run left {temporaries(out)}"
        assert snapshot(out) == reference.files, context


@pytest.mark.parametrize("command", ["epub", "markdown"])
def test_sigkill_leaves_only_temporaries_that_the_next_run_removes(
    command: str, references: dict[str, Reference], tmp_path: Path
) -> None:
    _sigkill_runs(references, command, 1, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("command", list(ITEMS_PER_FEED))
def test_sigkill_at_twenty_random_moments(
    command: str, references: dict[str, Reference], tmp_path: Path
) -> None:
    _sigkill_runs(references, command, SLOW_MOMENTS, tmp_path)


def test_sigint_over_an_earlier_build_keeps_old_or_new_never_half(
    references: dict[str, Reference], tmp_path: Path
) -> None:
    """Rebuilding over yesterday's books: each file is the old one or the new one."""
    reference = references["epub"]
    old_sources = write_feeds(tmp_path / "old-feeds", ITEMS_PER_FEED["epub"] // 2)
    old_out = tmp_path / "old"
    old_job = Job("epub", old_sources)
    process = old_job.start(old_out)
    process.communicate(timeout=120)
    assert process.returncode == 0
    old_files = snapshot(old_out)
    for number, delay in enumerate(moments(2, reference, "sigint-over-old")):
        out = tmp_path / f"rebuild-{number}"
        out.mkdir()
        for name, data in old_files.items():
            (out / name).write_bytes(data)
        code, err = _interrupt(reference, out, delay, signal.SIGINT)
        context = f"SIGINT after {delay:.2f} s (exit {code}):\n{err}"
        if _during_start_up(code, err):
            continue
        assert code in INTERRUPTED_OR_DONE, context
        assert temporaries(out) == [], context
        for name, data in snapshot(out).items():
            assert data in (old_files.get(name), reference.files.get(name)), f"{context}: {name}"


def test_sigint_during_start_up_is_quiet_and_exits_130(
    references: dict[str, Reference], tmp_path: Path
) -> None:
    reference = references["jsonl"]
    for number, share in enumerate((0.3, 0.5, 0.7)):
        out = tmp_path / f"early-{number}"
        code, err = _interrupt(reference, out, reference.start_up * share, signal.SIGINT)
        if code == -signal.SIGINT or (code == 1 and "feed2book" not in err):
            # Python's own start-up (site, encodings), before any feed2book code can catch it:
            # nothing was written, which is all that can be asked of that window.
            assert snapshot(out) == {}, err
            continue
        assert code == 130 and "Traceback" not in err, f"after {share:.0%} of start-up:\n{err}"


def test_ctrl_c_at_a_terminal_stops_the_helper_processes_too(tmp_path: Path) -> None:
    """A terminal's Ctrl-C signals the whole process group: a feed of more than 200 items is
    converted by helper processes, which must end quietly with the run (no traceback, none
    left running), and no temporary file stays behind."""
    sources = write_feeds(tmp_path / "feeds", 210)[:1]
    out = tmp_path / "out"
    job = Job("jsonl", sources)
    for delay in moments(2, Reference(job, {}, 2.5, start_up_seconds()), "group"):
        process = subprocess.Popen(
            [sys.executable, "-m", "feed2book", *job.args(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
        text = err.decode()
        context = f"SIGINT to the group after {delay:.2f} s (exit {process.returncode}):\n{text}"
        if _during_start_up(process.returncode, text):
            continue
        assert process.returncode in INTERRUPTED_OR_DONE, context
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, context
        assert temporaries(out) == [], context
        time.sleep(0.3)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 0)
            pytest.fail(f"{context}\nprocesses of the group are still running")


# --- Ctrl-C as the temporary is made ------------------------------------------------------------


def _interrupt_after(call: str) -> Callable[[Any, str, Any], None]:
    """A profile hook raising KeyboardInterrupt as ``os.<call>`` returns, having done its work:
    what Ctrl-C does when it lands during that system call (Python checks for signals as the
    call returns)."""

    def hook(frame: Any, event: str, function: Any) -> None:
        if (
            event == "c_return"
            and getattr(function, "__name__", "") == call
            and getattr(function, "__module__", "") in ("posix", "nt")
        ):
            raise KeyboardInterrupt

    return hook


@pytest.mark.parametrize("output", ["file", "folder"])
def test_ctrl_c_as_the_temporary_is_made_leaves_no_temporary(tmp_path: Path, output: str) -> None:
    """``mkstemp`` and ``mkdtemp`` raise KeyboardInterrupt without naming the temporary they
    just made, which then stays; feed2book chooses the name first and removes it."""
    out = tmp_path / "out"
    out.mkdir()
    sys.setprofile(_interrupt_after("open" if output == "file" else "mkdir"))
    try:
        with pytest.raises(KeyboardInterrupt):
            if output == "file":
                with atomic_writer(out / "book.epub") as handle:
                    handle.write(b"never kept")
            else:
                write_folder(out / "bundle", {"README.md": b"never kept"})
    finally:
        sys.setprofile(None)
    assert list(out.iterdir()) == []
