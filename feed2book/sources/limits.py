"""How far one run follows what OPML lists and HTML pages name (light: the CLI imports it
before it knows whether any source will be read)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from feed2book.defaults import LIST_DEADLINE, MAX_SOURCES

DEFAULT_MAX_SOURCES = MAX_SOURCES
DEFAULT_LIST_DEADLINE = LIST_DEADLINE  # seconds


@dataclass(frozen=True, slots=True)
class SourceLimits:
    """How far one run follows OPML lists and HTML pages: at most ``max_sources`` sources named
    by them, and no new one once reading those has taken ``max_seconds`` in total. Sources the
    user names are always read."""

    max_sources: int = DEFAULT_MAX_SOURCES
    max_seconds: float = DEFAULT_LIST_DEADLINE


class Budget:
    """What a run has spent of its ``SourceLimits``: share one between the reads of one run
    (``sync`` reads each remembered source on its own, under one budget)."""

    def __init__(
        self, limits: SourceLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or SourceLimits()
        self.clock = clock
        self.followed = 0  # sources named by lists that were read (or tried)
        self.seconds = 0.0  # time spent reading them

    def spent(self) -> str | None:
        """Why no further listed source may be read, or ``None`` while the budget lasts."""
        if self.followed >= self.limits.max_sources:
            return f"the run's limit of {self.limits.max_sources} was reached (--max-sources)"
        if self.seconds >= self.limits.max_seconds:
            return f"reading them took the run's {self.limits.max_seconds:g} s (--list-deadline)"
        return None
