"""Running feed2book on hostile input and reading back everything it wrote.

``run_command`` runs one command in-process (typer's ``CliRunner``: fast) or, with
``measure=True``, as ``python -m feed2book`` in a child process whose wall time and peak memory
(``ru_maxrss`` from ``wait4``, the child alone) are measured; the child gets an address-space
limit so a blow-up fails the test instead of the machine. ``outputs_text`` gathers every byte a
command produced (stdout, each file under ``-o``, each entry of each EPUB or zip) for scanning.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests.conftest import EXAMPLES

COMMANDS = ("jsonl", "list", "epub", "markdown")
TIME_LIMIT = 10.0  # CPU seconds, per command and case (issue 10)
WALL_LIMIT = 3 * TIME_LIMIT  # a loaded test machine stretches wall time, not CPU time
MEMORY_LIMIT_MB = 500  # peak resident memory, per command and case (issue 10)
# A hard stop well above the limit we assert: a runaway child fails, the test box survives.
ADDRESS_SPACE_LIMIT = 3 * 1024 * 1024 * 1024
_LINE = re.compile(r"^feed2book: \S.*$")


def _has_option(command: str, option: str) -> bool:
    click_command = typer.main.get_command(app)
    sub = click_command.commands.get(command)  # type: ignore[attr-defined]
    return sub is not None and any(option in getattr(param, "opts", ()) for param in sub.params)


def build_flags(command: str, *, cover: bool = False) -> list[str]:
    """Options that keep a building command offline and quick: no cover, images as links, and no
    article pages fetched for summary-only items (the feeds name hosts that do not exist; the
    full-text fetch has its own tests against servers on 127.0.0.1)."""
    flags = ["--full-text", "never"] if _has_option(command, "--full-text") else []
    if command not in ("epub", "markdown"):
        return flags
    flags += [] if cover else ["--no-cover"]
    if _has_option(command, "--images"):
        flags += ["--images", "link"]
    return flags


@dataclass
class Run:
    command: str
    code: int
    stdout: bytes
    stderr: str
    seconds: float
    output_dir: Path | None
    peak_mb: float | None = None  # measured runs only
    files: list[Path] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def errors(self) -> list[str]:
        return [line for line in self.stderr_lines if line.startswith("feed2book: error: ")]

    def warnings(self) -> list[str]:
        return [line for line in self.stderr_lines if line.startswith("feed2book: warning: ")]

    def epubs(self) -> list[Path]:
        return [path for path in self.files if path.suffix == ".epub"]


def command_line(
    command: str, sources: Sequence[str], output_dir: Path | None, *extra: str, cover: bool = False
) -> list[str]:
    flags = build_flags(command, cover=cover)
    for option in ("--images", "--full-text"):  # the caller's choice wins over the default
        if option in extra:
            at = flags.index(option) if option in flags else -1
            flags = flags[:at] + flags[at + 2 :] if at >= 0 else flags
    args = [command, *sources, *extra, *flags]
    if command in ("epub", "markdown"):
        assert output_dir is not None
        args += ["-o", str(output_dir)]
    if command == "jsonl":
        args += ["--content", "all"]
    return args


def run_command(
    command: str,
    sources: Sequence[str],
    output_dir: Path | None = None,
    *extra: str,
    measure: bool = False,
    stdin: bytes | None = None,
    cover: bool = False,
    wall_limit: float = WALL_LIMIT * 2,
) -> Run:
    args = command_line(command, sources, output_dir, *extra, cover=cover)
    if measure:
        run = _run_measured(command, args, stdin, wall_limit)
    else:
        started, cpu = time.monotonic(), time.process_time()
        result = CliRunner().invoke(app, args, input=stdin)
        seconds = time.monotonic() - started
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        run = Run(command, result.exit_code, result.stdout_bytes, result.stderr, seconds, None)
        run.cpu_seconds = time.process_time() - cpu
    run.output_dir = output_dir
    run.files = sorted(p for p in output_dir.rglob("*") if p.is_file()) if output_dir else []
    return run


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def _run_measured(
    command: str, args: list[str], stdin: bytes | None, wall_limit: float = WALL_LIMIT * 2
) -> Run:
    """``python -m feed2book`` in a child: its wall and CPU time and peak RSS (``wait4``: the
    child's own, and its helper processes' once reaped)."""
    work = Path(os.environ.get("TMPDIR", "/tmp"))
    out_path = work / f"feed2book-hostile-{os.getpid()}-{time.monotonic_ns()}.out"
    err_path = out_path.with_suffix(".err")
    try:
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "feed2book", *args],
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_limit_child,
            )
            if stdin is not None:
                assert process.stdin is not None
                process.stdin.write(stdin)
                process.stdin.close()
            status, usage = _wait(process, timeout=wall_limit)
            seconds = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        return Run(
            command,
            code,
            out_path.read_bytes(),
            err_path.read_text("utf-8", "replace"),
            seconds,
            None,
            peak_mb=usage.ru_maxrss / 1024,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
        )
    finally:
        out_path.unlink(missing_ok=True)
        err_path.unlink(missing_ok=True)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage]:
    """Reap ``process`` with ``wait4`` (so its rusage is its own), killing it after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap again
            return status, usage
        if time.monotonic() > deadline:
            process.send_signal(signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = -signal.SIGKILL
            raise AssertionError(f"feed2book ran for more than {timeout:g} s; killed")
        time.sleep(0.02)


# --- reading the outputs back -------------------------------------------------------------------


def archive_entries(path: Path) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            yield name, archive.read(name)


def output_blobs(run: Run) -> Iterator[tuple[str, bytes]]:
    """``(where, bytes)`` for stdout, every file written and every entry of every archive."""
    yield "stdout", run.stdout
    for path in run.files:
        data = path.read_bytes()
        yield str(path), data
        if path.suffix in (".epub", ".zip"):
            for name, entry in archive_entries(path):
                yield f"{path}!{name}", entry


def outputs_text(run: Run) -> str:
    return "\n".join(data.decode("utf-8", "replace") for _, data in output_blobs(run))


def assert_clean_stderr(run: Run) -> None:
    """Messages only: every line is ``feed2book: …``, one line each, never a traceback."""
    assert "Traceback" not in run.stderr, run.stderr
    for line in run.stderr_lines:
        assert _LINE.match(line), f"not a feed2book message line: {line!r}\n{run.stderr}"


def example_sources() -> list[str]:
    return [str(EXAMPLES)]
