"""Each reader's visits, for the "new since your last visit" shelf.

A visit is a run of requests with less than ``VISIT_GAP`` between them. Every request of a user
(the basic-auth name; ``""`` without auth) moves their ``last`` request time; a request more than
``VISIT_GAP`` after the previous one starts a new visit, and the previous visit's end becomes
``since``: the shelf then holds the articles the library first saw after it. A reader never seen
before gets the articles of the last ``FIRST_VISIT_WINDOW``. The times are kept in a small JSON
file (``visits.json`` in the server's cache directory), written atomically, so they survive a
restart of the server.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from feed2book.atomic import write_bytes_atomically

VISIT_GAP = timedelta(minutes=30)
FIRST_VISIT_WINDOW = timedelta(days=7)
VISITS_FILE = "visits.json"


@dataclass(frozen=True, slots=True)
class Visit:
    last: datetime  # the user's latest request
    since: datetime | None  # the end of their previous visit (None: none yet)

    def new_since(self) -> datetime:
        return self.since if self.since is not None else self.last - FIRST_VISIT_WINDOW


def next_visit(previous: Visit | None, now: datetime) -> Visit:
    """The visit state after a request at ``now``."""
    if previous is None:
        return Visit(now, None)
    if now - previous.last > VISIT_GAP:
        return Visit(now, previous.last)
    return Visit(now, previous.since)


class Visits:
    """Every user's ``Visit``, in ``path`` (read once, written on each change)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._visits = _read(path)

    def request(self, user: str, now: datetime) -> Visit:
        """Count a request of ``user`` at ``now``; returns their visit state after it."""
        with self._lock:
            visit = next_visit(self._visits.get(user), now)
            self._visits[user] = visit
            document = {
                name: {
                    "last": state.last.isoformat(),
                    "since": state.since.isoformat() if state.since else None,
                }
                for name, state in sorted(self._visits.items())
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomically(self.path, (json.dumps(document, indent=1) + "\n").encode())
            return visit


def _read(path: Path) -> dict[str, Visit]:
    """The stored visits; a missing or unreadable file is a fresh start."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {
            str(name): Visit(
                datetime.fromisoformat(state["last"]),
                datetime.fromisoformat(state["since"]) if state["since"] else None,
            )
            for name, state in document.items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}
