"""Ctrl-C before a command's own handler runs: exit 130, one line, never a traceback.

A real SIGINT is delivered to a real ``feed2book`` process at the two moments before the
command's body: while ``feed2book.cli`` is being imported, and while typer builds the commands.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# The child interrupts itself at a chosen moment, then goes on as if nothing had happened.
_DURING_IMPORT = """
import builtins, os, signal, sys, time
real_import = builtins.__import__
def interrupting_import(name, *args, **kwargs):
    if name == "feed2book.cli":
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(2)
    return real_import(name, *args, **kwargs)
builtins.__import__ = interrupting_import
sys.argv = ["feed2book", "list"]
from feed2book.__main__ import main
main()
"""

_DURING_TYPER_SET_UP = """
import os, signal, sys, time
import typer.main
real_get_command = typer.main.get_command
def interrupting_get_command(app):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(2)
    return real_get_command(app)
typer.main.get_command = interrupting_get_command
sys.argv = ["feed2book", "list"]
from feed2book.__main__ import main
main()
"""


@pytest.mark.parametrize("code", [_DURING_IMPORT, _DURING_TYPER_SET_UP], ids=["import", "typer"])
def test_ctrl_c_before_the_command_runs_exits_130_without_a_traceback(code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "feed2book: error: interrupted\n"
    assert done.stdout == ""
