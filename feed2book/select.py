"""Selecting articles: duplicates, revisions and the user's filters. Pure functions.

- Duplicates: the same ``id`` seen twice (a feed listed twice, dev.to and forem.com) is one article;
  the copy updated last wins, then the longer one.
- Revisions: the same ``revision_key`` (author + normalised title) under different ids is one post
  republished; the newest wins unless ``all_revisions``.
- Filters: author (handle or name), tag, series, date window, title regex; ``limit`` keeps the N
  newest of what matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from feed2book.errors import UsageError
from feed2book.identity import normalise_title
from feed2book.models import Article

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdwmy])\s*$", re.I)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass(frozen=True, slots=True)
class Selection:
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    title_match: re.Pattern[str] | None = None
    limit: int | None = None
    all_revisions: bool = False

    def matches(self, article: Article) -> bool:
        if self.authors and not any(_author_matches(article, wanted) for wanted in self.authors):
            return False
        if self.tags:
            have = {tag.casefold().lstrip("#") for tag in article.tags}
            if not any(tag.casefold().lstrip("#") in have for tag in self.tags):
                return False
        if self.series:
            if article.series is None:
                return False
            name = normalise_title(article.series.name)
            if not any(normalise_title(wanted) == name for wanted in self.series):
                return False
        if self.since and article.published < self.since:
            return False
        if self.until and article.published >= self.until:
            return False
        return not (self.title_match and not self.title_match.search(article.title))


def _author_matches(article: Article, wanted: str) -> bool:
    wanted = wanted.strip().lstrip("@").casefold()
    return any(
        wanted in (author.handle.casefold(), author.name.casefold()) for author in article.authors
    )


def parse_when(value: str, now: datetime, *, end_of_day: bool = False) -> datetime:
    """``2026-05-01``, ``2026-05-01T10:00:00+02:00``, or relative: ``30d``, ``2w``, ``6m``, ``1y``.

    A bare date given as an upper bound means the end of that day (so ``--until 2026-05-01``
    includes articles of the 1st).
    """
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        try:
            if unit == "h":
                return now - timedelta(hours=amount)
            return now - timedelta(days=amount * _UNIT_DAYS[unit])
        except OverflowError:
            raise UsageError(
                f"{value.strip()!r} reaches back before the year 1",
                hint="use a shorter span, or leave the option out to take every date",
            ) from None
    try:
        if len(value.strip()) == 10:
            day = date.fromisoformat(value.strip())
            start = datetime.combine(day, time(), tzinfo=UTC)
            return _shift(start, timedelta(days=1)) if end_of_day else start
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"cannot read {value!r} as a date",
            hint="use an ISO date like 2026-05-01 or a span like 30d, 2w, 6m, 1y",
        ) from None
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    return _shift(stamp.replace(tzinfo=UTC), -(stamp.utcoffset() or timedelta(0)))


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _shift(stamp: datetime, delta: timedelta) -> datetime:
    """``stamp + delta``, held at the ends of the calendar (the end of 9999-12-31 is as late as
    a date can be, not an error)."""
    try:
        return stamp + delta
    except OverflowError:
        return _LATEST if delta > timedelta(0) else _EARLIEST


def compile_title_match(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise UsageError(
            f"--title-match {pattern!r} is not a valid regular expression ({error})"
        ) from None


@dataclass(frozen=True, slots=True)
class Candidate:
    """What deduplication needs to know about an article, without its content."""

    id: str
    revision_key: str
    published: datetime
    updated: datetime | None
    size: int


@dataclass(frozen=True, slots=True)
class Deduplicated:
    keep: frozenset[int]  # positions of the kept candidates
    duplicates: int  # same id seen again
    revisions: int  # older republished copies dropped


def deduplicate(candidates: list[Candidate], *, all_revisions: bool = False) -> Deduplicated:
    """Choose which of ``candidates`` (in the order seen) survive."""
    by_id: dict[str, int] = {}
    for position, candidate in enumerate(candidates):
        best = by_id.get(candidate.id)
        if best is None or _fresher(candidate, candidates[best]):
            by_id[candidate.id] = position
    duplicates = len(candidates) - len(by_id)
    if all_revisions:
        return Deduplicated(frozenset(by_id.values()), duplicates, 0)
    by_revision: dict[str, int] = {}
    for position in sorted(by_id.values()):
        candidate = candidates[position]
        best = by_revision.get(candidate.revision_key)
        if best is None or _newer(candidate, candidates[best]):
            by_revision[candidate.revision_key] = position
    return Deduplicated(frozenset(by_revision.values()), duplicates, len(by_id) - len(by_revision))


def _fresher(a: Candidate, b: Candidate) -> bool:
    """Two copies of one article: the one updated last, then the longer, then the first seen."""
    stamp_a, stamp_b = a.updated or a.published, b.updated or b.published
    if stamp_a != stamp_b:
        return stamp_a > stamp_b
    return a.size > b.size


def _newer(a: Candidate, b: Candidate) -> bool:
    """Two revisions of one post: the one published last (ties: updated last, then the id)."""
    key_a = (a.published, a.updated or a.published, a.id)
    key_b = (b.published, b.updated or b.published, b.id)
    return key_a > key_b
