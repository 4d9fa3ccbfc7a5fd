"""Writing output files safely: to a temporary file beside the target, then renamed into place.

A run that is interrupted leaves either the old file or the new one, never half of one. Temporary
files carry a recognisable suffix so a later run can clean up after a process that was killed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from feed2book.errors import OutputError

TEMP_SUFFIX = ".feed2book-tmp"
STALE_AFTER = 24 * 60 * 60  # seconds
_OWNER = re.compile(r"\.(\d+)(?:\.old)?" + re.escape(TEMP_SUFFIX) + "$")


def temp_path_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[IO[bytes]]:
    """Open a temporary file for ``target``; on success it replaces ``target`` atomically."""
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{directory}: cannot create the directory ({error.strerror})") from None
    remove_stale_temporaries(directory, target.name)  # what a killed run writing it left
    temp = temp_path_for(target)
    try:
        handle = open(temp, "wb")  # noqa: SIM115 - closed below, before the rename
    except OSError as error:
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes_atomically(target: Path, data: bytes) -> None:
    with atomic_writer(target) as handle:
        handle.write(data)


def remove_stale_temporaries(directory: Path, name: str | None = None) -> int:
    """Delete temporary files that a killed run left in ``directory`` (only those for the file
    ``name``, when given); returns how many.

    A temporary whose process is still running belongs to another feed2book writing into the
    same directory right now: it is left alone (unless it is older than ``STALE_AFTER`` seconds,
    when its process id has most likely been reused).
    """
    removed = 0
    if not directory.is_dir():
        return 0
    pattern = f".{glob.escape(name)}.*{TEMP_SUFFIX}" if name else f".*{TEMP_SUFFIX}"
    for leftover in directory.glob(pattern):
        if _in_use(leftover):
            continue
        with contextlib.suppress(OSError):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)  # a bundle folder being built
            else:
                leftover.unlink()
            removed += 1
    return removed


def _in_use(leftover: Path) -> bool:
    """Whether ``leftover`` is being written by another process that is still running."""
    match = _OWNER.search(leftover.name)
    if match is None:
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return False  # ours from an earlier build of this run, or a reused id: not in use
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass  # it exists (another user's process)
    try:
        age = time.time() - leftover.lstat().st_mtime
    except OSError:
        return False
    return age < STALE_AFTER
