"""Talking to the person at the terminal: messages on stderr, progress bars, exit statuses.

Data goes to stdout and nothing else does. Progress bars appear only when stderr is a terminal and
``--quiet`` is off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import IO, TYPE_CHECKING, Any, cast

import typer

if TYPE_CHECKING:  # rich is imported when a progress bar is shown (on a terminal): 40 ms
    from rich.console import Console
    from rich.progress import Progress as RichProgress

from feed2book.errors import Feed2BookError, OutputError
from feed2book.models import Problem, Severity

PROGRAM = "feed2book"


class ExitStatus(IntEnum):
    OK = 0
    SOURCES_FAILED = 1  # some sources failed; what could be built was written
    USAGE = 2
    NOTHING = 3  # nothing matched, nothing written
    INTERRUPTED = 130


class Verbosity(IntEnum):
    QUIET = 0  # errors only
    NORMAL = 1  # errors, warnings, one summary line
    VERBOSE = 2  # also what each source gave


class _Stdout:
    """stdout that names itself when it cannot be written (a full disk, ``> /dev/full``): an
    ``OutputError`` instead of a bare ``OSError``. A closed pipe stays ``BrokenPipeError``."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        with self._named():
            return self._stream.write(data)

    def flush(self) -> None:
        with self._named():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @staticmethod
    @contextmanager
    def _named() -> Iterator[None]:
        try:
            yield
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"stdout: cannot write ({error.strerror or error})") from None


def _stdout() -> IO[bytes]:
    return cast(IO[bytes], _Stdout(sys.stdout.buffer))


@dataclass
class Environment:
    """The outside world as the CLI sees it: the streams, the moment the command started, and
    the environment variables (SMTP settings, the config file, the cache directory, the
    terminal width). Tests build one with their own (``CliRunner().invoke(app, args,
    obj=Environment(...))``) instead of patching globals; see ``of``."""

    stdin: IO[bytes] = field(default_factory=lambda: sys.stdin.buffer)
    stdout: IO[bytes] = field(default_factory=_stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @classmethod
    def of(cls, context: typer.Context) -> Environment:
        """The environment a command runs in: the one given to the app as its ``obj`` (by a
        test, or a program embedding the CLI), else the process's own."""
        given = context.find_object(Environment)
        return given if given is not None else cls()

    @property
    def stderr_isatty(self) -> bool:
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    @property
    def stdout_isatty(self) -> bool:
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())


class Messenger:
    """One-line messages to stderr: ``feed2book: error: <source>: <reason>``."""

    def __init__(self, env: Environment, verbosity: Verbosity, *, debug: bool = False) -> None:
        self.env = env
        self.verbosity = verbosity
        self.debug = debug
        self.warnings = 0
        self._console: Console | None = None  # the live progress display's, while it runs

    def _say(self, text: str) -> None:
        if self._console is not None:  # printed above the live bar, never glued onto it
            self._console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
            return
        self.env.stderr.write(text + "\n")
        self.env.stderr.flush()

    def error(self, message: str, hint: str = "") -> None:
        self._say(f"{PROGRAM}: error: {message}" + (f" ({hint})" if hint else ""))

    def warning(self, message: str) -> None:
        self.warnings += 1
        if self.verbosity >= Verbosity.NORMAL:
            self._say(f"{PROGRAM}: warning: {message}")

    def info(self, message: str) -> None:
        if self.verbosity >= Verbosity.NORMAL:
            self._say(f"{PROGRAM}: {message}")

    def detail(self, message: str) -> None:
        if self.verbosity >= Verbosity.VERBOSE:
            self._say(f"{PROGRAM}: {message}")

    def problem(self, problem: Problem) -> None:
        if problem.severity is Severity.ERROR:
            self.error(str(problem), problem.hint)
        else:
            self.warning(str(problem))

    def failure(self, error: Feed2BookError) -> None:
        self.error(str(error), error.hint)

    @contextmanager
    def progress(
        self, description: str, total: int | None = None, unit: str = ""
    ) -> Iterator[Progress]:
        """A rich progress bar on a terminal (counting ``unit``, with the time left); a silent
        stand-in otherwise. While it runs, messages are printed above it, through its console."""
        if self.verbosity < Verbosity.NORMAL or not self.env.stderr_isatty:
            yield Progress(None, None)
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(file=self.env.stderr)
        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
            columns += [TextColumn("{task.fields[unit]}")]
            columns += [TimeRemainingColumn()]
        with RichProgress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(description, total=total, unit=unit)
            outer, self._console = self._console, console
            try:
                yield Progress(bar, task)
            finally:
                self._console = outer


class Progress:
    def __init__(self, bar: RichProgress | None, task: Any) -> None:
        self._bar = bar
        self._task = task

    def advance(self, description: str | None = None, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, description=description)

    def label(self, description: str) -> None:
        """Name what is being worked on now (the book being built), before it is done."""
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def task(self, description: str, total: int | None = None, unit: str = "") -> Progress:
        """A second line in the same display (rich shows one live display at a time)."""
        if self._bar is None:
            return Progress(None, None)
        return Progress(self._bar, self._bar.add_task(description, total=total, unit=unit))

    def finish(self) -> None:
        """Take this line off the display."""
        if self._bar is not None:
            self._bar.remove_task(self._task)
