"""Where a source came from decides what it may name (issue 14).

What the user types is read, and so is what a local OPML list names (paths relative to the list,
globs, directories, ``file:``). An OPML list or an HTML page fetched over http(s), or anything
piped to standard input, may only lead to http(s) URLs: a local file it names is refused with one
warning naming the list and the entry, and never read. Lists of lists cannot fan out without
bound: one run follows at most ``--max-sources`` sources that lists name (1,000 by default) and
stops following them once reading them has taken ``--list-deadline`` seconds; what was left out
is said in one warning line. Devices, FIFOs and sockets are never read as feeds, whoever names
them, and a FIFO never makes feed2book wait.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from feed2book.errors import SourceError
from feed2book.library import Library
from feed2book.library.sync import add_source, sync
from feed2book.models import Problem, Severity
from feed2book.sources.fetch import Fetched
from feed2book.sources.limits import Budget, SourceLimits
from feed2book.sources.resolver import SourceContext, resolve
from tests.conftest import EXAMPLES
from tests.hostile.corpus import item, rss
from tests.hostile.runner import Run, assert_clean_stderr, run_command
from tests.httpserver import Route, Server

SECRET = "F2B-PRIVATE-7d1e-never-leaves-this-machine"
PUBLIC = "A public post about rain gauges"


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """A private directory holding a feed (and a plain file) whose text must never leak."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "private.xml").write_text(rss(item(SECRET, f"<p>{SECRET}</p>", slug="secret")))
    (private / "notes.txt").write_text(SECRET)
    return private


def opml(*urls: str) -> bytes:
    outlines = "".join(f'<outline type="rss" xmlUrl="{url}"/>' for url in urls)
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()


def public_feed(server: Server) -> str:
    return server.route("/public.xml", body=rss(item(PUBLIC, "<p>Rain.</p>")).encode())


def local_entries(private: Path) -> list[str]:
    """Every way a list can name the private files: file: URLs, an absolute path, a glob, a
    directory, a path relative to the list, a home path and standard input."""
    return [
        (private / "private.xml").as_uri(),
        f"file://{private / 'private.xml'}",
        private.as_uri(),
        f"file://{private}/*.xml",
        str(private / "private.xml"),
        f"{private}/*.xml",
        str(private),
        "private/private.xml",
        "~/private.xml",
        "-",
    ]


def refusals(run: Run, list_url: str) -> list[str]:
    return [line for line in run.warnings() if line.startswith(f"feed2book: warning: {list_url}: ")]


@pytest.mark.network
def test_an_opml_list_from_the_network_cannot_name_local_files(
    server: Server, secrets: Path
) -> None:
    good = public_feed(server)
    entries = local_entries(secrets)
    url = server.route("/list.opml", body=opml(*entries, good))
    run = run_command("jsonl", [url], stdin=b"")
    assert_clean_stderr(run)
    assert SECRET not in run.stdout.decode() and SECRET not in run.stderr
    assert PUBLIC in run.stdout.decode()
    # file: URLs are refused, one warning each naming the list and the entry; anything else is
    # a reference relative to the list's URL ("/home/…", "-", "~/x"): asked of the server.
    refused = refusals(run, url)
    file_urls = [entry for entry in entries if entry.startswith("file:")]
    assert len(refused) == len(file_urls), run.stderr
    for entry, line in zip(file_urls, refused, strict=True):
        assert line == (
            f"feed2book: warning: {url}: {entry} not read: a list from the network or "
            "standard input may name only http(s) URLs"
        )
    requested = {path for path, _ in server.requests}
    assert requested >= {"/list.opml", "/public.xml", str(secrets / "private.xml")}
    assert all(not path.startswith("file") for path in requested)


@pytest.mark.network
def test_an_html_page_from_the_network_cannot_lead_to_a_local_file(
    server: Server, secrets: Path
) -> None:
    target = (secrets / "private.xml").as_uri()
    page = server.route(
        "/blog/",
        body=(
            '<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" '
            f'href="{target}"></head><body>Blog</body></html>'
        ).encode(),
    )
    run = run_command("jsonl", [page, str(EXAMPLES)])
    assert_clean_stderr(run)
    assert SECRET not in run.stdout.decode()
    assert refusals(run, page) == [
        f"feed2book: warning: {page}: {target} not read: a list from the network or standard "
        "input may name only http(s) URLs"
    ]
    assert run.code == 0  # the examples were read; the refused link is a warning


@pytest.mark.network
def test_a_list_of_lists_from_the_network_stays_on_the_network(
    server: Server, secrets: Path
) -> None:
    """A network list names a second network list, which names a local file: still refused (the
    trust is the document's, however deep), while the second list's http feed is read."""
    good = public_feed(server)
    inner = server.route("/inner.opml", body=opml(str(secrets / "private.xml"), good))
    server.route("/inner-file.opml", body=opml((secrets / "private.xml").as_uri()))
    outer = server.route("/outer.opml", body=opml(inner, server.url("/inner-file.opml")))
    run = run_command("jsonl", [outer])
    assert SECRET not in run.stdout.decode()
    assert PUBLIC in run.stdout.decode()
    assert len(refusals(run, server.url("/inner-file.opml"))) == 1, run.stderr


def test_an_opml_list_on_standard_input_may_only_name_urls(secrets: Path) -> None:
    """Piped text may come from anywhere (`curl … | feed2book list -`): it is no local file."""
    entries = local_entries(secrets)
    run = run_command("jsonl", ["-", str(EXAMPLES)], stdin=opml(*entries))
    assert_clean_stderr(run)
    assert SECRET not in run.stdout.decode()
    refused = refusals(run, "<stdin>")
    assert len(refused) == len(entries), run.stderr
    assert run.code == 0


def test_a_local_opml_list_still_names_local_paths_globs_and_directories(
    tmp_path: Path, secrets: Path
) -> None:
    """The rule takes nothing from the user's own files: a local list names what it likes."""
    mine = tmp_path / "mine.opml"
    mine.write_bytes(opml("private/private.xml"))
    for entry in (str(secrets / "private.xml"), f"{secrets}/*.xml", str(secrets)):
        listed = tmp_path / "listed.opml"
        listed.write_bytes(opml(entry))
        run = run_command("jsonl", [str(listed)])
        assert run.code == 0, run.stderr
        assert SECRET in run.stdout.decode()
    run = run_command("jsonl", [str(mine)])
    assert run.code == 0 and SECRET in run.stdout.decode(), run.stderr


# --- fan-out --------------------------------------------------------------------------------------


def fan_out(server: Server, *, wide: int = 10, deep: int = 8, delay: float = 0.0) -> str:
    """Every ``/n/<path>.opml`` is an OPML list of ``wide`` further lists, ``deep`` levels down
    (then feeds): 10 wide and 8 deep names 10^8 sources."""

    def answer(path: str) -> Route:
        match = re.fullmatch(r"/n/([0-9.]*)\.opml", path)
        if match is None:
            return Route(404, b"not found")
        digits = [part for part in match.group(1).split(".") if part]
        if len(digits) >= deep:
            leaf = rss(item(f"Leaf {'.'.join(digits)}", "<p>leaf</p>")).encode()
            return Route(body=leaf, headers={"Content-Type": "application/rss+xml"})
        names = [".".join([*digits, str(index)]) for index in range(wide)]
        listed = opml(*(f"/n/{name}.opml" for name in names))
        return Route(body=listed, headers={"Content-Type": "text/x-opml"}, delay=delay)

    server.fallback = answer
    return server.url("/n/.opml")


@pytest.mark.network
def test_a_fan_out_of_lists_stops_at_max_sources_and_says_so_in_one_line(
    server: Server,
) -> None:
    root = fan_out(server)
    # --full-text never: the generated items are one-line summaries of pages on hostile.example
    run = run_command("jsonl", [root, "--max-sources", "40", "--full-text", "never"])
    assert_clean_stderr(run)
    assert len(server.requests) == 41  # the list the user named, and 40 it led to
    [line] = [line for line in run.warnings() if "not read" in line]
    assert line.startswith(f"feed2book: warning: {server.url('/n/')}"), line  # a list's URL
    assert re.search(
        r": \d+ sources named by OPML lists or HTML pages not read: the run's limit of 40 "
        r"was reached \(--max-sources\)$",
        line,
    ), line
    assert len(run.warnings()) == 1, run.stderr
    assert run.code == 0  # what could be read was; the limit is a warning, not a failure


@pytest.mark.network
def test_a_fan_out_of_slow_lists_stops_at_the_list_deadline(server: Server) -> None:
    root = fan_out(server, delay=0.25)
    run = run_command("list", [root, "--list-deadline", "1"])
    assert_clean_stderr(run)
    # Each list takes 0.25 s: about 4 fit in 1 s of reading; one may start just before the end.
    assert len(server.requests) <= 1 + 6, server.requests
    [line] = [line for line in run.warnings() if "not read" in line]
    assert line.endswith("not read: reading them took the run's 1 s (--list-deadline)"), line
    assert run.seconds < 10


def test_the_default_budget_follows_a_thousand_listed_sources() -> None:
    """No option given: 10^8 named sources cost 1,001 fetches (the root and 1,000 it led to)."""
    fetched: list[str] = []

    def generated(url: str) -> Fetched:
        fetched.append(url)
        base = url.removesuffix(".opml")
        children = [f"{base}.{index}.opml" for index in range(10)]
        return Fetched(url, opml(*children), url)

    items = list(resolve(["https://lists.example/n.opml"], SourceContext(fetch=generated)))
    assert len(fetched) == 1001
    summary = items[-1]
    assert isinstance(summary, Problem) and summary.severity is Severity.WARNING
    assert summary.source.startswith("https://lists.example/n.0.")  # the first list cut short
    assert "limit of 1000 was reached (--max-sources)" in summary.message
    # Lists deeper than MAX_OPML_DEPTH are not followed either; the same line says how many.
    assert "896 OPML lists nested more than 8 deep not followed" in summary.message
    assert sum(isinstance(found, Problem) for found in items) == 1


def test_one_budget_spans_every_source_add_and_sync_read(tmp_path: Path) -> None:
    """``add`` and ``sync`` read each source on its own, under one budget for the run."""
    fetched: list[str] = []

    def lists(url: str) -> Fetched:
        fetched.append(url)
        if url.endswith(".opml"):
            names = [f"{url.removesuffix('.opml')}-{n}.xml" for n in range(5)]
            return Fetched(url, opml(*names), url)
        return Fetched(url, rss(item(url, "<p>x</p>")).encode(), url)

    specs = ("https://a.example/a.opml", "https://b.example/b.opml")
    with Library.open(tmp_path / "library.sqlite3") as library:
        budget = Budget(SourceLimits(max_sources=7))
        for spec in specs:
            add_source(library, lists, spec, budget=budget)
        assert len(fetched) == 2 + 7
        fetched.clear()
        results = sync(library, lists, budget=Budget(SourceLimits(max_sources=3)))
        assert len(fetched) == 2 + 3
        assert [result.failed for result in results] == [False, False]


# --- devices, FIFOs, sockets ------------------------------------------------------------------------


def run_child(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``python -m feed2book`` in a child that is killed (failing the test) if it ever blocks."""
    return subprocess.run(
        [sys.executable, "-m", "feed2book", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "feed.xml"
    os.mkfifo(path)
    yield path


def test_a_fifo_or_a_device_the_user_names_is_refused_without_waiting(fifo: Path) -> None:
    done = run_child("list", str(fifo), "/dev/zero", "file:///dev/null", str(EXAMPLES))
    errors = [line for line in done.stderr.splitlines() if line.startswith("feed2book: error:")]
    assert errors == [
        f"feed2book: error: {fifo}: not read: a named pipe (FIFO), not a regular file",
        "feed2book: error: /dev/zero: not read: a character device, not a regular file",
        "feed2book: error: /dev/null: not read: a character device, not a regular file",
    ], done.stderr
    assert done.returncode == 1
    assert "3 sources read" in done.stdout  # the example feeds still were


def test_a_local_list_naming_a_fifo_or_a_device_gets_one_error_each(
    tmp_path: Path, fifo: Path
) -> None:
    listed = tmp_path / "list.opml"
    listed.write_bytes(opml("feed.xml", "/dev/zero", "/dev/urandom"))
    done = run_child("jsonl", str(listed))
    errors = [line for line in done.stderr.splitlines() if line.startswith("feed2book: error:")]
    assert errors[:3] == [
        f"feed2book: error: {fifo}: not read: a named pipe (FIFO), not a regular file",
        "feed2book: error: /dev/zero: not read: a character device, not a regular file",
        "feed2book: error: /dev/urandom: not read: a character device, not a regular file",
    ], done.stderr


def test_a_directory_or_glob_gives_regular_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "good.xml").write_bytes((EXAMPLES / "field-notes.atom").read_bytes())
    os.mkfifo(folder / "pipe.xml")
    (folder / "zero.xml").symlink_to("/dev/zero")
    for source in (str(folder), f"{folder}/*.xml"):
        done = run_child("list", source)
        assert done.returncode == 0, done.stderr
        assert "feed2book: error" not in done.stderr
        assert "1 source read" in done.stdout


def test_the_default_reader_refuses_a_fifo_swapped_in_after_the_check(fifo: Path) -> None:
    """``read_file`` opens without blocking and checks the open file: a FIFO put where a file
    was after ``resolve`` looked at it is refused, never waited on."""
    outcome: list[BaseException | bytes] = []

    def read() -> None:
        try:
            outcome.append(SourceContext(fetch=lambda url: Fetched(url, b"")).read_file(fifo))
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if not outcome:  # unblock the reader, so the test run ends, then fail
        with fifo.open("wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], SourceError)
    assert str(outcome[0]) == f"{fifo}: not read: a named pipe (FIFO), not a regular file"
