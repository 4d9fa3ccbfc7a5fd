"""The library when the file system or another process gets in the way: another process's write
lock, a read-only mount, the file deleted during `add`, a full disk. Each ends in one plain line
(or, for reading, in the articles), never in a silent wait or an "unexpected" error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.library import Library, LibraryError
from feed2book.library.connection import BUSY_TIMEOUT_ENV, busy_timeout
from tests.conftest import REPO
from tests.factory import make_article
from tests.httpserver import Route, Server

runner = CliRunner()


def run(*args: str) -> tuple[int, bytes, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


def fill(path: Path, count: int = 4, *, size: int = 40) -> None:
    start = datetime(2026, 2, 1, tzinfo=UTC)
    with Library.open(path) as library:
        library.store(
            "test",
            [
                make_article(
                    id=f"forem:test/post-{n}",
                    title=f"Field notes {n}",
                    published=start + timedelta(days=n),
                    content=f"<p>Note {n}: " + "words of this test " * size + "</p>",
                )
                for n in range(count)
            ],
        )


def rss(items: int = 2) -> bytes:
    entries = "".join(
        f"<item><title>Entry {n}</title><link>https://example.com/e/{n}</link>"
        f"<pubDate>Mon, 0{n + 1} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Entry {n} of the test feed.&lt;/p&gt;</description></item>"
        for n in range(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>'
        f"<link>https://example.com/</link>{entries}</channel></rss>"
    ).encode()


# --- another process holds the write lock ------------------------------------------------------

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()  # until told to let go
db.execute("COMMIT")
"""


@contextlib.contextmanager
def lock_held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the library's write lock until a line is written to its stdin."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            yield holder
        finally:
            holder.kill()


def add_timed(
    path: Path, feed: Path, timeout: float, on_line: Callable[[str], None] = lambda line: None
) -> tuple[int, list[tuple[float, str]]]:
    """``feed2book add`` in a process of its own; its stderr lines with when each came
    (each also given to ``on_line`` as it comes)."""
    env = {**os.environ, BUSY_TIMEOUT_ENV: str(timeout), "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-m", "feed2book", "add", str(feed), "--library", str(path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as process:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append((time.monotonic(), line.rstrip("\n")))
            on_line(line)
        return process.wait(), lines


@pytest.mark.parametrize("opening", ["current", "stale keys", "old schema"])
def test_add_says_it_waits_for_the_lock_then_gives_up_with_a_hint(
    tmp_path: Path, opening: str
) -> None:
    """Whether the wait comes while storing, or already while opening (recomputing the series
    keys after an upgrade, or migrating an older library)."""
    path = tmp_path / "library.sqlite3"
    fill(path)
    db = sqlite3.connect(path)
    with db:
        if opening == "stale keys":
            db.execute("UPDATE meta SET value = 'stale' WHERE key = 'derived'")
        elif opening == "old schema":
            db.execute("DROP TABLE build_articles")
            db.execute("DROP TABLE builds")
            db.execute("PRAGMA user_version = 1")
    db.close()
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss())
    with lock_held(path) as holder:
        code, lines = add_timed(path, feed, timeout=3)
        ended = time.monotonic()
    assert code == 1, lines
    waiting = [(when, line) for when, line in lines if "waiting for the library lock" in line]
    assert len(waiting) == 1, lines
    assert ended - waiting[0][0] >= 2  # said at the start of the wait, not at its end
    last = lines[-1][1]
    assert last.startswith("feed2book: error: ") and "gave up after waiting 3 s" in last
    assert BUSY_TIMEOUT_ENV in last
    if Path("/proc/locks").exists():  # the holder is named where the system says who it is
        for said in (waiting[0][1], last):
            assert f"pid {holder.pid}: " in said and "import sqlite3" in said, said
    assert not any("unexpected" in line or "Traceback" in line for _, line in lines)


def test_add_goes_on_when_the_lock_is_released_within_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    fill(path)
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss())
    with lock_held(path) as holder:

        def let_go_once_waiting(line: str) -> None:
            if "waiting for the library lock" in line:
                assert holder.stdin is not None
                holder.stdin.write("done\n")
                holder.stdin.flush()

        code, lines = add_timed(path, feed, timeout=30, on_line=let_go_once_waiting)
    assert code == 0, lines
    assert any("waiting for the library lock" in line for _, line in lines)
    assert any(f"added {feed}" in line for _, line in lines)
    with Library.open(path, read_only=True) as library:
        assert len(library) == 6


def test_no_waiting_message_when_nobody_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss())
    code, _, err = run("add", str(feed), "--library", str(path))
    assert code == 0, err
    assert "waiting for the library lock" not in err


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_busy_timeout_is_a_plain_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, value)
    with pytest.raises(LibraryError, match=BUSY_TIMEOUT_ENV):
        busy_timeout()
    code, _, err = run("add", str(tmp_path / "x.xml"), "--library", str(tmp_path / "l.sqlite3"))
    assert code == 1
    assert err.count("\n") == 1 and BUSY_TIMEOUT_ENV in err


# --- a read-only mount -------------------------------------------------------------------------


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[Path]:
    """A library on a read-only bind mount (skipped where mounting is not allowed)."""
    source, mounted = tmp_path / "source", tmp_path / "mounted"
    source.mkdir()
    mounted.mkdir()
    fill(source / "library.sqlite3")
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    for command in (
        ["mount", "--bind", str(source), str(mounted)],
        ["mount", "-o", "remount,bind,ro", str(mounted)],
    ):
        done = subprocess.run(command, capture_output=True, check=False)
        if done.returncode:
            subprocess.run(["umount", str(mounted)], capture_output=True, check=False)
            pytest.skip(f"cannot make a read-only bind mount: {done.stderr.decode().strip()}")
    try:
        assert not os.access(mounted, os.W_OK)
        yield mounted / "library.sqlite3"
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_reading_commands_read_a_library_on_a_read_only_mount(
    read_only_copy: Path, tmp_path: Path
) -> None:
    library = ("--library", str(read_only_copy))
    code, out, err = run("jsonl", *library)
    assert code == 0, err
    assert len(out.splitlines()) == 4
    code, out, err = run("list", *library, "--since", "2026-02-03")
    assert code == 0, err
    assert out.decode().count("Field notes") == 2
    code, _, err = run("epub", *library, "-o", str(tmp_path / "books"))
    assert code == 0, err
    code, out, err = run("library", "export", *library)
    assert code == 0, err
    assert [json.loads(line)["title"] for line in out.splitlines()] == [
        f"Field notes {n}" for n in range(4)
    ]
    for command in (["library", "stats"], ["library", "check"]):
        code, _, err = run(*command, *library)
        assert code == 0, err
    code, _, err = run("sources", *library)
    assert code == 3  # no sources remembered, but read
    assert sorted(p.name for p in read_only_copy.parent.iterdir()) == ["library.sqlite3"]


def test_writing_to_a_read_only_mount_is_one_plain_line(
    read_only_copy: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss())
    code, _, err = run("add", str(feed), "--library", str(read_only_copy))
    assert code == 1
    assert err.count("\n") == 1 and "unexpected" not in err
    assert str(read_only_copy) in err and "read-only file system" in err


def test_read_only_opening_works_for_any_file_name(tmp_path: Path) -> None:
    """The read-only open goes through an SQLite URI: characters URIs give meaning to
    (``?``, ``#``, ``%``, spaces) must stay part of the name."""
    path = tmp_path / "my lib ?mode=rwc#%41.sqlite3"
    fill(path)
    code, out, err = run("jsonl", "--library", str(path))
    assert code == 0, err
    assert len(out.splitlines()) == 4
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite3") == [path.name]


def test_a_read_only_library_object_refuses_to_write(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    fill(path)
    with Library.open(path, read_only=True) as library:
        assert len(library) == 4
        with pytest.raises(LibraryError, match="read-only"):
            library.add_source("https://example.com/feed", "url")


# --- the file deleted while `add` runs ---------------------------------------------------------


def test_add_fails_when_the_library_is_deleted_while_it_runs(
    tmp_path: Path, server: Server
) -> None:
    path = tmp_path / "library.sqlite3"
    fill(path)

    def delete_then_answer(_: BaseHTTPRequestHandler) -> Route:
        for name in ("library.sqlite3", "library.sqlite3-wal", "library.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        return Route(body=rss(), headers={"Content-Type": "application/rss+xml"})

    url = server.route("/feed.xml", responder=delete_then_answer)
    code, _, err = run("add", url, "--library", str(path))
    assert code == 1, err
    assert "deleted or replaced" in err and str(path) in err
    assert "added" not in err and "holds" not in err
    assert not path.exists()


def test_sync_stops_at_the_first_source_once_the_library_is_deleted(
    tmp_path: Path, server: Server
) -> None:
    path = tmp_path / "library.sqlite3"
    later = tmp_path / "later.xml"
    later.write_bytes(rss(1))

    def answer(_: BaseHTTPRequestHandler) -> Route:
        return Route(body=rss(), headers={"Content-Type": "application/rss+xml"})

    url = server.route("/feed.xml", responder=answer)
    assert run("add", url, str(later), "--library", str(path))[0] == 0

    def delete_then_answer(handler: BaseHTTPRequestHandler) -> Route:
        for name in ("library.sqlite3", "library.sqlite3-wal", "library.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        return answer(handler)

    server.route("/feed.xml", responder=delete_then_answer)
    code, _, err = run("sync", "--library", str(path))
    assert code == 1, err
    assert err.count("deleted or replaced") == 1, err
    assert str(later) not in err  # not read, not reported: the run stopped


def test_a_store_into_a_deleted_library_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    fill(path)
    with Library.open(path) as library:
        for name in ("library.sqlite3", "library.sqlite3-wal", "library.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        with pytest.raises(LibraryError, match="deleted or replaced"):
            library.store("test", [make_article(id="forem:test/late")])
    assert not path.exists()


# --- a full disk, and numbers SQLite cannot hold -----------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 KiB tmpfs (skipped where mounting is not allowed)."""
    mounted = tmp_path / "tiny"
    mounted.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mounted)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mounted
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_a_full_disk_is_one_plain_line_and_the_library_stays_readable(
    tiny_disk: Path, tmp_path: Path
) -> None:
    path = tiny_disk / "library.sqlite3"
    fill(path, 3)
    export = tmp_path / "big.jsonl"
    articles = [
        make_article(
            id=f"forem:big/post-{n}",
            title=f"Long read {n}",
            content="<p>" + f"Paragraph {n} of a long article. " * 300 + "</p>",
        )
        for n in range(60)
    ]
    with Library.open(tmp_path / "big.sqlite3") as big:
        big.store("big", articles)
        with export.open("w", encoding="utf-8") as handle:
            big.export_jsonl(handle.write)
    code, _, err = run("library", "import", str(export), "--library", str(path))
    assert code == 1, err
    assert err.count("\n") == 1, err
    assert "the disk holding the library is full" in err and "unexpected" not in err
    code, out, err = run("jsonl", "--library", str(path))
    assert code == 0, err
    assert len(out.splitlines()) == 3  # the import stored nothing; what was there is intact


def test_a_number_too_large_for_sqlite_is_a_plain_error(tmp_path: Path) -> None:
    with Library.open(tmp_path / "library.sqlite3") as library:
        with pytest.raises(LibraryError, match="a number too large for the library"):
            library.store("test", [make_article(word_count=10**30)])
        assert len(library) == 0
