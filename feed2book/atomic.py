"""Writing output files safely: to a temporary file beside the target, then renamed into place.

A run that is interrupted leaves either the old file or the new one, never half of one. Temporary
files carry a recognisable suffix so a later run can clean up after a process that was killed.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from feed2book.errors import OutputError

TEMP_SUFFIX = ".feed2book-tmp"
STALE_AFTER = 24 * 60 * 60  # seconds
_OWNER = re.compile(r"\.(\d+)(?:\.old)?" + re.escape(TEMP_SUFFIX) + "$")


def temporary_name(target_name: str) -> tuple[str, str]:
    """``(prefix, suffix)`` of the temporaries for ``target_name``: ``tempfile`` puts random
    letters between them (so the name cannot be guessed in advance), the suffix carries our
    process id (so a later run can tell whether the writer is still alive)."""
    return f".{target_name}.", f".{os.getpid()}{TEMP_SUFFIX}"


_NAME_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile's, 8 of them
# mkstemp's: created here or not at all, never through a link, not inherited by children.
_FILE_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def new_temporary(
    directory: Path, target_name: str, made: list[Path], *, folder: bool = False
) -> int | None:
    """Create a private temporary for ``target_name`` in ``directory`` and add its path to
    ``made`` at once; a file's descriptor is returned (a folder gives None).

    As ``mkstemp``/``mkdtemp`` make them: random letters between ``temporary_name``'s prefix and
    suffix, ``O_EXCL`` (never a file or link already there), mode 0o600 (0o700). But Ctrl-C can
    land as the system call returns, after it made the temporary: ``tempfile`` then raises
    KeyboardInterrupt without having said its name, and the temporary stays behind. Here the
    name is chosen first, so a temporary made but not yet in ``made`` is removed again; one in
    ``made`` is the caller's to remove, which is why the caller calls this inside its ``try``.
    """
    prefix, suffix = temporary_name(target_name)
    for _ in range(tempfile.TMP_MAX):
        letters = "".join(secrets.choice(_NAME_LETTERS) for _ in range(8))
        path = directory / f"{prefix}{letters}{suffix}"
        try:
            if folder:
                os.mkdir(path, 0o700)
                made.append(path)
                return None
            descriptor = os.open(path, _FILE_FLAGS, 0o600)
            made.append(path)
            return descriptor
        except FileExistsError:
            continue  # somebody else's: another name
        except BaseException:
            if path not in made:  # made as Ctrl-C landed (or not made): the name is ours alone
                with contextlib.suppress(OSError):
                    path.rmdir() if folder else path.unlink()
            raise
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(directory))


def default_mode(*, folder: bool = False) -> int:
    """The permissions an ordinary new file (or folder) gets here: ``0o666`` (``0o777``) less
    the umask. ``mkstemp`` and ``mkdtemp`` make theirs private; the finished output should not
    be."""
    return (0o777 if folder else 0o666) & ~_umask()


@functools.cache
def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[IO[bytes]]:
    """Open a temporary file for ``target``; on success it replaces ``target`` atomically.

    The temporary is made by ``mkstemp`` beside the target (``O_CREAT | O_EXCL | O_NOFOLLOW``,
    an unguessable name): a file or symlink planted there beforehand is never written through.
    A target that is a character device or a pipe (``/dev/full``, a FIFO) is written in place,
    never replaced by a file; any other target that is not a regular file is refused.
    """
    kind = _target_kind(target)
    if kind == "device":
        with _in_place(target) as handle:
            yield handle
        return
    if kind != "file":
        raise OutputError(
            f"{target}: {kind}; not written", hint="name a regular file, or the device itself"
        )
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{directory}: cannot create the directory ({error.strerror})") from None
    remove_stale_temporaries(directory, target.name)  # what a killed run writing it left
    made: list[Path] = []
    try:
        descriptor = new_temporary(directory, target.name, made)
        assert descriptor is not None
        temp = made[0]
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), default_mode())
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as error:
        _unlink_all(made)
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None
    except BaseException:
        _unlink_all(made)
        raise


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _target_kind(target: Path) -> str:
    """``file`` (a regular file, a symlink to one, or nothing yet: written by replacing it),
    ``device`` (a character device or a pipe: written in place), or why it is neither."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return "file"
    except OSError as error:
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "device"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISLNK(mode):
        try:
            pointed = os.stat(target).st_mode
        except OSError:
            return "file"  # a dangling link: replaced, never followed
        if stat.S_ISREG(pointed) or stat.S_ISDIR(pointed):
            return "file"  # replaced by the new file, never written through
        return "is a symbolic link to a device or pipe"
    return "is not a regular file"


@contextlib.contextmanager
def _in_place(target: Path) -> Iterator[IO[bytes]]:
    """Write straight into a device or pipe (nothing to rename; ``O_NOFOLLOW``: not a link)."""
    flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.fdopen(os.open(target, flags), "wb")
    except OSError as error:
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None
    try:
        with handle:
            yield handle
    except OSError as error:
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None


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
