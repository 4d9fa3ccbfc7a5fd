"""The package list in pyproject.toml is explicit: every subpackage must be in it, or a wheel
built from it would miss code that an editable install hides."""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.resources import files
from pathlib import Path, PurePosixPath

import pytest

from tests.conftest import REPO


def test_every_subpackage_is_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "feed2book").rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)


# A declared dependency's import name, where it differs from the distribution's.
IMPORT_NAMES = {"pillow": "PIL", "fonttools": "fontTools", "readability-lxml": "readability"}
# Declared for another dependency's sake, never imported by feed2book itself.
NOT_IMPORTED = {"lxml_html_clean": "lxml.html.clean for trafilatura and justext (see pyproject)"}


def test_every_declared_dependency_is_imported_by_the_package() -> None:
    """A library in ``dependencies`` that no module imports is weight for every install (nh3
    was one: see benchmarks/PROFILE.md)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = {
        re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()
        for requirement in config["project"]["dependencies"]
    }
    imported: set[str] = set()
    for path in (REPO / "feed2book").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    unused = {
        name
        for name in declared - NOT_IMPORTED.keys()
        if IMPORT_NAMES.get(name, name) not in imported
    }
    assert unused == set()


def _matches(relative: PurePosixPath, pattern: str) -> bool:
    """setuptools' glob: ``*`` stays within one folder."""
    parts = PurePosixPath(pattern).parts
    return len(parts) == len(relative.parts) and all(
        fnmatch.fnmatchcase(name, glob) for name, glob in zip(relative.parts, parts, strict=True)
    )


def test_every_data_file_is_package_data() -> None:
    """Themes, fonts, the JSON schema: a file that no package-data glob names is missing from
    a wheel (and only from a wheel: an editable install reads the checkout)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    missing = []
    for path in sorted((REPO / "feed2book").rglob("*")):
        if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        folder = path.parent
        while not (folder / "__init__.py").is_file():
            folder = folder.parent
        package = ".".join(folder.relative_to(REPO).parts)
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if not any(_matches(relative, pattern) for pattern in globs.get(package, [])):
            missing.append(f"{package}: {relative}")
    assert missing == []


def test_the_cover_themes_and_fonts_are_data_of_the_covers_package() -> None:
    themes = files("feed2book.covers.themes")
    assert {"geometric.toml", "series.toml", "typographic.toml"} <= {
        p.name for p in themes.iterdir()
    }
    assert themes.joinpath("fonts", "inter", "OFL.txt").is_file()


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    """A non-editable build: every file of the source tree (and the examples) is in the wheel."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("feed2book-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        inside = {name for name in archive.namelist() if name.startswith("feed2book/")}
    expected = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "feed2book").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    } | {f"feed2book/examples/feeds/{p.name}" for p in (REPO / "examples" / "feeds").iterdir()}
    assert expected - inside == set()
