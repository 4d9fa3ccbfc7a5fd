"""Writing output files safely: to a temporary file beside the target, then renamed into place.

A run that is interrupted leaves either the old file or the new one, never half of one. Temporary
files carry a recognisable suffix so a later run can clean up after a process that was killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from feed2book.errors import OutputError

TEMP_SUFFIX = ".feed2book-tmp"


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


def remove_stale_temporaries(directory: Path) -> int:
    """Delete temporary files that a killed run left in ``directory``; returns how many."""
    removed = 0
    if not directory.is_dir():
        return 0
    for leftover in directory.glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)  # a bundle folder being built
            else:
                leftover.unlink()
            removed += 1
    return removed
