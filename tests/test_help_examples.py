"""Every example in every command's ``--help`` is printed on one line at 80 columns and runs
from the repository root (the bundled examples, ``../shared/seeds`` when present)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from feed2book.cli import app
from tests.conftest import REPO

SHARED = REPO.parent / "shared"
NETWORK = ("http://", "https://", "--send", "--to ")
SERVERS = ("feed2book serve",)  # they run until stopped: tests/test_opds.py runs one
# Producers first: `check` reads books `epub` wrote, `library import` a file `export` wrote.
ORDER = [
    "epub",
    "markdown",
    "cover",
    "jsonl",
    "list",
    "add",
    "sync",
    "sources",
    "library",
    "opds",
    "serve",
    "check",
    "send",
    "remove",
]


def commands() -> Iterator[tuple[str, str | None]]:
    root = typer.main.get_command(app)

    def walk(command: object, path: list[str]) -> Iterator[tuple[str, str | None]]:
        children = getattr(command, "commands", None)
        if children is None:
            yield " ".join(path), getattr(command, "help", None)
            return
        for name, child in children.items():
            yield from walk(child, [*path, name])

    return walk(root, [])


def examples() -> list[tuple[str, str]]:
    found = [
        (name, line.strip())
        for name, text in commands()
        for line in (text or "").splitlines()
        if line.strip().startswith(("feed2book ", "cd "))
    ]
    return sorted(found, key=lambda pair: ORDER.index(pair[0].split()[0]))


def test_every_command_has_examples() -> None:
    have = {name for name, _ in examples()}
    assert have == {name for name, _ in commands()}


@pytest.mark.parametrize("name", sorted({name for name, _ in examples()}))
def test_examples_are_printed_whole_on_one_line_at_80_columns(name: str) -> None:
    result = CliRunner().invoke(app, [*name.split(), "--help"], env={"COLUMNS": "80"})
    shown = [" ".join(line.strip(" │").split()) for line in result.stdout.splitlines()]
    for command, example in examples():
        if command == name:
            assert " ".join(example.split()) in shown


def test_every_example_runs_from_the_repository_root(tmp_path: Path) -> None:
    """In a copy of the repository root's layout (``examples`` and ``../shared`` linked), so
    that what the examples write lands in ``tmp_path``."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "examples").symlink_to(REPO / "examples")
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    ran = []
    for _, example in examples():
        if any(marker in example for marker in NETWORK + SERVERS):
            continue
        if "../shared/" in example and not SHARED.is_dir():
            continue
        if "mdbook" in example and shutil.which("mdbook") is None:
            continue
        if "| jq" in example and shutil.which("jq") is None:
            continue
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", example],
            cwd=root,
            env={**os.environ, "PATH": path, "COLUMNS": "80"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{example}\n{done.stderr}"
        ran.append(example)
    assert "feed2book epub examples/feeds -o books/" in ran
