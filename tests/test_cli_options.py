"""A command's options are one typed, frozen value (``EpubOptions``…) made of groups declared
once (``SelectionOptions``, ``BookLayout``…), and a command runs in an ``Environment`` it is
given: from Python, a command is a function of (environment, options), no globals involved."""

from __future__ import annotations

import inspect
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from feed2book.cli.commands import EpubOptions, MarkdownOptions, build_epub, epub_command
from feed2book.cli.console import Environment
from feed2book.cli.options import BookLayout, ImageChoices, ReportOptions, SelectionOptions
from feed2book.cli.params import build, command
from feed2book.group import GroupBy
from feed2book.images import ImageMode
from tests.conftest import EXAMPLES
from tests.epubcheck_helper import assert_epubcheck_clean


def test_the_options_of_a_command_are_its_dataclass_flattened_in_order() -> None:
    names = list(inspect.signature(epub_command).parameters)
    assert names[:4] == ["ctx", "sources", "output", "group_by"]
    assert names[-3:] == ["verbose", "quiet", "debug"]
    assert names.index("author") > names.index("force")  # the selection group in its place
    assert len(names) == len(set(names))


def test_flat_option_values_become_the_nested_value() -> None:
    options = build(
        MarkdownOptions,
        {"sources": ["feeds/"], "as_zip": True, "author": ["ben"], "group_by": GroupBy.SERIES},
    )
    assert options.as_zip and options.sources == ["feeds/"]
    assert options.reading.selection == SelectionOptions(author=["ben"])
    assert options.layout == BookLayout(group_by=GroupBy.SERIES)
    assert options.report == ReportOptions()


@dataclass(frozen=True)
class _Clashing:
    quiet: bool = False
    report: ReportOptions = field(default_factory=ReportOptions)  # --quiet again


def test_two_options_of_one_name_are_refused_when_the_command_is_made() -> None:
    def clashing(env: Environment, options: _Clashing) -> None: ...

    with pytest.raises(TypeError, match="two options share a name"):
        command(clashing)


def test_epub_runs_from_python_in_the_environment_it_is_given(tmp_path: Path) -> None:
    """What ``sync --send`` does: build the books of an ``EpubOptions`` value."""
    stderr = io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=io.BytesIO(), stderr=stderr)
    options = EpubOptions(
        sources=[str(EXAMPLES / "devto-priya-raman.xml")],
        output=tmp_path,
        layout=BookLayout(group_by=GroupBy.NONE, title="Priya"),
        images=ImageChoices(images=ImageMode.NONE),
    )
    assert build_epub(env, options) == 0
    (book,) = tmp_path.glob("*.epub")
    assert f"feed2book: wrote {book} (4 articles)" in stderr.getvalue().splitlines()
    assert env.stdout.getvalue() == b""  # type: ignore[attr-defined]
    assert_epubcheck_clean(book)
