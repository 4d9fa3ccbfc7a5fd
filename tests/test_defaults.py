"""``feed2book.defaults``: every default is decided once, and the literals cannot creep back.

The package's source is read with ``ast`` (nothing is imported). A number that is one of the
defaults below (the per-operation timeout, a download's deadline, the image and cover sizes, a
size cap, the zip epoch) may appear only in ``defaults.py``; so may the default language as the
default of a parameter, a field or a ``*LANGUAGE*`` name. The rule is a function over source
text, so it is also run on made-up modules that break it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from feed2book import defaults
from tests.conftest import REPO

PACKAGE = REPO / "feed2book"
HOME = PACKAGE / "defaults.py"

# Values that mean one default wherever they are written (same type: 60 minutes is not 60.0 s).
NUMBERS: dict[int | float, str] = {
    defaults.TIMEOUT: "TIMEOUT",
    defaults.DEADLINE: "DEADLINE",  # also SMTP_TIMEOUT and PASSWORD_COMMAND_TIMEOUT
    defaults.LIST_DEADLINE: "LIST_DEADLINE",
    defaults.IMAGE_MAX_PX: "IMAGE_MAX_PX",  # also COVER_SIZE's width
    defaults.EPUB_ZIP_TIME[0]: "EPUB_ZIP_TIME",
    defaults.MAX_FEED_BYTES: "MAX_FEED_BYTES",
    defaults.MAX_LOCAL_BYTES: "MAX_LOCAL_BYTES",
    defaults.MAX_IMAGE_BYTES: "MAX_IMAGE_BYTES",
    defaults.MAX_PAGE_BYTES: "MAX_PAGE_BYTES",  # and KINDLE_MAX_IMAGE_BYTES
}


def _value(node: ast.expr) -> int | float | None:
    """A number written as a literal or as a product of literals (``50 * 1024 * 1024``)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value  # type: ignore[no-any-return]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _value(node.left), _value(node.right)
        if left is not None and right is not None:
            return left * right
    return None


def _numbers(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr):
            continue
        value = _value(node)
        for default, name in NUMBERS.items():
            if value is not None and type(value) is type(default) and value == default:
                yield node.lineno, f"{value!r} (use defaults.{name})"


def _language_defaults(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Where the default language is written as a default: a parameter's, a field's, a name's."""
    spots: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            spots.extend(node.args.defaults)
            spots.extend(d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.ClassDef):
            spots.extend(
                child.value
                for child in node.body
                if isinstance(child, ast.AnnAssign | ast.Assign) and child.value is not None
            )
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and "LANGUAGE" in t.id for t in targets):
                spots.append(node.value)
    for spot in spots:
        if isinstance(spot, ast.Constant) and spot.value == defaults.LANGUAGE:
            yield spot.lineno, f"{spot.value!r} as a default (use defaults.LANGUAGE)"


def strays(source: str) -> list[str]:
    """``line: what`` for every default written out in ``source``."""
    tree = ast.parse(source)
    found = [*_numbers(tree), *_language_defaults(tree)]
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_no_module_but_defaults_writes_a_default_out() -> None:
    found = {
        str(path.relative_to(REPO)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != HOME and (hits := strays(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_defaults_py_itself_holds_every_watched_value() -> None:
    assert len(strays(HOME.read_text(encoding="utf-8"))) >= len(NUMBERS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("timeout: float = 15.0\n", ["1: 15.0 (use defaults.TIMEOUT)"]),
        ("def f(max_px=1600): pass\n", ["1: 1600 (use defaults.IMAGE_MAX_PX)"]),
        ("CAP = 50 * 1024 * 1024\n", ["1: 52428800 (use defaults.MAX_FEED_BYTES)"]),
        ("WHEN = (1980, 1, 1, 0, 0, 0)\n", ["1: 1980 (use defaults.EPUB_ZIP_TIME)"]),
        ("SIZE = (1600, 2560)\n", ["1: 1600 (use defaults.IMAGE_MAX_PX)"]),
        ("def f(language='en'): pass\n", ["1: 'en' as a default (use defaults.LANGUAGE)"]),
        (
            "class Spec:\n    language: str = 'en'\n",
            ["2: 'en' as a default (use defaults.LANGUAGE)"],
        ),
        ("DEFAULT_LANGUAGE = 'en'\n", ["1: 'en' as a default (use defaults.LANGUAGE)"]),
    ],
)
def test_a_default_written_out_is_found(source: str, expected: list[str]) -> None:
    assert strays(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "MINUTE = 60\n",  # an int sixty is not the 60.0-second deadline
        "ms = int(seconds * 1000)\n",
        "NAMES = {'english': 'en'}\n",  # a language name's code is data, not a default
        "# the timeout is 15.0 seconds\n",
        "'''1600 px'''\n",
    ],
)
def test_other_uses_of_the_same_digits_are_not(source: str) -> None:
    assert strays(source) == []


def test_the_defaults_are_what_the_package_uses() -> None:
    from feed2book.covers.render import COVER_SIZE
    from feed2book.fulltext.options import PageOptions
    from feed2book.images.options import ImageOptions
    from feed2book.sources.fetch import FetchLimits

    assert FetchLimits().timeout == ImageOptions().timeout == PageOptions().timeout
    assert FetchLimits().timeout == defaults.TIMEOUT
    assert FetchLimits().max_bytes == defaults.MAX_FEED_BYTES
    assert ImageOptions().max_px == defaults.IMAGE_MAX_PX
    assert COVER_SIZE == defaults.COVER_SIZE
