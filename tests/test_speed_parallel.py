"""parallel.map_in_order: the same results, order, exceptions and warnings as ``map``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from feed2book import parallel
from tests.conftest import REPO

# Helpers import this module too: they learn the parent's pid from the environment they inherit.
PARENT = int(os.environ.setdefault("FEED2BOOK_TEST_PARENT_PID", str(os.getpid())))
N = parallel.MIN_ITEMS + 7 * parallel.CHUNK + 3  # several chunks, the last one short


@pytest.fixture(autouse=True)
def _two_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    yield
    parallel.shutdown()


def square(number: int) -> tuple[int, bool]:
    """The square, and whether a helper computed it."""
    return number * number, os.getpid() != PARENT


def fail_from(limit: int, number: int) -> int:
    if number >= limit:
        raise ValueError(f"item {number}")
    return number


def warn_at(target: int, number: int) -> int:
    if number == target:
        warnings.warn(f"item {number}", UserWarning, stacklevel=1)
    return number


def die_in_helper(number: int) -> int:
    if os.getpid() != PARENT and number % 3 == 0:
        os._exit(3)  # a helper that crashes: no answer, a closed pipe
    return number


def test_results_come_in_order_and_helpers_do_part_of_the_work() -> None:
    results = list(parallel.map_in_order(square, range(N)))
    assert [value for value, _ in results] == [n * n for n in range(N)]
    assert any(helper for _, helper in results)
    assert not all(helper for _, helper in results)


def test_few_items_or_one_process_is_plain_map(monkeypatch: pytest.MonkeyPatch) -> None:
    few = list(parallel.map_in_order(square, range(parallel.MIN_ITEMS - 1)))
    assert not any(helper for _, helper in few)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    many = list(parallel.map_in_order(square, range(N)))
    assert not any(helper for _, helper in many)


@pytest.mark.parametrize("limit", [0, 1, parallel.CHUNK, N // 2, N - 1])
def test_the_first_failing_item_raises_in_this_process(limit: int) -> None:
    produced: list[int] = []
    with pytest.raises(ValueError, match=f"^item {limit}$"):
        for value in parallel.map_in_order(partial(fail_from, limit), range(N)):
            produced.append(value)
    assert produced == list(range(limit))


def test_warnings_reach_this_process() -> None:
    target = N - 5  # a chunk a helper is likely to compute
    with pytest.warns(UserWarning, match=f"item {target}"):
        assert list(parallel.map_in_order(partial(warn_at, target), range(N))) == list(range(N))


def test_a_helper_that_dies_costs_time_not_results() -> None:
    assert list(parallel.map_in_order(die_in_helper, range(N))) == list(range(N))
    # and the next call starts a new helper
    assert [v for v, _ in parallel.map_in_order(square, range(N))] == [n * n for n in range(N)]


def test_work_that_does_not_pickle_is_done_here() -> None:
    offset = 5
    assert list(parallel.map_in_order(lambda n: n + offset, range(N))) == [
        n + offset for n in range(N)
    ]


def test_stopping_early_leaves_the_pool_usable() -> None:
    for value, _ in parallel.map_in_order(square, range(N)):
        if value > 100:
            break
    assert [v for v, _ in parallel.map_in_order(square, range(N))] == [n * n for n in range(N)]


def test_worker_count_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.worker_count() == 3
    monkeypatch.setenv(parallel.WORKERS_ENV, "zero")
    assert parallel.worker_count() >= 1


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_ctrl_c_while_helpers_work_exits_130_and_leaves_no_helper(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import corpus as bench

    feed = tmp_path / "corpus.xml"
    feed.write_bytes(bench.make_feed(parallel.MIN_ITEMS * 3))
    env = {**os.environ, parallel.WORKERS_ENV: "2", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "feed2book", "jsonl", str(feed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # Ctrl-C reaches the whole process group, helpers included
    )
    helpers: list[int] = []
    deadline = time.monotonic() + 60
    while not helpers and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        helpers = _children(process.pid)
    if process.poll() is not None:
        pytest.skip("finished before a helper started (a very fast machine)")
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()
    time.sleep(0.5)
    assert not [pid for pid in helpers if _running(pid)]


def _running(pid: int) -> bool:
    """Whether the process still runs. A zombie does not: it has exited and holds nothing but
    its exit status (a helper whose start Ctrl-C interrupted inside ``Popen`` is never waited
    for by feed2book, which is exiting too; init reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


# --- Ahead: items handed over while they are still being produced ---------------------------


def slow_square(number: int) -> tuple[int, bool]:
    time.sleep(0.002)
    return square(number)


def test_ahead_gives_map_in_order_and_helpers_start_before_the_last_item_is_added() -> None:
    ahead = parallel.Ahead(slow_square, expected=N)
    computed_while_adding = False
    for number in range(N):
        ahead.add(number)
        if number == N - 1:
            time.sleep(0.5)  # the producer's last, slow step: the helper is busy meanwhile
    results = list(ahead.results())
    assert [value for value, _ in results] == [n * n for n in range(N)]
    # Chunks a helper computed were handed to it before ``results()`` was called: every chunk
    # but the last short one was full, and the helper answered while this thread slept.
    computed_while_adding = any(helper for _, helper in results[: N - N % parallel.CHUNK])
    assert computed_while_adding


def test_ahead_with_few_items_or_one_process_computes_here_and_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def counted(number: int) -> int:  # a closure: it could not even reach a helper
        calls.append(number)
        return number

    ahead = parallel.Ahead(counted, expected=parallel.MIN_ITEMS - 1)
    for number in range(parallel.MIN_ITEMS - 1):
        ahead.add(number)
    assert calls == []
    assert list(ahead.results()) == list(range(parallel.MIN_ITEMS - 1))
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    few = parallel.Ahead(square, expected=N)
    for number in range(N):
        few.add(number)
    assert not any(helper for _, helper in few.results())


@pytest.mark.parametrize("limit", [0, parallel.CHUNK, N - 1])
def test_ahead_raises_the_first_failing_item_in_order(limit: int) -> None:
    ahead = parallel.Ahead(partial(fail_from, limit), expected=N)
    for number in range(N):
        ahead.add(number)
    produced: list[int] = []
    with pytest.raises(ValueError, match=f"^item {limit}$"):
        for value in ahead.results():
            produced.append(value)
    assert produced == list(range(limit))


def test_a_cancelled_ahead_leaves_the_pool_usable() -> None:
    ahead = parallel.Ahead(slow_square, expected=N)
    for number in range(N // 2):
        ahead.add(number)
    ahead.cancel()  # the helpers drop what was handed over; the next map gets them back
    results = list(parallel.map_in_order(slow_square, range(N)))
    assert [value for value, _ in results] == [n * n for n in range(N)]
    assert any(helper for _, helper in results)


def test_shutdown_is_not_kept_waiting_by_an_ahead_its_caller_abandoned() -> None:
    """Ctrl-C can land while an ``Ahead`` is being set up, before its caller holds it (so it
    cannot cancel it): its helper threads wait for chunks that never come, each holding its
    helper. Stopping the pool closes such runs, so the exit is not kept waiting forever."""
    ahead = parallel.Ahead(square, expected=N)
    for number in range(parallel.CHUNK + 1):
        ahead.add(number)  # one chunk handed over; the threads then wait for the next
    stopping = threading.Thread(target=parallel.shutdown, daemon=True)
    stopping.start()
    stopping.join(timeout=30)
    assert not stopping.is_alive()


def test_a_run_left_unfinished_does_not_keep_the_process_from_exiting(tmp_path: Path) -> None:
    """A ``map_in_order`` generator nobody finished is closed by the interpreter's last
    collection, after the pool was shut down at exit: it must not start an idle timer then."""
    script = (
        "from feed2book import parallel\n"
        "from tests.test_speed_parallel import square, N\n"
        "run = parallel.map_in_order(square, range(N))\n"
        "next(run)\n"  # ``run`` is left to the module's globals, cleared at the very end
    )
    env = {**os.environ, parallel.WORKERS_ENV: "2", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO, timeout=60, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()


# --- two chunks in a helper's hands -------------------------------------------------------------


def doubled(text: str) -> tuple[str, bool]:
    time.sleep(0.001)  # slow enough that this process does not take every chunk first
    return text + text, os.getpid() != PARENT


@pytest.mark.timeout(60)
def test_chunks_and_answers_bigger_than_a_pipe_do_not_wait_for_each_other() -> None:
    """A helper is handed its next chunk before its answer to the last one is read. Chunks and
    answers far bigger than a pipe holds (64 KB) then cross: the helper's reading thread takes
    the chunk while it writes the answer (without it, both sides wait forever)."""
    items = [f"{number:06d}" * 5_000 for number in range(N)]  # 30 KB each, 750 KB a chunk
    results = list(parallel.map_in_order(doubled, items))
    assert [text for text, _ in results] == [text + text for text in items]
    assert any(helper for _, helper in results)


def stamped(number: int) -> tuple[float, float, bool]:
    """When the item's work began and ended (the machine's monotonic clock, which every
    process shares), and whether a helper did it."""
    start = time.monotonic()
    while time.monotonic() - start < 0.002:
        pass
    return start, time.monotonic(), os.getpid() != PARENT


def test_a_helper_starts_its_next_chunk_without_waiting_for_this_process() -> None:
    """This process holds the interpreter for long stretches (it computes chunks too, then
    spends a while on each result; here with a switch interval of 20 ms): a helper that waited
    for its next chunk until this process's thread that drives it could run would idle up to
    20 ms after every chunk. It has the next chunk already."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.02)
    results = []
    try:
        for result in parallel.map_in_order(stamped, range(4 * N)):
            results.append(result)
            busy = time.monotonic()
            while time.monotonic() - busy < 0.001:  # pure Python: the interpreter stays here
                pass
    finally:
        sys.setswitchinterval(interval)
    helper_items = [(start, end) for start, end, helper in results if helper]
    size = parallel.CHUNK
    # Between the last item of one helper chunk and the first of the next one it computed.
    waits = sorted(
        helper_items[index][0] - helper_items[index - 1][1]
        for index in range(size, len(helper_items), size)
    )
    assert len(waits) >= 5
    assert waits[len(waits) // 2] < 0.005, waits
