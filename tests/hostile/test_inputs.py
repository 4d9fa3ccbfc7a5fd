"""Hostile and broken input files through every command, each beside the example feeds.

For every case in ``corpus.CASES`` and every command (jsonl, list, epub, markdown): the exit code
is the documented one (0 when the file was read, 1 when it was rejected), stderr holds only
``feed2book: …`` lines (a rejected file gets exactly one error line naming it), no traceback, the
example feeds of the same run still come out complete, nothing the case marks ``absent`` (an
expanded entity, the XXE secret) appears in any output, and the command stays under 10 s and
(for heavy cases, measured in a child process) 500 MB: 10 s of CPU, 30 s of wall time (a
loaded machine stretches the latter). Every EPUB built from hostile input passes
EPUBCheck (one JVM for all of them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.hostile.corpus import CASES, Expect, InputCase
from tests.hostile.runner import (
    COMMANDS,
    MEMORY_LIMIT_MB,
    TIME_LIMIT,
    WALL_LIMIT,
    Run,
    assert_clean_stderr,
    example_sources,
    output_blobs,
    run_command,
)

RunCase = Callable[..., dict[str, Run]]
# Heavy cases run these in a measured child (reading is the same for every command; these two
# write the most); the other commands run in-process.
MEASURED = ("jsonl", "epub")
PARAMETERS = [
    pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.slow else [])
    for case in CASES
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The example feeds alone, through every command: what must still come out beside a case."""
    runs = {}
    for command in COMMANDS:
        out = tmp_path_factory.mktemp(f"baseline-{command}")
        runs[command] = run_command(command, example_sources(), out)
        assert runs[command].code == 0, runs[command].stderr
    return runs


@pytest.fixture(scope="module")
def run_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunCase]:
    """Runs a case through the commands asked for, once per module and worker (the EPUBCheck
    test reuses what this worker already built, and builds only the books it lacks)."""
    done: dict[str, dict[str, Run]] = {}

    def run(
        case: InputCase, commands: tuple[str, ...] = COMMANDS, *, measure: bool = True
    ) -> dict[str, Run]:
        runs = done.setdefault(case.name, {})
        if "source" not in runs:
            work = tmp_path_factory.mktemp(case.name)
            runs["source"] = Run("source", 0, str(case.write(work)).encode(), "", 0, work)
        source, folder = runs["source"].stdout.decode(), runs["source"].output_dir
        assert folder is not None
        for command in commands:
            if command not in runs:
                measured = measure and case.heavy and command in MEASURED
                sources = [source, *example_sources()]
                runs[command] = run_command(command, sources, folder / command, measure=measured)
        return runs

    yield run


def _source(runs: dict[str, Run]) -> str:
    return runs["source"].stdout.decode()


@pytest.mark.parametrize("case", PARAMETERS)
def test_hostile_file_through_every_command(
    case: InputCase, run_case: RunCase, baseline: dict[str, Run]
) -> None:
    runs = run_case(case)
    source = _source(runs)
    for command in COMMANDS:
        run = runs[command]
        context = f"{case.name} / {command}:\n{run.stderr}"
        assert_clean_stderr(run)
        assert run.cpu_seconds < TIME_LIMIT, f"{context}took {run.cpu_seconds:.1f} s of CPU"
        assert run.seconds < WALL_LIMIT, f"{context}took {run.seconds:.1f} s"
        if run.peak_mb is not None:
            assert run.peak_mb < MEMORY_LIMIT_MB, f"{context}peak {run.peak_mb:.0f} MB"
        if case.expect is Expect.REJECTED:
            assert run.code == 1, context
            errors = [line for line in run.errors() if "no articles" not in line]
            assert len(errors) == 1, context
            assert errors[0].startswith(f"feed2book: error: {source}: "), context
            assert case.message in errors[0], context
        else:
            assert run.code == 0, context
            assert run.errors() == [], context
            if case.message:
                assert any(source in line and case.message in line for line in run.warnings()), (
                    context
                )
        _assert_examples_still_built(run, baseline[command])
        for where, data in output_blobs(run):
            text = data.decode("utf-8", "replace")
            for absent in case.absent:
                assert absent not in text, f"{context}{absent!r} found in {where}"
        for absent in case.absent:
            assert absent not in run.stderr, context
    if case.expect is Expect.READ:
        _assert_content_survived(case, runs["jsonl"])


def _records(run: Run) -> list[dict[str, object]]:
    return [json.loads(line) for line in run.stdout.decode().splitlines()]


def _assert_examples_still_built(run: Run, baseline: Run) -> None:
    """The example feeds of the same run come out just as they do alone."""
    if run.command == "jsonl":
        ids = {record["id"] for record in _records(run)}
        assert {record["id"] for record in _records(baseline)} <= ids
    elif run.command == "list":
        for handle in ("priya_raman", "tomas_ferreira", "lena_vogel"):
            assert handle in run.stdout.decode()
    else:
        assert run.output_dir is not None and baseline.output_dir is not None
        wanted = {path.name for path in baseline.output_dir.iterdir()}
        assert wanted <= {path.name for path in run.output_dir.iterdir()}


def _assert_content_survived(case: InputCase, run: Run) -> None:
    records = _records(run)
    titles = {str(record["title"]) for record in records}
    for title in case.titles:
        assert title in titles, f"{case.name}: {title!r} not among {sorted(titles)}"
    contents = "\n".join(str(record["content_html"]) for record in records)
    for text in case.present:
        assert text in contents, f"{case.name}: {text!r} lost"


def test_every_epub_built_from_hostile_input_passes_epubcheck(
    run_case: RunCase, baseline: dict[str, Run]
) -> None:
    assert baseline["epub"].output_dir is not None
    example_books = {path.name for path in baseline["epub"].output_dir.iterdir()}
    quick = [case for case in CASES if not case.slow]
    books = {
        f"{case.name}/{path.name}": path
        for case in quick
        if case.expect is Expect.READ
        # Books this worker has not built yet are built in-process: quicker, and what is
        # checked here is the book, not the time or memory it took.
        for path in run_case(case, ("epub",), measure=False)["epub"].epubs()
        if path.name not in example_books
    }
    read = [case for case in quick if case.expect is Expect.READ]
    assert len(books) >= len(read), sorted(books)
    assert_all_epubcheck_clean(books)
