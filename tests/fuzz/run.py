"""A long fuzzing run over feed2book's parsing, cleaning and writers, outside CI.

    python -m tests.fuzz.run --minutes 10            # every target, ten minutes in all
    python -m tests.fuzz.run --minutes 60 --target html --seed 7

It drives the hypothesis strategies of ``tests/hostile/strategies.py`` (generated RSS, Atom and
JSON Feed, tag soup, mutated feeds: the example feeds and, when present, ``../shared`` seed and
practice feeds) through the checks of ``tests/hostile/invariants.py``, batch after batch with
fresh randomness until the time is up. Each failing input is saved in ``tests/fuzz/corpus/``
(named by its hash; ``.feed`` or ``.html``) and replayed first on every later run, so a fixed bug
stays fixed. At the end it prints how long it ran, how many examples each target saw and every
distinct failure (exception type and where it was raised). Exit status 1 when something failed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.conftest import PRACTICE, SEEDS
from tests.hostile import strategies
from tests.hostile.invariants import check_feed, check_html

CORPUS = Path(__file__).resolve().parent / "corpus"
BATCH = 200  # examples per hypothesis run; each run starts from fresh randomness


@dataclass
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], object]
    suffix: str  # of saved failing inputs


@dataclass
class Tally:
    examples: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # signature -> saved input
    saved: list[Path] = field(default_factory=list)


def _corpus_feeds() -> list[bytes]:
    files = (
        [*sorted(SEEDS.glob("*.txt")), *sorted(PRACTICE.glob("*.xml"))]
        if SEEDS.parent.is_dir()
        else []
    )
    return strategies.EXAMPLE_FEEDS + [path.read_bytes() for path in files if path.is_file()]


def targets() -> list[Target]:
    mutated = strategies.mutated_feed(_corpus_feeds())
    return [
        Target("rss", strategies.rss_feed(), check_feed, ".feed"),
        Target("atom", strategies.atom_feed(), check_feed, ".feed"),
        Target("json-feed", strategies.json_feed(), check_feed, ".feed"),
        Target("mutated-feeds", mutated, lambda data: check_feed(data, books=False), ".feed"),
        Target(
            "bytes", st.binary(max_size=2000), lambda data: check_feed(data, books=False), ".feed"
        ),
        Target("html", strategies.html_soup(max_parts=120), check_html, ".html"),
    ]


def _signature(error: BaseException) -> str:
    """Exception type and the innermost feed2book (or test) frame it came from."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/feed2book/" in f.filename]
    frames = frames or traceback.extract_tb(error.__traceback__)[-1:]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {where}"


def _save(data: bytes | str, suffix: str) -> Path:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    CORPUS.mkdir(exist_ok=True)
    path = CORPUS / (hashlib.sha256(raw).hexdigest()[:16] + suffix)
    path.write_bytes(raw)
    return path


def replay(tally: Tally) -> None:
    """Every saved input first: a bug once found must stay fixed."""
    for path in sorted(CORPUS.glob("*")) if CORPUS.is_dir() else []:
        data = path.read_bytes()
        try:
            if path.suffix == ".html":
                check_html(data.decode("utf-8", "surrogatepass"))
            else:
                check_feed(data)
        except Exception as error:  # every failure is reported
            tally.failures.setdefault(_signature(error), str(path))
        tally.examples["replayed"] += 1


def fuzz(target: Target, tally: Tally, seconds: float, rng: random.Random) -> None:
    """Batches of ``BATCH`` examples until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:

        @seed(rng.getrandbits(64))
        @settings(
            max_examples=BATCH,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(target.strategy)
        def one(value: Any) -> None:
            tally.examples[target.name] += 1
            try:
                target.check(value)
            except Exception as error:
                signature = _signature(error)
                if signature not in tally.failures:
                    path = _save(value, target.suffix)
                    tally.failures[signature] = str(path)
                    tally.saved.append(path)
                raise

        try:
            one()
        except Exception as error:  # recorded in the body; next batch
            print(f"  {target.name}: {_signature(error)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--target", action="append", help="rss, atom, json-feed, ... (all)")
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args(argv)
    chosen = [t for t in targets() if not options.target or t.name in options.target]
    rng = random.Random(options.seed)
    tally = Tally()
    started = time.monotonic()
    replay(tally)
    budget = options.minutes * 60 - (time.monotonic() - started)
    rounds = 0
    while time.monotonic() - started < options.minutes * 60:
        rounds += 1
        for target in chosen:  # round robin, a slice each, until the time is up
            left = options.minutes * 60 - (time.monotonic() - started)
            if left <= 0:
                break
            fuzz(target, tally, min(left, max(10.0, budget / len(chosen) / 6)), rng)
    elapsed = time.monotonic() - started
    print(f"fuzzed for {elapsed / 60:.1f} min in {rounds} round(s), seed {options.seed}")
    for name, count in sorted(tally.examples.items()):
        print(f"  {name}: {count} example(s)")
    print(f"  {sum(tally.examples.values())} in all")
    if not tally.failures:
        print("no failure")
        return 0
    print(f"{len(tally.failures)} distinct failure(s):")
    for signature, where in sorted(tally.failures.items()):
        print(f"  {signature}  (input: {where})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
