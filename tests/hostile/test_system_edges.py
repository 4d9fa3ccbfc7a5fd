"""What the system can throw at a run besides hostile feeds (issue 14): a full device behind
``-o`` or stdout, dates past the end of the calendar, ``-o -`` where a file is expected, and a
symlink planted where feed2book puts its temporary file. Each gives one line that says what
happened (never ``unexpected OSError``) and the exit status of its kind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.atomic import TEMP_SUFFIX, atomic_writer
from feed2book.cli.commands import app
from tests.conftest import EXAMPLES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def feed2book(
    args: list[str], *, stdout: int | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feed2book", *args],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("feed2book: error: ")]


@pytest.fixture
def full_device(tmp_path: Path) -> Path:
    """A device where every write fails with ENOSPC: a copy of /dev/full made with mknod as
    root (so a run that replaced it could not harm the real one), else /dev/full itself."""
    if os.geteuid() == 0:
        device = tmp_path / "full"
        try:
            os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        except OSError:
            pytest.skip("mknod is not allowed here")
        return device
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    return Path("/dev/full")


# --- dates past the end of the calendar ------------------------------------------------------


@pytest.mark.parametrize("span", ["9999y", "99999999999999999999y", "999999999w", "10000000000h"])
def test_a_span_reaching_before_the_year_1_is_a_usage_error(span: str) -> None:
    result = CliRunner().invoke(app, ["jsonl", str(EXAMPLES), "--since", span, "-q"])
    assert result.exit_code == 2, result.stderr
    assert result.stderr == (
        f"feed2book: error: {span!r} reaches back before the year 1 "
        "(use a shorter span, or leave the option out to take every date)\n"
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--until", "9999-12-31"),
        ("--until", "9999-12-31T23:59:59-05:00"),
        ("--since", "0001-01-01"),
    ],
)
def test_a_date_at_the_end_of_the_calendar_takes_every_article(option: str, value: str) -> None:
    everything = CliRunner().invoke(app, ["jsonl", str(EXAMPLES), "-q"])
    bounded = CliRunner().invoke(app, ["jsonl", str(EXAMPLES), option, value, "-q"])
    assert bounded.exit_code == 0, bounded.stderr
    assert bounded.stdout == everything.stdout


@pytest.mark.parametrize(("command", "option"), [("jsonl", "--timeout"), ("epub", "--max-book-mb")])
@pytest.mark.parametrize("value", ["inf", "nan"])
def test_an_infinite_number_is_refused_as_a_usage_error(
    command: str, option: str, value: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, [command, str(EXAMPLES), option, value, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': {value} is not a finite number" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- a full device ---------------------------------------------------------------------------


def test_jsonl_into_a_full_device_says_so_and_leaves_the_device_alone(full_device: Path) -> None:
    done = feed2book(["jsonl", str(EXAMPLES), "-q", "-o", str(full_device)])
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"feed2book: error: {full_device}: cannot write (No space left on device)\n"
    )
    assert stat.S_ISCHR(full_device.stat().st_mode)  # written in place, never replaced by a file
    assert [p.name for p in full_device.parent.iterdir() if TEMP_SUFFIX in p.name] == []


@pytest.mark.parametrize(
    "args",
    [
        ["jsonl", str(EXAMPLES), "-q"],
        ["list", str(EXAMPLES), "-q"],
        ["list", str(EXAMPLES), "-q", "--json"],
        ["cover", "--title", "Full", "-o", "-"],
    ],
    ids=["jsonl", "list", "list-json", "cover"],
)
def test_a_full_stdout_is_named_in_one_line(
    args: list[str], full_device: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with full_device.open("wb") as sink:
        done = feed2book(args, stdout=sink.fileno(), cwd=work)
    assert done.returncode == 1, done.stderr
    assert done.stderr == "feed2book: error: stdout: cannot write (No space left on device)\n"
    assert list(work.iterdir()) == []  # `cover -o -` once wrote a file named "-"


def test_a_symlink_to_a_device_is_refused_not_replaced(full_device: Path, tmp_path: Path) -> None:
    """``-o link`` where the link leads to a device: writing through it could reach any device
    a planted link names; replacing it would destroy links like /dev/stdout. Refused."""
    link = tmp_path / "articles.jsonl"
    link.symlink_to(full_device)
    done = feed2book(["jsonl", str(EXAMPLES), "-q", "-o", str(link)])
    assert done.returncode == 1
    assert done.stderr == (
        f"feed2book: error: {link}: is a symbolic link to a device or pipe; not written "
        "(name a regular file, or the device itself)\n"
    )
    assert link.is_symlink()


def test_the_cover_gallery_on_a_failing_disk_names_the_file(tmp_path: Path) -> None:
    """A write error in ``cover --gallery`` names the file and its reason, like every output."""
    blocked = tmp_path / "gallery"
    blocked.write_text("a file where the gallery folder should go")
    done = feed2book(["cover", "--gallery", "-o", str(blocked)])
    assert done.returncode == 1
    assert error_lines(done.stderr) == [
        f"feed2book: error: {blocked / '01-geometric.png'}: cannot write (Not a directory)"
    ]


# --- -o - -----------------------------------------------------------------------------------


def test_cover_to_stdout_writes_a_png_and_no_file_named_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["cover", "--title", "To stdout", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(PNG_SIGNATURE)
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["cover", "--gallery", "-o", "-"],
            "--gallery writes many files: -o must name a directory",
        ),
        (
            ["epub", str(EXAMPLES), "-o", "-"],
            "-o - (stdout) cannot hold books and bundles; give a directory or a .epub file",
        ),
        (
            ["markdown", str(EXAMPLES), "-o", "-"],
            "-o - (stdout) cannot hold books and bundles; give a directory, or a .zip or .md file",
        ),
    ],
    ids=["cover-gallery", "epub", "markdown"],
)
def test_dash_where_files_are_needed_is_a_usage_error(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert error_lines(result.stderr) == [f"feed2book: error: {message}"]
    assert list(tmp_path.iterdir()) == []


# --- temporary files --------------------------------------------------------------------------


def test_temporaries_have_unguessable_names_and_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "book.epub"
    names = set()
    for data in (b"one", b"two"):
        with atomic_writer(target) as handle:
            names |= {path.name for path in tmp_path.iterdir() if path.name != target.name}
            handle.write(data)
    assert target.read_bytes() == b"two"
    assert len(names) == 2
    assert all(name.startswith(".book.epub.") for name in names)
    assert all(name.endswith(f".{os.getpid()}{TEMP_SUFFIX}") for name in names)
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


@contextlib.contextmanager
def sticky_shared_directory() -> Iterator[Path]:
    """A world-writable, sticky directory (like /tmp) owned by another user, outside pytest's
    private temporary tree so that an unprivileged child can reach it."""
    base = Path(tempfile.mkdtemp(prefix="feed2book-shared-"))
    try:
        base.chmod(0o755)
        shared = base / "shared"
        shared.mkdir()
        os.chown(shared, 65534, 65534)
        shared.chmod(0o1777)
        yield shared
    finally:
        shutil.rmtree(base, ignore_errors=True)


def unprivileged_python() -> tuple[Path, list[str]]:
    """An interpreter another user may run (the venv's may live under /root), with the import
    path that finds feed2book and its dependencies."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = Path(f"/usr/bin/python{version}")
    if not interpreter.exists():
        pytest.skip(f"needs a system python{version} that another user can run")
    inherited = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    repo = str(Path(__file__).resolve().parents[2])
    return interpreter, [*inherited, repo, *site.getsitepackages()]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as two users")
@pytest.mark.parametrize(
    ("command", "target"), [("jsonl", "articles.jsonl"), ("markdown", "notes.md")]
)
def test_a_symlink_planted_at_the_temporary_name_is_never_followed(
    command: str, target: str
) -> None:
    """Another user plants a symlink where the temporary for ``-o shared/FILE`` would go (the
    name used to be ``.FILE.<pid>.feed2book-tmp``). In a sticky directory the victim cannot
    delete it, so opening that name followed it and wrote over the victim's own file."""
    victim_uid = 1000
    interpreter, import_path = unprivileged_python()
    with sticky_shared_directory() as shared:
        victim = shared.parent / "victim.txt"
        victim.write_text("precious")
        os.chown(victim, victim_uid, victim_uid)
        planted: list[Path] = []

        def plant_then_become_the_victim() -> None:
            link = shared / f".{target}.{os.getpid()}{TEMP_SUFFIX}"
            os.symlink(victim, link)
            os.lchown(link, 65534, 65534)
            planted.append(link)  # in the child only; the parent looks at the directory
            os.setgid(victim_uid)
            os.setuid(victim_uid)

        args = [command, str(EXAMPLES), "-q", "-o", str(shared / target)]
        if command == "markdown":
            args += ["--single-file", "--group-by", "none", "--images", "link", "--no-cover"]
        done = subprocess.run(
            [str(interpreter), "-m", "feed2book", *args],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=plant_then_become_the_victim,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(import_path), "HOME": str(shared)},
            cwd=shared,
        )
        assert done.returncode == 0, done.stderr
        assert victim.read_text() == "precious"
        assert (shared / target).is_file() and not (shared / target).is_symlink()
        links = [path for path in shared.iterdir() if path.is_symlink()]
        assert len(links) == 1  # the planted link is still there: it was neither used nor kept
