"""The package list in pyproject.toml is explicit: every subpackage must be in it, or a wheel
built from it would miss code that an editable install hides."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_every_subpackage_is_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "feed2book").rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)
