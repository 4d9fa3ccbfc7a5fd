"""Time feed2book against the tools people would use instead, as whole processes.

    python benchmarks/run.py                 # N = 2,000, 3 runs after a warm-up -> RESULTS.md
    python benchmarks/run.py --quick         # N = 200, 1 run: a smoke test (report in a temp file)
    python benchmarks/run.py --only epub-cover,naive --runs 3

Every command runs as its own process; the time is wall clock around it, the memory is the peak
RSS the OS reports for it (``os.wait4``: the largest single process of its tree) or, when larger,
the sum over its process tree sampled from /proc (a process pool counts in full). The report
gives the median, min and max of the runs, the largest peak RSS seen, and the speed-up against
the naive baseline (``benchmarks/baselines/naive.py``).

The run fails (exit 1) only when a command crashes or writes nothing; never because of a time.
Scenarios and library commands are in the tables just below: adjust them when the CLI changes.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402

# --- scenarios -----------------------------------------------------------------------------------
# Placeholders: {feed2book} (the command, several words), {python}, {bench} (this directory),
# {work} (an empty directory, fresh for every run); inputs prepared once and on demand:
# {corpus} (N articles, one feed), {articles_html} (the same articles as one HTML file),
# {multi} / {multi_10x} (jsonl-N / 10 x jsonl-N articles over 10 feeds), {library} (a library
# holding {corpus}), {big_library} (--library-size articles), {author} (a handle in the corpus).
# ``output``: the file that must exist and be non-empty afterwards; "" means stdout must be.
# ``needs``: "pandoc", or "cmd:<words>" for a feed2book command that must exist (checked with
# ``feed2book <words> --help``); a scenario whose needs are missing is reported as skipped.


@dataclass(frozen=True)
class Scenario:
    key: str
    group: str
    argv: tuple[str, ...]
    output: str = ""
    needs: tuple[str, ...] = ()
    note: str = ""
    versus_naive: bool = (
        True  # the same articles as the naive baseline, so a speed-up means something
    )
    baseline: str = "naive"  # the naive run over the same articles
    floor: str = "floor"  # the floor run over the same articles ("" for none)


EPUB = ("{feed2book}", "epub", "{corpus}", "--group-by", "none", "-o", "{work}/book.epub")
# Local work only: no page fetched for a summary (the real-shaped corpus has some), no image.
OFFLINE = ("--full-text", "never")
LOCAL = ("--images", "none", *OFFLINE)


def real_scenarios() -> tuple[Scenario, ...]:
    """Issue 19's comparison on the real-shaped corpus (``corpus.py --real``): the same commands
    over articles of the seed and practice feeds, each against its own naive and floor runs."""
    real: dict[str, Any] = {"baseline": "real-naive", "floor": "real-floor", "needs": ("shared",)}
    book = ("--group-by", "none", *LOCAL)
    return (
        Scenario(
            "real-floor", "real",
            ("{python}", "{bench}/baselines/floor.py", "{real_corpus}", "{work}/floor.zip"),
            "{work}/floor.zip", note="lxml iterparse + the bodies into a deflated zip", **real,
        ),
        Scenario(
            "real-naive", "real",
            ("{python}", "{bench}/baselines/naive.py", "{real_corpus}", "{work}/naive.epub"),
            "{work}/naive.epub", note="feedparser defaults + ebooklib", **real,
        ),
        Scenario(
            "real-epub", "real",
            ("{feed2book}", "epub", "{real_corpus}", *book, "-o", "{work}/book.epub"),
            "{work}/book.epub", note="cold: parsed, cleaned and written; cover included", **real,
        ),
        Scenario(
            "real-rebuild", "real",
            ("{feed2book}", "epub", "--library", "{real_library}", *book, "-o", "{work}/b.epub"),
            "{work}/b.epub", note="the same book from the library", **real,
        ),
        Scenario(
            "real-jsonl", "real", ("{feed2book}", "jsonl", "{real_corpus}", *OFFLINE),
            note="JSON Lines on stdout", **real,
        ),
        Scenario(
            "real-markdown", "real",
            ("{feed2book}", "markdown", "{real_corpus}", *book, "-o", "{work}/md"),
            "{work}/md", note="one mdBook bundle", **real,
        ),
    )  # fmt: skip


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("epub-cover", "epub", EPUB, "{work}/book.epub"),
    Scenario("epub-no-cover", "epub", (*EPUB, "--no-cover"), "{work}/book.epub"),
    Scenario(
        "naive",
        "epub",
        ("{python}", "{bench}/baselines/naive.py", "{corpus}", "{work}/naive.epub"),
        "{work}/naive.epub",
        note="feedparser defaults (sanitiser, resolver on) + ebooklib",
    ),
    Scenario(
        "pandoc",
        "epub",
        ("pandoc", "{articles_html}", "-o", "{work}/pandoc.epub"),
        "{work}/pandoc.epub",
        needs=("pandoc",),
        note="the articles concatenated into one HTML file beforehand (not timed)",
    ),
    Scenario(
        "floor",
        "epub",
        ("{python}", "{bench}/baselines/floor.py", "{corpus}", "{work}/floor.zip"),
        "{work}/floor.zip",
        note="lxml iterparse + the bodies into a deflated zip; no book",
    ),
    Scenario(
        "jsonl-one",
        "epub",
        ("{feed2book}", "jsonl", "{corpus}", *OFFLINE),
        note="the same articles as JSON Lines on stdout",
    ),
    Scenario(
        "markdown",
        "epub",
        ("{feed2book}", "markdown", "{corpus}", "--group-by", "none", *LOCAL, "-o", "{work}/md"),
        "{work}/md",
        note="one mdBook bundle",
    ),
    Scenario("jsonl", "jsonl", ("{feed2book}", "jsonl", "{multi}"), versus_naive=False),
    Scenario("jsonl-10x", "jsonl", ("{feed2book}", "jsonl", "{multi_10x}"), versus_naive=False),
    Scenario(
        "library-add",
        "library",
        ("{feed2book}", "add", "{corpus}", "--library", "{work}/library.sqlite3"),
        "{work}/library.sqlite3",
        needs=("cmd:add",),
        note="into an empty library",
    ),
    Scenario(
        "library-epub",
        "library",
        (
            "{feed2book}",
            "epub",
            "--library",
            "{library}",
            "--group-by",
            "none",
            "-o",
            "{work}/b.epub",
        ),
        "{work}/b.epub",
        needs=("cmd:add",),
        note="the same book rebuilt from the library: no parsing",
    ),
    Scenario(
        "library-list",
        "library",
        ("{feed2book}", "list", "--author", "{author}", "--library", "{big_library}"),
        needs=("cmd:add",),
        versus_naive=False,
    ),
    *real_scenarios(),
)

# How the libraries are filled (once, not timed): ``library import`` of generated JSON Lines when
# that command exists, else ``add`` of generated feeds of at most FEED_CHUNK articles each.
LIBRARY_IMPORT = ("{feed2book}", "library", "import", "{jsonl}", "--library", "{target}")
LIBRARY_ADD = ("{feed2book}", "add", "{sources}", "--library", "{target}")
FEED_CHUNK = 2_000
# The big library's articles are spread over this many authors (the five writers and guests),
# so `list --author` picks ~size/200 articles (500 of 100,000) rather than a fifth of everything.
# Only ``library import`` can spread them; feeds written for ``add`` have the five writers.
BIG_LIBRARY_AUTHORS = 200
AUTHOR = corpus.WRITERS[1].handle

GROUP_TITLES = {
    "epub": "EPUB from one feed of {n} articles",
    "jsonl": "JSON Lines over {jsonl_n} and {jsonl_10x} articles in 10 feeds",
    "library": "Library ({library_n} articles added; `list` over {library_size})",
    "real": "Real-shaped: {n} articles from the seed and practice feeds",
}

# The targets (#9). Each: (text, scenario, what to read, comparison, limit).
TARGETS = (
    ("cold `epub --group-by none` at least 3x faster than naive", "epub-cover", "speedup", ">=", 3),
    ("cold `epub --group-by none` peak RSS under 300 MB", "epub-cover", "rss", "<", 300),
    ("book rebuilt from the library at least 8x faster than naive", "library-epub", "speedup",
     ">=", 8),
    ("`jsonl` over 10x the articles: peak RSS under 200 MB", "jsonl-10x", "rss", "<", 200),
    ("`jsonl` time grows linearly: t(10x) / t(1x) at most 11", "jsonl-10x", "growth", "<=", 11),
    ("`list --author` on the big library under 1 s", "library-list", "time", "<", 1),
    # Issue 19, on the real-shaped corpus.
    ("real-shaped: cold `epub` at least 5x faster than naive", "real-epub", "speedup", ">=", 5),
    ("real-shaped: cold `epub` within 4x of the floor", "real-epub", "floor", "<=", 4),
    ("real-shaped: rebuild from the library within 1.5x of the floor", "real-rebuild", "floor",
     "<=", 1.5),
    ("real-shaped: `markdown` at least 3x faster than naive", "real-markdown", "speedup", ">=", 3),
    ("real-shaped: `jsonl` at least 5x faster than naive", "real-jsonl", "speedup", ">=", 5),
)  # fmt: skip

BEFORE_AFTER_START = "<!-- before/after: kept when run.py rewrites this file -->"
BEFORE_AFTER_END = "<!-- end of before/after -->"
BEFORE_AFTER_PLACEHOLDER = (
    "_To be filled in by hand: the medians before and after each speed-up, with the commit._"
)

# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float  # user + system, the process and the children it waited for
    rss_mb: float
    code: int
    stderr: str = ""


@dataclass
class Outcome:
    scenario: Scenario
    command: str = ""
    samples: list[Sample] = field(default_factory=list)
    skipped: str = ""
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.failure and bool(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.rss_mb for s in self.samples)


class TreeRss:
    """Samples the summed RSS of a process and its descendants from /proc (Linux only).

    Reading the RSS of known processes is cheap and done every INTERVAL; finding descendants
    means reading every /proc/<pid>/stat, so it is done every RESCAN (a pool's workers live long).
    """

    INTERVAL = 0.25
    RESCAN = 2.0

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._tree = {pid}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4

    def __enter__(self) -> TreeRss:
        if Path("/proc/self/statm").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        ticks_per_scan = round(self.RESCAN / self.INTERVAL)
        tick = 0
        while not self._stop.wait(self.INTERVAL):
            with contextlib.suppress(OSError, ValueError):
                if tick % ticks_per_scan == ticks_per_scan - 1:
                    self._tree = self._descendants()
                self.peak_kb = max(self.peak_kb, self._rss_kb())
            tick += 1

    def _descendants(self) -> set[int]:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(entry.path, "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == parent]
            tree.update(children)
            frontier.extend(children)
        return tree

    def _rss_kb(self) -> int:
        total = 0
        for pid in self._tree:
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_kb
        return total


def measure(argv: Sequence[str], work: Path, env: dict[str, str]) -> Sample:
    """Run one command to completion: wall time, peak RSS, exit code, the end of stderr."""
    stdout_path, stderr_path = work / "stdout", work / "stderr"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=work)
        try:
            with TreeRss(process.pid) as tree:
                _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted: leave no command running behind us
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # reaped by wait4; keep Popen from waiting again
    max_rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    tail = stderr_path.read_text(errors="replace")[-2000:]
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(seconds, cpu, max(max_rss_kb, tree.peak_kb) / 1024, code, tail)


# --- inputs --------------------------------------------------------------------------------------


@dataclass
class Settings:
    n: int
    runs: int
    warmup: bool
    jsonl_n: int
    library_size: int
    quick: bool
    feed2book: list[str]
    only: set[str] | None
    note: str


class Inputs:
    """Corpora and libraries, made on first use in a temporary directory."""

    def __init__(self, root: Path, settings: Settings, env: dict[str, str]) -> None:
        self.root = root
        self.settings = settings
        self.env = env
        self.made: dict[str, str] = {}
        self.notes: list[str] = []
        self.makers: dict[str, Callable[[], str]] = {
            "corpus": self._corpus,
            "articles_html": self._articles_html,
            "multi": lambda: self._multi("multi", settings.jsonl_n),
            "multi_10x": lambda: self._multi("multi-10x", 10 * settings.jsonl_n),
            "library": self._library,
            "real_corpus": self._real_corpus,
            "real_library": self._real_library,
            "big_library": self._big_library,
            "author": lambda: AUTHOR,
        }

    def get(self, name: str) -> str:
        if name not in self.made:
            started = time.perf_counter()
            self.made[name] = self.makers[name]()
            took = time.perf_counter() - started
            if took > 1:
                say(f"prepared {name} in {took:.1f} s")
        return self.made[name]

    def _corpus(self) -> str:
        path = self.root / "corpus.xml"
        with path.open("wb") as out:
            corpus.write_feed(out, self.settings.n)
        size = path.stat().st_size / 1e6
        self.notes.append(f"`corpus.xml`: {self.settings.n:,} articles, {size:.1f} MB")
        return str(path)

    def _real_corpus(self) -> str:
        path = self.root / "real.xml"
        with path.open("wb") as out:
            distinct = corpus.write_real_feed(out, self.settings.n)
        size = path.stat().st_size / 1e6
        self.notes.append(
            f"`real.xml`: {self.settings.n:,} articles, {size:.1f} MB, made by `python "
            f"benchmarks/corpus.py {self.settings.n} --real` from the {distinct} items with a body "
            f"of {corpus.SHARED}/seeds/*.txt and practice/*.xml|*.rss, repeated in order (each "
            "copy with its own link, title and date)"
        )
        return str(path)

    def _real_library(self) -> str:
        target = self.root / "real-library.sqlite3"
        how = self._fill(target, (self.get("real_corpus"),), None)
        self.notes.append(f"real-shaped library: the articles of `real.xml`, {how}")
        return str(target)

    def _articles_html(self) -> str:
        from lxml import etree

        path = self.root / "articles.html"
        with path.open("w", encoding="utf-8") as out:
            out.write('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>')
            out.write("<title>DEV Community</title></head><body>\n")
            for _, item in etree.iterparse(self.get("corpus"), tag="item", huge_tree=True):
                title = html.escape(item.findtext("title") or "")
                out.write(f"<h1>{title}</h1>\n{item.findtext('description') or ''}\n")
                item.clear()
            out.write("</body></html>\n")
        return str(path)

    def _multi(self, name: str, count: int) -> str:
        directory = self.root / name
        corpus.write_multi(directory, count)
        size = sum(p.stat().st_size for p in directory.iterdir()) / 1e6
        self.notes.append(
            f"`{name}/`: {count:,} articles in {corpus.MULTI_FILES} feeds, {size:.1f} MB"
        )
        return str(directory)

    def _library(self) -> str:
        target = self.root / "library.sqlite3"
        how = self._fill(target, (self.get("corpus"),), None)
        self.notes.append(f"library: the {self.settings.n:,} articles of `corpus.xml`, {how}")
        return str(target)

    def _big_library(self) -> str:
        size = self.settings.library_size
        target = self.root / "big-library.sqlite3"
        body = corpus.TARGET_HTML_BYTES if not self.settings.quick else 1_000
        if has_command(self.settings.feed2book, ("library", "import"), self.env):
            jsonl = self.root / "big-library.jsonl"
            with jsonl.open("wb") as out:
                corpus.write_jsonl(out, size, target=body, authors=BIG_LIBRARY_AUTHORS)
            how = self._fill(target, (), str(jsonl))
        else:
            files = -(-size // FEED_CHUNK)
            files = max(corpus.MULTI_FILES, -(-files // len(corpus.WRITERS)) * len(corpus.WRITERS))
            directory = self.root / "big-library-feeds"
            paths = corpus.write_multi(directory, size, files=files, target=body)
            how = self._fill(target, tuple(str(p) for p in paths), None)
        self.notes.append(
            f"big library: {size:,} articles (at least {body:,} B of HTML each), {how}; "
            f"`--author {AUTHOR}` selects {self._count_of(AUTHOR, target)} of them"
        )
        return str(target)

    def _count_of(self, handle: str, library: Path) -> str:
        """How many articles ``handle`` has in ``library`` (by ``list --json``), or "?"."""
        argv = [*self.settings.feed2book, "list", "--json", "--author", handle]
        result = subprocess.run(
            [*argv, "--library", str(library)],
            capture_output=True, env=self.env, timeout=600, check=False,
        )  # fmt: skip
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return f"{len(json.loads(result.stdout)['articles']):,}"
        return "?"

    def _fill(self, target: Path, sources: tuple[str, ...], jsonl: str | None) -> str:
        template = LIBRARY_IMPORT if jsonl else LIBRARY_ADD
        argv = expand(
            template,
            {"jsonl": jsonl or "", "target": str(target)},
            self.settings.feed2book,
            sources=sources,
        )
        work = self.root / f"fill-{target.stem}"
        work.mkdir()
        sample = measure(argv, work, self.env)
        if sample.code != 0 or not target.exists():
            raise PrepareError(f"filling {target.name} failed ({shown(argv)}):\n{sample.stderr}")
        command = (
            shown(template)
            .replace(
                _SHOWN["sources"], Path(sources[0]).name if len(sources) == 1 else _SHOWN["sources"]
            )
            .replace(_SHOWN["target"], target.name)
        )
        return f"filled with `{command}` in {sample.seconds:.1f} s"


class PrepareError(Exception):
    pass


def expand(
    template: Sequence[str],
    values: dict[str, str],
    feed2book: list[str],
    *,
    sources: tuple[str, ...] = (),
    lookup: Callable[[str], str] | None = None,
) -> list[str]:
    """A template's argv with its placeholders filled ({feed2book} and {sources} by several)."""
    argv: list[str] = []
    for word in template:
        if word == "{feed2book}":
            argv.extend(feed2book)
            continue
        if word == "{sources}":
            argv.extend(sources)
            continue
        filled = {}
        for _, name, _, _ in string.Formatter().parse(word):
            if name:
                filled[name] = values[name] if name in values or lookup is None else lookup(name)
        argv.append(word.format(**filled))
    return argv


def shown(template: Sequence[str]) -> str:
    """A template as a reader would type it: `feed2book epub corpus.xml -o book.epub`."""
    words = []
    for word in template:
        word = word.replace("{feed2book}", "feed2book").replace("{python}", "python")
        word = word.replace("{bench}/", "benchmarks/").replace("{work}/", "")
        word = re.sub(r"\{(\w+)\}", lambda m: _SHOWN.get(m.group(1), m.group(1).upper()), word)
        words.append(word)
    return shlex.join(words).replace("'", "")


_SHOWN = {
    "corpus": "corpus.xml",
    "real_corpus": "real.xml",
    "real_library": "real-library.sqlite3",
    "articles_html": "articles.html",
    "multi": "multi/",
    "multi_10x": "multi-10x/",
    "library": "library.sqlite3",
    "big_library": "big-library.sqlite3",
    "author": AUTHOR,
    "sources": "feeds/*.xml",
    "jsonl": "articles.jsonl",
    "target": "library.sqlite3",
}


_COMMANDS: dict[tuple[str, ...], bool] = {}


def has_command(feed2book: list[str], words: tuple[str, ...], env: dict[str, str]) -> bool:
    """Whether ``feed2book <words> --help`` succeeds (asked once per run)."""
    key = (*feed2book, *words)
    if key not in _COMMANDS:
        _COMMANDS[key] = _help_succeeds([*feed2book, *words], env)
    return _COMMANDS[key]


def _help_succeeds(argv: list[str], env: dict[str, str]) -> bool:
    result = subprocess.run(
        [*argv, "--help"], capture_output=True, env=env, timeout=120, check=False
    )
    return result.returncode == 0


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- running ------------------------------------------------------------------------------------


def missing_need(scenario: Scenario, settings: Settings, env: dict[str, str]) -> str:
    for need in scenario.needs:
        if need == "pandoc" and shutil.which("pandoc") is None:
            return "pandoc is not installed (`apt-get install pandoc`)"
        if need == "shared":
            try:
                corpus.real_sources()
            except corpus.MissingShared as error:
                return str(error)
        if need.startswith("cmd:"):
            words = tuple(need[4:].split())
            if not has_command(settings.feed2book, words, env):
                return f"this feed2book has no `{' '.join(words)}` command yet"
    return ""


def run_all(settings: Settings, root: Path, env: dict[str, str]) -> tuple[list[Outcome], Inputs]:
    inputs = Inputs(root, settings, env)
    base = {"python": sys.executable, "bench": str(BENCH)}
    outcomes = []
    for scenario in SCENARIOS:
        if settings.only is not None and scenario.key not in settings.only:
            continue
        outcome = Outcome(scenario, command=shown(scenario.argv))
        outcome.skipped = missing_need(scenario, settings, env)
        outcomes.append(outcome)
    active = [o for o in outcomes if not o.skipped]
    for outcome in active:  # prepare inputs up front so no run pays for them
        try:
            expand(outcome.scenario.argv, {**base, "work": "."}, settings.feed2book,
                   lookup=inputs.get)  # fmt: skip
        except PrepareError as error:
            outcome.failure = str(error)
    rounds = ([0] if settings.warmup else []) + list(range(1, settings.runs + 1))
    for number in rounds:
        for outcome in active:
            if outcome.failure:
                continue
            work = Path(tempfile.mkdtemp(prefix=f"{outcome.scenario.key}-", dir=root))
            argv = expand(outcome.scenario.argv, {**base, "work": str(work)}, settings.feed2book,
                          lookup=inputs.get)  # fmt: skip
            sample = measure(argv, work, env)
            label = "warm-up" if number == 0 else f"run {number}/{settings.runs}"
            timing = f"{sample.seconds:7.2f} s {sample.rss_mb:7.0f} MB"
            say(f"{outcome.scenario.key:<14} {label}: {timing}")
            problem = check(outcome.scenario, sample, work)
            shutil.rmtree(work, ignore_errors=True)
            if problem:
                outcome.failure = (
                    f"{problem}: `{shlex.join(argv)}`\n\n```\n{sample.stderr.strip()}\n```"
                )
                say(f"{outcome.scenario.key} FAILED: {problem}")
            elif number > 0:
                outcome.samples.append(sample)
    return outcomes, inputs


def check(scenario: Scenario, sample: Sample, work: Path) -> str:
    if sample.code != 0:
        return f"exit status {sample.code}"
    output = Path(scenario.output.replace("{work}", str(work))) if scenario.output else None
    path = output or work / "stdout"
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return f"no output ({path.name} missing or empty)"
    return ""


# --- the report ---------------------------------------------------------------------------------


def machine(settings: Settings, env: dict[str, str]) -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    system = platform.platform()
    with contextlib.suppress(OSError):
        release = Path("/etc/os-release").read_text()
        match = re.search(r'^PRETTY_NAME="?([^"\n]*)', release, re.M)
        if match:
            system = f"{match.group(1)} ({platform.system()} {platform.release()})"
    version = subprocess.run(
        [*settings.feed2book, "--version"], capture_output=True, text=True, env=env, check=False
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    rows = [
        ("CPU", f"{cpu}, {os.cpu_count()} logical cores"),
        ("RAM", ram or "?"),
        ("OS", system),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("feed2book", f"{version.removeprefix('feed2book ')} (git {commit or '?'})"),
    ]
    for package in ("feedparser", "lxml", "ebooklib"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            rows.append((package, importlib.metadata.version(package)))
    pandoc = shutil.which("pandoc")
    if pandoc:
        first = subprocess.run([pandoc, "--version"], capture_output=True, text=True, check=False)
        rows.append(("pandoc", first.stdout.splitlines()[0] if first.stdout else "?"))
    else:
        rows.append(("pandoc", "not installed (its baseline is skipped)"))
    if settings.note:
        rows.append(("Note", settings.note))
    return rows


def target_rows(outcomes: list[Outcome]) -> list[tuple[str, str, str, str]]:
    """(target, measured on wall time, the same on CPU time, pass/fail on wall time)."""
    by_key = {o.scenario.key: o for o in outcomes}
    rows = []
    for text, key, what, comparison, limit in TARGETS:
        outcome = by_key.get(key)
        value = measured(outcome, what, by_key, "median") if outcome and outcome.ok else None
        if outcome is None or value is None:
            reason = "not run"
            if outcome is not None:
                reason = outcome.skipped or outcome.failure.split("\n")[0] or "no baseline"
            rows.append((text, "–", "–", f"not measured ({reason})"))
            continue
        on_cpu = measured(outcome, what, by_key, "cpu") if what != "rss" else None
        passed = _meets(value, comparison, limit)
        verdict = "**pass**" if passed else "**FAIL**"
        if on_cpu is not None and _meets(on_cpu, comparison, limit) != passed:
            verdict += f" (on CPU time: {'fail' if passed else 'pass'})"
        rows.append((text, _shown(what, value), _shown(what, on_cpu), verdict))
    return rows


def _meets(value: float, comparison: str, limit: float) -> bool:
    return {"<": value < limit, "<=": value <= limit, ">=": value >= limit}[comparison]


def _shown(what: str, value: float | None) -> str:
    if value is None:
        return "–"
    units = {
        "speedup": "{:.2f}x", "floor": "{:.2f}x", "rss": "{:.0f} MB", "growth": "{:.2f}",
        "time": "{:.2f} s",
    }  # fmt: skip
    return units[what].format(value)


def measured(outcome: Outcome, what: str, by_key: dict[str, Outcome], clock: str) -> float | None:
    """A target's quantity; times read from ``clock``: "median" (wall) or "cpu"."""

    def time_of(of: Outcome) -> float:
        return of.median if clock == "median" else of.cpu

    if what == "rss":
        return outcome.rss
    if what == "time":
        return time_of(outcome)
    references = {"speedup": outcome.scenario.baseline, "floor": outcome.scenario.floor}
    reference = by_key.get(references.get(what, "jsonl"))
    if reference is None or not reference.ok:
        return None
    if what == "speedup":
        return time_of(reference) / time_of(outcome)
    if what == "floor":
        return time_of(outcome) / time_of(reference)
    if what == "growth":
        return time_of(outcome) / time_of(reference)
    raise ValueError(what)


def table(outcomes: list[Outcome], by_key: dict[str, Outcome]) -> list[str]:
    """One row per scenario; ``vs naive`` (times faster) and ``vs floor`` (times slower) on wall
    time, then on CPU time."""
    lines = [
        "| scenario | command | median s | min s | max s | CPU s | peak RSS MB | vs naive "
        "(wall / CPU) | vs floor (wall / CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in outcomes:
        key, command = f"`{outcome.scenario.key}`", f"`{outcome.command}`"
        if not outcome.ok:
            why = f"skipped: {outcome.skipped}" if outcome.skipped else "**FAILED** (below)"
            lines.append(f"| {key} | {command} | {why} | | | | | | |")
            continue
        times = [s.seconds for s in outcome.samples]
        versus = "–"
        naive = by_key.get(outcome.scenario.baseline)
        if outcome.scenario.versus_naive and naive and naive.ok:
            versus = f"{naive.median / outcome.median:.2f}x / {naive.cpu / outcome.cpu:.2f}x"
        above = "–"
        floor = by_key.get(outcome.scenario.floor)
        if outcome.scenario.versus_naive and floor and floor.ok:
            above = f"{outcome.median / floor.median:.1f} / {outcome.cpu / floor.cpu:.1f}"
        lines.append(
            f"| {key} | {command} | {outcome.median:.2f} | {min(times):.2f} | {max(times):.2f} "
            f"| {outcome.cpu:.2f} | {outcome.rss:.0f} | {versus} | {above} |"
        )
    notes = [f"- `{o.scenario.key}`: {o.scenario.note}" for o in outcomes if o.scenario.note]
    return [*lines, "", *notes] if notes else lines


def report(
    settings: Settings, outcomes: list[Outcome], inputs: Inputs, env: dict[str, str], kept: str
) -> str:
    by_key = {o.scenario.key: o for o in outcomes}
    rows = target_rows(outcomes)
    counts = {
        "n": f"{settings.n:,}",
        "jsonl_n": f"{settings.jsonl_n:,}",
        "jsonl_10x": f"{10 * settings.jsonl_n:,}",
        "library_n": f"{settings.n:,}",
        "library_size": f"{settings.library_size:,}",
    }
    mode = "quick (smoke test: sizes too small for the targets)" if settings.quick else "full"
    runs = f"median of {settings.runs} run(s)" + (" after one warm-up" if settings.warmup else "")
    out = [
        "# feed2book benchmarks",
        "",
        f"Written by `python benchmarks/run.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{mode}; N = {settings.n:,}; {runs}. Every command is a fresh process (the OS file "
        "cache is warm); peak RSS is the largest seen over the runs (the OS's `ru_maxrss`, or the "
        "process tree's sampled sum when larger); CPU s is user + system time (above the wall "
        "time when several cores work). `vs naive` is how many times faster than the naive "
        "baseline. Re-run with `python benchmarks/run.py`; how long that takes is under Inputs.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in machine(settings, env)),
        "",
        "## Targets (issues #9 and #19)",
        "",
        "Judged on wall time (median); the same on CPU time (user + system) is shown because it "
        "suffers less from other load on a shared machine.",
        "",
        "| target | measured | on CPU time | result |",
        "|---|---:|---:|---|",
        *(f"| {text} | {wall} | {cpu} | {result} |" for text, wall, cpu, result in rows),
        "",
    ]
    for group, title in GROUP_TITLES.items():
        members = [o for o in outcomes if o.scenario.group == group]
        if not members:
            continue
        out += [f"## {title.format(**counts)}", "", *table(members, by_key), ""]
        if group == "jsonl" and by_key.get("jsonl-10x") and by_key["jsonl-10x"].ok:
            small, large = by_key.get("jsonl"), by_key["jsonl-10x"]
            if small and small.ok:
                out += [f"t(10x) / t(1x) = {large.median / small.median:.2f} (linear: 10)", ""]
    failures = [o for o in outcomes if o.failure]
    if failures:
        out += ["## Failures", ""]
        for outcome in failures:
            out += [f"### `{outcome.scenario.key}`", "", outcome.failure, ""]
    out += ["## Inputs", "", *(f"- {note}" for note in inputs.notes), ""]
    out += ["## Before/after", "", BEFORE_AFTER_START, kept, BEFORE_AFTER_END, ""]
    return "\n".join(out)


def kept_before_after(path: Path) -> str:
    """The hand-written before/after section of an earlier report, or the placeholder."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        start, end = text.find(BEFORE_AFTER_START), text.find(BEFORE_AFTER_END)
        if start != -1 and end > start:
            return text[start + len(BEFORE_AFTER_START) : end].strip("\n")
    return BEFORE_AFTER_PLACEHOLDER


# --- command line --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, Path, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 200, 1 run, no warm-up")
    parser.add_argument("--n", type=int, help="articles in the one-feed corpus (default 2000)")
    parser.add_argument("--runs", type=int, help="timed runs per scenario (default 3)")
    parser.add_argument("--jsonl-n", type=int, help="articles for `jsonl` (default N; 10x too)")
    parser.add_argument("--library-size", type=int, help="articles in the big library (100000)")
    parser.add_argument("--out", type=Path, help="the report (default benchmarks/RESULTS.md)")
    parser.add_argument("--only", help="comma-separated scenario keys to run")
    parser.add_argument("--note", default="", help="a line for the machine table")
    parser.add_argument(
        "--feed2book",
        default=shlex.join([sys.executable, "-m", "feed2book"]),
        help="the feed2book command (default: this python -m feed2book)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args(argv)
    quick = options.quick
    n = options.n or (200 if quick else 2_000)
    runs = options.runs or (1 if quick else 3)
    settings = Settings(
        n=n,
        runs=runs,
        warmup=not quick,
        jsonl_n=options.jsonl_n or (50 if quick else n),
        library_size=options.library_size or (2_000 if quick else 100_000),
        quick=quick,
        feed2book=shlex.split(options.feed2book),
        only=set(options.only.split(",")) if options.only else None,
        note=options.note,
    )
    if settings.only is not None:
        unknown = settings.only - {s.key for s in SCENARIOS}
        if unknown:
            parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    out = options.out
    if out is None:
        out = BENCH / "RESULTS.md" if not quick else Path(tempfile.gettempdir()) / "RESULTS.md"
    return settings, out, options.keep


@contextlib.contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="feed2book-bench-"))
    try:
        yield root
    finally:
        if keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: the running command is killed, temp files removed


def main(argv: Sequence[str] | None = None) -> int:
    settings, out, keep = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    with workspace(keep) as root:
        env = dict(os.environ)
        # Never touch the user's own library or caches.
        env["FEED2BOOK_LIBRARY"] = str(root / "default-library.sqlite3")
        env["FEED2BOOK_CACHE_DIR"] = str(root / "cache")
        # No PYTHONPATH games: the installed feed2book is what is measured.
        started = time.perf_counter()
        outcomes, inputs = run_all(settings, root, env)
        took = time.perf_counter() - started
        span = f"{took / 60:.0f} min" if took >= 120 else f"{took:.0f} s"
        inputs.notes.append(f"the whole run, inputs included, took {span}")
        text = report(settings, outcomes, inputs, env, kept_before_after(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    say(f"wrote {out}")
    failed = [o.scenario.key for o in outcomes if o.failure]
    if failed:
        say(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
