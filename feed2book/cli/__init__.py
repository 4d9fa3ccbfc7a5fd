"""The ``feed2book`` command line (typer and rich live here only).

``commands`` holds the typer ``app`` and the book commands (``epub``, ``markdown``, ``jsonl``,
``list``, ``cover``), ``library`` the library commands, ``delivery`` ``send`` and ``check``,
``options`` the shared options and their groups, ``params`` a command's options as one frozen
dataclass, ``session`` what a command run shares (reading, messages, exit status),
``building`` and ``targets`` the one build path of ``epub`` and ``markdown``, ``console`` the
``Environment``, messages and progress, ``listing`` and ``tables`` the text the commands
print. ``main`` and ``app`` are imported on first use, so ``import feed2book.cli`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.cli.commands import app, main

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "app": "feed2book.cli.commands",
    "main": "feed2book.cli.commands",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "app",
    "main",
]
