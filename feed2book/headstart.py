"""The helper processes started before the CLI is imported, when the command line names a big
local feed.

Importing the CLI (typer, rich, lxml, feedparser, the cleaner) takes this process about 0.3 s;
a helper takes as long to import the cleaner. Started when the feed is parsed, the helper is
ready 0.3 s after the first articles could have gone to it. Started here, it imports while this
process does, and cleans from the first article. Only files are looked at (a download's size is
known once it is fetched, and a directory or glob is read later): XML whose ``<item``/``<entry``
count (``items_in``, the count ``parse.feed`` starts its helpers by) reaches
``parallel.MIN_ITEMS``. Nothing is started when the machine has one core, with
``FEED2BOOK_WORKERS=1``, or for a command that reads no feeds.

This module imports nothing of the CLI: its point is to run before it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from feed2book.defaults import MAX_FEED_BYTES

__all__ = ["READING_COMMANDS", "items_in", "start_helpers"]

# The commands whose arguments are feeds (the others read the library, or no feed at all).
READING_COMMANDS = frozenset({"epub", "markdown", "jsonl", "list", "add"})
WORK_MODULE = "feed2book.parse.feed"  # what a helper imports to clean a feed's entries
_SNIFF = 1024
_BLOCK = 256 * 1024


def items_in(data: bytes) -> int:
    """About how many entries an RSS or Atom document holds (tags counted, not parsed)."""
    return data.count(b"<item") + data.count(b"<entry")


def start_helpers(arguments: Sequence[str]) -> int:
    """Start the helpers (importing ``WORK_MODULE``) when ``arguments`` (the command line after
    the program's name) is a reading command over local XML files with enough entries in all.
    Returns the entries counted: counting stops at ``parallel.MIN_ITEMS``, and nothing is
    counted when nothing would be started."""
    if not arguments or arguments[0] not in READING_COMMANDS:
        return 0
    # Only here: the other commands never load the pool (threads, subprocess, pickle), and
    # parse.feed takes ``items_in`` from this module without it.
    from feed2book import parallel

    if parallel.worker_count() < 2:
        return 0
    expected = 0
    for argument in arguments[1:]:
        if argument.startswith("-"):
            continue
        expected += _items_in_file(argument, parallel.MIN_ITEMS - expected)
        if expected >= parallel.MIN_ITEMS:
            parallel.preload(expected, WORK_MODULE)
            return expected
    return expected


def _items_in_file(path: str, wanted: int) -> int:
    """The entries ``items_in`` counts in the file at ``path``, read a block at a time until
    ``wanted`` are found (a big feed is not read twice whole); 0 for what is not a regular file
    of XML text."""
    try:
        status = os.stat(path)
        # A regular file only: opening a named pipe would wait for, and take, its writer's data.
        # Past MAX_FEED_BYTES, parse.feed refuses the file unread.
        if not stat.S_ISREG(status.st_mode) or not 0 < status.st_size <= MAX_FEED_BYTES:
            return 0
        with open(path, "rb") as handle:
            data = handle.read(_SNIFF)
            if b"<" not in data or b"\0" in data:  # a zip, an image, a database: not XML text
                return 0
            count = 0
            while count < wanted:
                block = handle.read(_BLOCK)
                if not block:
                    return count + items_in(data)
                data += block
                # Up to the last "<": both tags start with one, so none is cut in two.
                cut = data.rfind(b"<")
                count += items_in(data[:cut])
                data = data[cut:]
            return count
    except (OSError, ValueError):  # a URL, a glob, an option's value: read later, if at all
        return 0
