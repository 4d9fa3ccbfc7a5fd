"""Selecting articles: duplicates, revisions and the user's filters. Pure functions.

- Duplicates: the same ``id`` seen twice (a feed listed twice, dev.to and forem.com) is one article;
  the copy updated last wins, then the longer one. (``parse`` gives the items of one feed distinct
  ids unless they are the same item listed twice: see ``identity.feed_ids``.)
- Revisions: the same ``revision_key`` (author + normalised title) under different ids is one post
  republished only with evidence beyond the title: near-same text (``republished_text``) or, on
  Forem sites, the same slug within ``REPUBLISH_WINDOW``. The newest wins unless
  ``all_revisions``.
- Every item dropped is a ``Dropped``: which one, the kept one, and why.
- Filters: author (handle or name), tag, series, date window, title regex; ``limit`` keeps the N
  newest of what matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from difflib import SequenceMatcher
from functools import partial

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


REPUBLISH_WINDOW = timedelta(days=30)
NEAR_SAME_RATIO = 0.8  # share of the words (and link targets) two copies have in common


@dataclass(frozen=True, slots=True)
class Candidate:
    """What deduplication needs to know about an article, without its content."""

    id: str
    revision_key: str
    published: datetime
    updated: datetime | None
    size: int
    evidence: str = "same guid"  # what the id was made from (``identity.id_evidence``)
    slug: str = ""  # ``identity.forem_slug_stem``


@dataclass(frozen=True, slots=True)
class Dropped:
    position: int  # the candidate dropped
    kept: int  # the candidate kept in its place
    reason: str  # "same guid", "same link", "republished: …"
    revision: bool  # an older revision (kept with ``all_revisions``), not a duplicate


@dataclass(frozen=True, slots=True)
class Deduplicated:
    keep: frozenset[int]  # positions of the kept candidates
    duplicates: int  # same id seen again
    revisions: int  # older republished copies dropped
    dropped: tuple[Dropped, ...] = ()


SameText = Callable[[int, int], bool]  # positions -> near-same text (``republished_text``)


def deduplicate(
    candidates: list[Candidate],
    *,
    all_revisions: bool = False,
    same_text: SameText | None = None,
) -> Deduplicated:
    """Choose which of ``candidates`` (in the order seen) survive.

    ``same_text`` says whether two candidates' bodies are near-same (it is asked only about
    candidates sharing a ``revision_key``); without it, only the slug can prove a republication.
    """
    by_id: dict[str, int] = {}
    for position, candidate in enumerate(candidates):
        best = by_id.get(candidate.id)
        if best is None or _fresher(candidate, candidates[best]):
            by_id[candidate.id] = position
    dropped = [
        Dropped(position, by_id[candidate.id], candidate.evidence, revision=False)
        for position, candidate in enumerate(candidates)
        if by_id[candidate.id] != position
    ]
    duplicates = len(dropped)
    if all_revisions:
        return Deduplicated(frozenset(by_id.values()), duplicates, 0, tuple(dropped))
    groups: dict[str, list[int]] = {}
    for position in sorted(by_id.values()):
        groups.setdefault(candidates[position].revision_key, []).append(position)
    keep: set[int] = set()
    for members in groups.values():
        kept, older = _republished(candidates, members, same_text or _never)
        keep |= kept
        dropped += older
    return Deduplicated(frozenset(keep), duplicates, len(dropped) - duplicates, tuple(dropped))


def _never(a: int, b: int) -> bool:
    return False


def _republished(
    candidates: Sequence[Candidate], members: list[int], same_text: SameText
) -> tuple[set[int], list[Dropped]]:
    """Of candidates sharing a title (and author), the newest of each set proven one post."""
    if len(members) == 1:
        return set(members), []
    parent = {position: position for position in members}
    reasons: dict[tuple[int, int], str] = {}

    def root(position: int) -> int:
        while parent[position] != position:
            position = parent[position]
        return position

    for index, a in enumerate(members):
        for b in members[index + 1 :]:
            if root(a) == root(b):
                continue  # already one post: its reason is known
            reason = _republication(candidates[a], candidates[b], partial(same_text, a, b))
            if reason:
                reasons[(a, b)] = reasons[(b, a)] = reason
                parent[root(b)] = root(a)
    sets: dict[int, list[int]] = {}
    for position in members:
        sets.setdefault(root(position), []).append(position)
    kept: set[int] = set()
    older: list[Dropped] = []
    for group in sets.values():
        newest = group[0]
        for position in group[1:]:
            if _newer(candidates[position], candidates[newest]):
                newest = position
        kept.add(newest)
        for position in group:
            if position != newest:
                reason = reasons.get((position, newest)) or next(
                    reasons[(position, other)] for other in group if (position, other) in reasons
                )
                older.append(Dropped(position, newest, reason, revision=True))
    return kept, older


def _republication(a: Candidate, b: Candidate, same_text: Callable[[], bool]) -> str:
    """Why ``a`` and ``b`` (same author and title) are one post, or "" when nothing says so."""
    if a.slug and a.slug == b.slug and abs(a.published - b.published) <= REPUBLISH_WINDOW:
        return "republished: same author, title and Forem slug"
    if same_text():
        return "republished: same author, title and near-same text"
    return ""


_DIGITS = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Body:
    """An article's words and link targets (case-folded), and the numbers among them."""

    words: tuple[str, ...]
    numbers: frozenset[str]

    @classmethod
    def of(cls, words: Sequence[str]) -> Body:
        return cls(tuple(words), frozenset(word for word in words if _DIGITS.search(word)))


def republished_text(a: Body | Sequence[str], b: Body | Sequence[str]) -> bool:
    """Whether two bodies are one text, edited: at least ``NEAR_SAME_RATIO`` in common and the
    same numbers. The numbers are what tell "Day 4" from "Day 5", part 001 from part 002 or one
    year's event from the next when the rest of the wording is shared; an empty body proves
    nothing."""
    first = a if isinstance(a, Body) else Body.of(a)
    second = b if isinstance(b, Body) else Body.of(b)
    if not first.words or not second.words or first.numbers != second.numbers:
        return False
    matcher = SequenceMatcher(None, first.words, second.words, autojunk=False)
    return (
        matcher.real_quick_ratio() >= NEAR_SAME_RATIO
        and matcher.quick_ratio() >= NEAR_SAME_RATIO
        and matcher.ratio() >= NEAR_SAME_RATIO
    )


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
