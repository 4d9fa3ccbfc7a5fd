"""``python -m feed2book`` and the ``feed2book`` console script.

Ctrl-C while Python is still importing the CLI (its first few tenths of a second) ends the run
the same way as later: one line on stderr and exit status 130, never a traceback.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    try:
        from feed2book.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("feed2book: error: interrupted\n")
        raise SystemExit(INTERRUPTED) from None
    run()


if __name__ == "__main__":
    main()
