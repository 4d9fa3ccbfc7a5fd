"""Output directories that fight back: read-only, full, shared with another run, booby-trapped
with symlinks; and outputs that must never land outside ``-o``.

A "full" disk is ``RLIMIT_FSIZE`` in the child with SIGXFSZ ignored, so ``write()`` fails with
EFBIG as it would with ENOSPC; as root, a 64 KB tmpfs is also really filled. A read-only
directory is mode 555, or for root (who ignores modes) a tmpfs mounted read-only. Tests that need
a mount skip where the container forbids it.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feed2book.atomic import TEMP_SUFFIX, remove_stale_temporaries
from tests.conftest import EXAMPLES
from tests.hostile.runner import assert_clean_stderr, build_flags, run_command


def feed2book(
    args: list[str], *, prepare: Callable[[], None] | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feed2book", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=prepare,
        env=env,
    )


def one_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("feed2book: error: ")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr and "unexpected" not in errors[0], stderr
    return errors[0]


def leftovers(directory: Path) -> list[str]:
    return [path.name for path in directory.rglob(f"*{TEMP_SUFFIX}")] if directory.exists() else []


# --- a full disk ------------------------------------------------------------------------------


def file_size_limit(limit: int) -> Callable[[], None]:
    def prepare() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return prepare


@pytest.mark.parametrize(
    ("command", "target"),
    [("epub", "books"), ("markdown", "bundles"), ("jsonl", "articles.jsonl")],
)
def test_a_full_disk_is_one_error_line_and_leaves_nothing_behind(
    command: str, target: str, tmp_path: Path
) -> None:
    out = tmp_path / target
    args = [command, str(EXAMPLES), "-o", str(out), *build_flags(command, cover=True)]
    if command == "jsonl":
        args += ["--content", "all"]
    # Enough for the spool of the example articles, not for the books written from them.
    done = feed2book(args, prepare=file_size_limit(15_000))
    assert done.returncode == 1, done.stderr
    error = one_error(done.stderr)
    assert "cannot write (File too large)" in error, error
    assert leftovers(tmp_path) == []
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written == [], written  # nothing half-written (a bundle folder is all or nothing)


def test_a_full_temporary_directory_says_so(tmp_path: Path) -> None:
    done = feed2book(
        ["jsonl", str(EXAMPLES), "-o", str(tmp_path / "a.jsonl")], prepare=file_size_limit(2_000)
    )
    assert done.returncode == 1
    error = one_error(done.stderr)
    assert "temporary" in error, error


# --- a read-only directory, a really full file system ------------------------------------------


def _mount_tmpfs(target: Path, options: str) -> bool:
    """Mount a small tmpfs on ``target`` (root only, where the container allows it)."""
    mount = shutil.which("mount")
    if os.geteuid() != 0 or mount is None:
        return False
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", options, "feed2book-test", str(target)], capture_output=True
    )
    return done.returncode == 0


@contextlib.contextmanager
def _mounted(target: Path, options: str) -> Iterator[None]:
    if not _mount_tmpfs(target, options):
        pytest.skip(f"needs a tmpfs mounted with {options} (root with mount rights)")
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write in: mode 555, or (as root, who ignores modes) a read-only
    tmpfs."""
    target = tmp_path / "read-only"
    target.mkdir()
    if os.geteuid() != 0:
        target.chmod(0o555)
        yield target
        target.chmod(0o755)
        return
    with _mounted(target, "ro,size=64k"):
        yield target


@pytest.mark.parametrize(
    ("command", "target"),
    [
        ("epub", "books"),
        ("markdown", "bundles"),
        ("jsonl", "articles.jsonl"),
        ("epub", "books/deeper/still"),
    ],
)
def test_a_read_only_directory_is_one_error_line(
    read_only: Path, command: str, target: str
) -> None:
    args = [command, str(EXAMPLES), "-o", str(read_only / target), *build_flags(command)]
    done = feed2book(args)
    assert done.returncode == 1, done.stderr
    error = one_error(done.stderr)
    assert "Permission denied" in error or "Read-only file system" in error, error
    assert error.startswith(f"feed2book: error: {read_only}"), error
    assert list(read_only.iterdir()) == []


@pytest.mark.parametrize(("command", "target"), [("epub", "books"), ("markdown", "bundles")])
def test_a_file_system_that_is_really_full(tmp_path: Path, command: str, target: str) -> None:
    """ENOSPC for real: a 64 KB tmpfs (root only); what was written before stays whole."""
    disk = tmp_path / "disk"
    disk.mkdir()
    with _mounted(disk, "size=64k"):
        args = [command, str(EXAMPLES), "-o", str(disk / target), *build_flags(command, cover=True)]
        done = feed2book(args)
        assert done.returncode == 1, done.stderr
        error = one_error(done.stderr)
        assert "No space left on device" in error, error
        assert leftovers(disk) == []
        for book in (disk / target).glob("*.epub"):
            with zipfile.ZipFile(book) as archive:
                assert archive.testzip() is None


# --- two runs, one directory --------------------------------------------------------------------


def test_a_temporary_of_a_running_process_is_not_taken_for_a_stale_one(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alive = tmp_path / f".book.epub.{sleeper.pid}{TEMP_SUFFIX}"
        alive.write_bytes(b"being written")
        dead = tmp_path / f".book.epub.999999999{TEMP_SUFFIX}"
        dead.write_bytes(b"left by a killed run")
        old = tmp_path / f".other.epub.{sleeper.pid}{TEMP_SUFFIX}"
        old.write_bytes(b"a reused process id")
        os.utime(old, (time.time() - 3 * 24 * 3600,) * 2)
        folder = tmp_path / f".bundle.999999999{TEMP_SUFFIX}"
        (folder / "images").mkdir(parents=True)
        assert remove_stale_temporaries(tmp_path) == 3
        assert [path.name for path in tmp_path.iterdir()] == [alive.name]
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("command", ["jsonl", "cover"])
def test_a_single_file_output_cleans_up_after_a_killed_run(command: str, tmp_path: Path) -> None:
    """``jsonl -o FILE`` and ``cover -o FILE`` write one file, not a book: the temporary a
    SIGKILL left for that file goes on the next run (the slow 20-moment test found it stayed)."""
    target = tmp_path / ("articles.jsonl" if command == "jsonl" else "cover.png")
    stale = tmp_path / f".{target.name}.999999999{TEMP_SUFFIX}"
    stale.write_bytes(b"left by a killed run")
    unrelated = tmp_path / f".notes.txt.999999999{TEMP_SUFFIX}"
    unrelated.write_bytes(b"another file's: not this run's business")
    args = (
        [command, str(EXAMPLES), "-o", str(target)]
        if command == "jsonl"
        else [command, "--title", "A", "-o", str(target)]
    )
    done = feed2book(args)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([target.name, unrelated.name])


# --- never outside -o ---------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["../../escaped", "/tmp/escaped", "..", "a/../../b", "CON"])
def test_a_hostile_book_title_stays_inside_the_output(title: str, tmp_path: Path) -> None:
    before = set(tmp_path.parent.iterdir())
    out = tmp_path / "deep" / "out"
    for command in ("epub", "markdown"):
        run = run_command(
            command, [str(EXAMPLES)], out / command, "--group-by", "none", "--title", title
        )
        assert_clean_stderr(run)
        assert run.code == 0, run.stderr
        for path in run.files:
            assert path.resolve().is_relative_to((out / command).resolve()), path
    assert set(tmp_path.parent.iterdir()) == before


def test_a_symlink_where_a_book_goes_is_replaced_not_followed(tmp_path: Path) -> None:
    first = run_command("epub", [str(EXAMPLES)], tmp_path / "first")
    names = [path.name for path in first.epubs()]
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in names:
        (out / name).symlink_to(victim)
    refused = run_command("epub", [str(EXAMPLES)], out)
    assert refused.code == 1 and "not an earlier build" in refused.stderr
    forced = run_command("epub", [str(EXAMPLES)], out, "--force")
    assert forced.code == 0, forced.stderr
    assert victim.read_text() == "precious"
    assert all((out / name).is_file() and not (out / name).is_symlink() for name in names)


def test_a_symlinked_bundle_folder_is_not_written_through(tmp_path: Path) -> None:
    first = run_command("markdown", [str(EXAMPLES)], tmp_path / "first")
    assert first.output_dir is not None
    folders = sorted(path.name for path in first.output_dir.iterdir() if path.is_dir())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / folders[0]).symlink_to(elsewhere, target_is_directory=True)
    refused = run_command("markdown", [str(EXAMPLES)], out)
    assert refused.code == 1 and "not a folder" in refused.stderr
    forced = run_command("markdown", [str(EXAMPLES)], out, "--force")
    assert forced.code == 0, forced.stderr
    assert [path.name for path in elsewhere.iterdir()] == ["keep.txt"]
    assert (out / folders[0]).is_dir() and not (out / folders[0]).is_symlink()


def test_a_symlink_inside_an_earlier_bundle_is_never_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_command("markdown", [str(EXAMPLES)], out)
    assert first.code == 0
    victim = tmp_path / "victim.md"
    victim.write_text("precious")
    readme = next(path for path in first.files if path.name == "README.md")
    readme.unlink()
    readme.symlink_to(victim)
    again = run_command("markdown", [str(EXAMPLES)], out)
    assert again.code == 0, again.stderr
    assert victim.read_text() == "precious"
    assert readme.is_file() and not readme.is_symlink()
