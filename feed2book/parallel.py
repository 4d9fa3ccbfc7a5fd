"""Per-article work spread over the machine's cores, with the results in input order.

    for article in parallel.map_in_order(convert, entries):
        ...

Cleaning an article is pure CPU work in Python (~2.5 ms each): a 2,000-article feed is seconds of
it, so ``map_in_order`` hands chunks of the items to helper processes while this process works on
chunks too. The output is what ``map(function, items)`` gives, in the same order; the work must
be a pure function (a module-level function, or a ``functools.partial`` of one, whose arguments
pickle). Below ``MIN_ITEMS`` items, on one core, or with ``FEED2BOOK_WORKERS=1``, it *is*
``map``.

Helpers are fresh interpreters (never forks: a fork of a process with threads can deadlock, and
copies the parent's memory into the tree's RSS), started once and reused until ``shutdown`` or
exit. They only ever compute: a chunk that raised or warned in a helper, or that a helper could
not finish (it died, it could not start), is computed again here, so exceptions and warnings
come from this process exactly as they would without helpers, from the first failing item.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import importlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TypeVar

from feed2book.defaults import PARALLEL_MIN_ITEMS as MIN_ITEMS

__all__ = [
    "MIN_ITEMS",
    "WORKERS_ENV",
    "Ahead",
    "aside",
    "map_in_order",
    "preload",
    "prepare",
    "shutdown",
    "worker_count",
]

Item = TypeVar("Item")
Result = TypeVar("Result")

WORKERS_ENV = "FEED2BOOK_WORKERS"  # processes in all (this one included); "1": no helpers
CHUNK = 25  # items per task: small enough to balance the load, big enough to amortise pickling
IN_FLIGHT = 2  # chunks handed to a helper before it answers the first: it never waits for one
IDLE_SECONDS = 5.0  # helpers left unused this long stop (the next source may need them again)
_BOOT = (
    "import pickle, sys\n"
    "setup = pickle.load(sys.stdin.buffer)\n"
    "sys.path[:] = setup['path']\n"
    "from feed2book.parallel import _serve\n"
    "_serve(setup)\n"
)


def worker_count() -> int:
    """Processes to use, this one included: ``FEED2BOOK_WORKERS`` or the usable cores."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def prepare(expected_items: int) -> None:
    """Start the helpers now when about ``expected_items`` are coming: they import while this
    process is still parsing."""
    if expected_items >= MIN_ITEMS and worker_count() > 1:
        _pool().start(worker_count() - 1)


def preload(expected_items: int, module: str) -> None:
    """``prepare``, and each helper imports ``module`` (the one of the work to come) meanwhile,
    in the background: the first chunks it is given then wait for no import."""
    if expected_items < MIN_ITEMS or worker_count() < 2:
        return
    pool = _pool()
    pool.start(worker_count() - 1)
    with pool.lock:
        helpers = list(pool.helpers)
    for helper in helpers:
        threading.Thread(target=_import_in, args=(helper, module), daemon=True).start()


def _import_in(helper: _Helper, module: str) -> None:
    with helper.lock:  # a run waits for it to use this helper; this process works meanwhile
        helper.compute(_import, [module])


def _import(module: str) -> None:
    importlib.import_module(module)


def map_in_order(
    function: Callable[[Item], Result], items: Sequence[Item], *, consume: bool = False
) -> Iterator[Result]:
    """``map(function, items)``, computed in several processes when that pays.

    ``consume``: the call takes ``items`` (a list) over and empties it at once; each item is let
    go as soon as its result is given, so a big input does not stay in memory until the end.
    """
    helpers = worker_count() - 1
    chunks: list[Sequence[Item]] = [
        items[start : start + CHUNK] for start in range(0, len(items), CHUNK)
    ]
    parallel = len(items) >= MIN_ITEMS and helpers >= 1
    if consume and isinstance(items, list):
        items.clear()
    if not parallel:
        for number, chunk in enumerate(chunks):
            chunks[number] = ()
            yield from map(function, chunk)
            del chunk
        return
    pool = _pool()
    pool.start(helpers)
    try:
        yield from _Run(function, chunks, pool).results()
    finally:
        pool.stop_when_idle()


def aside(function: Callable[[Item], Result], item: Item) -> Callable[[], Result]:
    """``function(item)`` started in a helper while this process goes on; what it returns
    gives the result, waiting for it if need be. Computed here, when asked for, on one core,
    with ``FEED2BOOK_WORKERS=1``, or when the helper failed or warned (as ``map_in_order``)."""
    if worker_count() < 2:
        return lambda: function(item)
    pool = _pool()
    pool.start(worker_count() - 1)
    answer: list[list[Result] | None] = []

    def compute() -> None:
        with pool.lock:
            helpers = list(pool.helpers)
        outcome = None
        try:
            if helpers:
                with helpers[-1].lock:
                    outcome = helpers[-1].compute(function, [item])
        finally:
            answer.append(outcome)

    thread = threading.Thread(target=compute, daemon=True)
    thread.start()

    def result() -> Result:
        thread.join()
        pool.stop_when_idle()
        outcome = answer[0] if answer else None
        return outcome[0] if outcome else function(item)

    return result


def shutdown() -> None:
    """Stop the helpers (they start again when needed)."""
    if _POOL is not None:
        _POOL.stop()


# --- this process ----------------------------------------------------------------------------


class _Helper:
    """One helper process; used by one thread at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, *_interpreter_flags(), "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        setup = {
            "path": list(sys.path),
            "recursion_limit": sys.getrecursionlimit(),
        }
        try:
            sent = self._send(setup)
        except BaseException:  # Ctrl-C: this helper is not in the pool yet, so stop it here
            self.stop()
            raise
        if not sent:
            self.stop()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def compute(self, function: Callable[[Any], Any], chunk: Sequence[Any]) -> list[Any] | None:
        """The chunk's results, or None when the helper did not deliver them cleanly."""
        if not self.send(function, chunk):
            return None
        return self.receive()

    def send(self, function: Callable[[Any], Any], chunk: Sequence[Any]) -> bool:
        """Hand a chunk over; its results come from ``receive``, in the order chunks were
        sent. False (and the helper stopped) when it could not be handed over."""
        if not self.alive or not self._send((function, chunk)):
            self.stop()
            return False
        return True

    def receive(self) -> list[Any] | None:
        """The results of the oldest chunk sent and not yet received, or None when the helper
        did not deliver them cleanly (it is then stopped)."""
        if self.process is None or self.process.stdout is None:
            return None
        try:
            answer = pickle.load(self.process.stdout)
        except Exception:  # died, or sent what does not unpickle: do it here
            self.stop()
            return None
        return answer if isinstance(answer, list) else None

    def _send(self, message: object) -> bool:
        stream: IO[bytes] | None = self.process.stdin if self.process is not None else None
        if stream is None:
            return False
        try:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            stream.write(data)
            stream.flush()
        except Exception:  # a broken pipe, or work that does not pickle
            return False
        return True

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()  # the helper's end of file: it exits
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class _Pool:
    def __init__(self) -> None:
        self.helpers: list[_Helper] = []
        self.lock = threading.Lock()
        self.idle: threading.Timer | None = None
        # Runs whose threads may still wait for chunks (``Ahead``): closed by ``stop``, so a
        # run its caller abandoned (Ctrl-C while it was being set up) cannot keep a helper.
        self.runs: weakref.WeakSet[_Run] = weakref.WeakSet()

    def start(self, count: int) -> None:
        with self.lock:
            if self.idle is not None:
                self.idle.cancel()
                self.idle = None
            self.helpers = [helper for helper in self.helpers if helper.alive]
            while len(self.helpers) < count:
                try:
                    self.helpers.append(_Helper())
                except OSError:
                    break  # no helper: this process does all the work

    def stop_when_idle(self) -> None:
        if sys.is_finalizing():
            # A run's generator closed by the interpreter's last collection, after ``shutdown``
            # ran at exit: a timer thread started now would never let the process end.
            return
        with self.lock:
            if self.idle is not None:
                self.idle.cancel()
            self.idle = threading.Timer(IDLE_SECONDS, self.stop)
            self.idle.daemon = True
            self.idle.start()

    def stop(self) -> None:
        with self.lock:
            if self.idle is not None:
                self.idle.cancel()
                self.idle = None
            helpers, self.helpers = self.helpers, []
            runs = list(self.runs)
        for run in runs:
            run.close()
        for helper in helpers:
            with helper.lock:
                helper.stop()


_POOL: _Pool | None = None


def _pool() -> _Pool:
    global _POOL
    if _POOL is None:
        _POOL = _Pool()
        atexit.register(shutdown)
    return _POOL


class _Run:
    """One ``map_in_order`` call: chunks handed out in order, to helper threads and to the
    caller's own thread alike; results given back in order."""

    def __init__(
        self, function: Callable[[Any], Any], chunks: list[Sequence[Any]], pool: _Pool
    ) -> None:
        self.function = function
        self.chunks = chunks
        self.done: dict[int, list[Any] | None] = {}  # None: compute it again, in order
        self.next_chunk = 0
        self.closed = False
        self.coming = False  # more chunks may be appended (``Ahead``): helpers wait for them
        self.changed = threading.Condition()
        self.threads = [
            threading.Thread(target=self._drive, args=(helper,), daemon=True)
            for helper in pool.helpers
        ]

    def close(self) -> None:
        """No more chunks, and none taken from now on: waiting helper threads return."""
        with self.changed:
            self.coming = False
            self.closed = True
            self.changed.notify_all()

    def results(self, *, started: bool = False) -> Iterator[Any]:
        if not started:
            for thread in self.threads:
                thread.start()
        try:
            for number in range(len(self.chunks)):
                outcome = self._outcome(number)
                # A chunk that failed, or that a helper could not do: computed here, item by
                # item, as map does.
                results = (
                    outcome if outcome is not None else map(self.function, self.chunks[number])
                )
                with self.changed:
                    del self.done[number]
                    self.chunks[number] = ()  # done with its items: let them go
                yield from results
                del outcome, results
        finally:
            with self.changed:
                self.closed = True

    def _outcome(self, number: int) -> list[Any] | None:
        """Chunk ``number``'s outcome, working on the next chunks meanwhile."""
        while True:
            with self.changed:
                if number in self.done:
                    return self.done[number]
                if self.closed and number >= self.next_chunk:
                    return None  # closed by ``_Pool.stop``: no helper will take it
                mine = self._take()
                if mine is None:
                    self.changed.wait()
                    continue
            try:
                outcome: list[Any] | None = list(map(self.function, self.chunks[mine]))
            except Exception:  # computed again when its turn comes, to raise in order
                outcome = None
            with self.changed:
                self.done[mine] = outcome

    def _take(self) -> int | None:
        if self.closed or self.next_chunk >= len(self.chunks):
            return None
        self.next_chunk += 1
        return self.next_chunk - 1

    def _take_when_ready(self) -> int | None:
        """``_take``, waiting (the condition held) while chunks are still coming."""
        while self.coming and not self.closed and self.next_chunk >= len(self.chunks):
            self.changed.wait()
        return self._take()

    def _drive(self, helper: _Helper) -> None:
        """Keep ``helper`` busy: up to ``IN_FLIGHT`` chunks are handed to it before the oldest
        one's results are read, so it starts the next chunk as soon as it is done with one,
        not when this thread next gets the interpreter (up to 5 ms later, with this process
        busy parsing or writing)."""
        sent: collections.deque[int] = collections.deque()
        with helper.lock:
            try:
                while True:
                    with self.changed:
                        # Wait for a chunk only when none is in the helper's hands.
                        number = self._take() if sent else self._take_when_ready()
                    if number is not None:
                        sent.append(number)
                        if not helper.send(self.function, self.chunks[number]):
                            return  # the caller computes each chunk handed over
                        if len(sent) < IN_FLIGHT:
                            continue
                    if not sent:
                        return
                    if not self._received(helper, sent):
                        return  # a chunk failed: the others and the caller carry on
            finally:
                while sent:  # what the helper still holds (nothing, once it is stopped)
                    self._received(helper, sent)

    def _received(self, helper: _Helper, sent: collections.deque[int]) -> bool:
        """Read the results of the oldest chunk ``helper`` holds; False when it failed."""
        outcome = helper.receive()
        with self.changed:
            self.done[sent.popleft()] = outcome  # None: the caller computes it
            self.changed.notify_all()
        return outcome is not None


class Ahead:
    """``map_in_order`` for items that come one at a time from slow work in this process (a
    feed being parsed): each full chunk goes to a helper as soon as it is added, so the helpers
    compute while this process goes on producing. ``results()``, once every item is added, gives
    ``map(function, items)`` in order, this process computing what is left with the helpers.

        ahead = Ahead(convert, expected=len_hint)
        for item in produce():
            ahead.add(item)
        results = list(ahead.results())   # or ahead.cancel() to drop the work

    Same rules as ``map_in_order``: a pure, picklable ``function``; a chunk that failed or warned
    in a helper is computed again here, in order. With fewer than ``MIN_ITEMS`` expected items,
    on one core, or with ``FEED2BOOK_WORKERS=1``, nothing is computed before ``results()``.
    """

    def __init__(self, function: Callable[[Any], Any], *, expected: int) -> None:
        self._function = function
        self._pending: list[Any] = []
        self._chunks: list[Sequence[Any]] = []  # without helpers: computed in ``results()``
        self._run: _Run | None = None
        self._pool: _Pool | None = None
        helpers = worker_count() - 1
        if expected >= MIN_ITEMS and helpers >= 1:
            self._pool = _pool()
            self._pool.start(helpers)
            self._run = _Run(function, [], self._pool)
            self._run.coming = True
            with self._pool.lock:
                self._pool.runs.add(self._run)
            for thread in self._run.threads:
                thread.start()

    def add(self, item: Any) -> None:
        self._pending.append(item)
        if len(self._pending) >= CHUNK:
            self._hand_over()

    def results(self) -> Iterator[Any]:
        """The results in order; no item may be added after."""
        self._hand_over()
        run = self._run
        if run is None:
            chunks, self._chunks = self._chunks, []
            for chunk in chunks:
                yield from map(self._function, chunk)
            return
        with run.changed:
            run.coming = False
            run.changed.notify_all()
        try:
            yield from run.results(started=True)
        finally:
            self._finished()

    def cancel(self) -> None:
        """Drop the work: helpers finish the chunk in hand, and nothing more is computed."""
        run = self._run
        if run is not None:
            run.close()
            self._finished()
        self._pending = []
        self._chunks = []

    def _hand_over(self) -> None:
        if not self._pending:
            return
        chunk, self._pending = self._pending, []
        if self._run is None:
            self._chunks.append(chunk)
            return
        with self._run.changed:
            self._run.chunks.append(chunk)
            self._run.changed.notify_all()

    def _finished(self) -> None:
        if self._pool is not None:
            self._pool.stop_when_idle()
            self._pool = None


def _interpreter_flags() -> list[str]:
    """-W, -X, -O… as this interpreter got them (what multiprocessing passes its children)."""
    flags = getattr(subprocess, "_args_from_interpreter_flags", None)  # private, but long-lived
    return list(flags()) if callable(flags) else []


# --- a helper --------------------------------------------------------------------------------


def _serve(setup: dict[str, Any]) -> None:
    """A helper's loop: (function, chunk) in, the list of results out; a chunk that raised or
    warned is answered with None (the caller computes it itself, warnings and all). A thread
    reads the chunks as they come, so the caller's writes never wait for this loop (the
    caller hands over a chunk before reading the last one's results: each side writing to a
    full pipe, waiting for the other to read, would wait forever)."""
    sys.setrecursionlimit(int(setup.get("recursion_limit", sys.getrecursionlimit())))
    # Answers go to the real stdout alone: anything printed goes where stderr goes (nowhere).
    sink = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    chunks: queue.SimpleQueue[tuple[Callable[[Any], Any], Sequence[Any]] | None] = (
        queue.SimpleQueue()
    )
    threading.Thread(target=_read_chunks, args=(sys.stdin.buffer, chunks), daemon=True).start()
    while (message := chunks.get()) is not None:
        function, chunk = message
        answer: list[Any] | None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                answer = [function(item) for item in chunk]
            if caught:
                answer = None
        except Exception:  # the caller raises it, from its own process
            answer = None
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # results that do not pickle: the caller computes them
            data = pickle.dumps(None)
        sink.write(data)
        sink.flush()


def _read_chunks(
    source: IO[bytes], chunks: queue.SimpleQueue[tuple[Callable[[Any], Any], Sequence[Any]] | None]
) -> None:
    """The helper's reading thread: each (function, chunk) as it comes; None at the end of
    the input, or at a message that does not unpickle (the helper then exits, and the caller
    computes what it held)."""
    try:
        while True:
            chunks.put(pickle.load(source))
    except BaseException:  # EOFError: the caller is done; anything else ends the helper too
        chunks.put(None)
