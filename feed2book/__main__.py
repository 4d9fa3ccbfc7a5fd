"""``python -m feed2book`` and the ``feed2book`` console script.

Ctrl-C at any moment ends the run the same way: one line on stderr and exit status 130, never a
traceback. While the CLI is still being imported and typer is still building its commands (the
first few tenths of a second, longer on a loaded machine) nothing has been written yet, so the
process can simply leave; once a command runs, its own handler cleans up first.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

INTERRUPTED = 130
_MESSAGE = b"feed2book: error: interrupted\n"


def _leave_quietly(signum: int, frame: FrameType | None) -> None:
    os.write(2, _MESSAGE)
    os._exit(INTERRUPTED)


def main() -> None:
    previous = signal.signal(signal.SIGINT, _leave_quietly)
    try:
        _head_start()
        from feed2book.cli import main as run
    except KeyboardInterrupt:  # arrived before the handler above was installed
        sys.stderr.write(_MESSAGE.decode())
        raise SystemExit(INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        run()
    except KeyboardInterrupt:  # between start-up and a command's own handler (typer's set-up)
        sys.stderr.write(_MESSAGE.decode())
        raise SystemExit(INTERRUPTED) from None


def _head_start() -> None:
    """Helpers for a big local feed start importing now, beside this process's own imports
    (``feed2book.headstart``). A failure here only loses the head start."""
    try:
        from feed2book.headstart import start_helpers

        start_helpers(sys.argv[1:])
    except Exception:  # the command itself will meet and report it
        pass


if __name__ == "__main__":
    main()
