"""Named exceptions. Each carries a one-line message (and optionally a hint) that the CLI prints
as ``feed2book: error: <message>`` without a traceback."""

from __future__ import annotations


class Feed2BookError(Exception):
    """Base class: ``str(error)`` is a complete sentence fit for the user."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


class SourceError(Feed2BookError):
    """A source could not be read or is not a feed. The message names the source."""

    def __init__(self, source: str, reason: str, *, hint: str = "") -> None:
        super().__init__(f"{source}: {reason}", hint=hint)
        self.source = source
        self.reason = reason


class FetchError(SourceError):
    """A URL could not be fetched (network, HTTP status, size or time limit)."""


class NotAFeedError(SourceError):
    """The bytes are not RSS, Atom, JSON Feed, OPML or feed2book JSON Lines."""


class UsageError(Feed2BookError):
    """The command line asks for something impossible (bad date, bad regex, bad option mix)."""


class OutputError(Feed2BookError):
    """An output cannot be written (exists and is not ours, read-only or full directory)."""


class NothingToOutput(Feed2BookError):
    """No article was selected, so nothing was written."""


def describe(error: BaseException) -> str:
    """One line saying what went wrong, for an exception no named error covered: the file and
    the system's reason for an ``OSError``, the library for a database error, and so on."""
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        if error.filename is not None and error.filename2 is not None:
            return f"{error.filename} -> {error.filename2}: {reason}"
        if error.filename is not None:
            return f"{error.filename}: {reason}"
        return f"a read or write failed ({reason})"
    if type(error).__module__ == "sqlite3":  # without importing sqlite3 at startup
        return f"the library database failed ({error})"
    if isinstance(error, OverflowError):
        return f"a number or date is out of range ({error})"
    if isinstance(error, MemoryError):
        return "out of memory"
    return f"unexpected {type(error).__name__}: {error}"
