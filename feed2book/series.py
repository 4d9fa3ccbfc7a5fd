"""Series detection: titles that share a stable part plus an ordinal form a series.

"Day 33: Group Chat System - AI System Design in Seconds" -> ("AI System Design in Seconds", 33)
"Building a Parser, Part 2: Tokens"                      -> ("Building a Parser", 2)
"Rust for Pythonistas (3/5)"                             -> ("Rust for Pythonistas", 3)
"Weekly Links #12"                                       -> ("Weekly Links", 12)
"Episode 4: Cold Starts | The Debug Show"                 -> ("The Debug Show", 4)
"Chapter 7: The End" (no suffix)                         -> ("Chapter", 7)

A candidate becomes a series only when at least two articles share its (normalised) name, so a
lone "Part 1" is not a series of one. Pure functions; no I/O.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from feed2book.identity import normalise_title
from feed2book.models import SeriesRef

_LABEL = (
    r"(?:day|part|pt\.?|episode|ep\.?|chapter|ch\.?|lesson|week|issue|session|no\.?|vol\.?|volume)"
)
_NUMBER = r"(?P<n>\d{1,4}(?:\.\d)?)"
_SUFFIX_SEPARATOR = re.compile(r"\s+[-–—|:]\s+")

# "Day 33: Title - Series" / "Episode 4 - Series" (the ordinal leads, the series follows).
_LEADING = re.compile(
    rf"^\s*(?P<label>{_LABEL})\s*#?\s*{_NUMBER}\s*(?:[:.)\-–—|]\s*|\s+)(?P<rest>.*)$", re.I
)
# "Series, Part 2: Title" / "Series - Day 4" / "Series Episode 4".
_TRAILING = re.compile(
    rf"^(?P<stable>.+?)[\s,:;\-–—|(]+(?P<label>{_LABEL})\s*#?\s*{_NUMBER}\b\)?(?P<rest>.*)$", re.I
)
# "Series (3/5)" / "Series [3 of 5]".
_FRACTION = re.compile(
    rf"^(?P<stable>.+?)\s*[(\[]\s*{_NUMBER}\s*(?:/|of)\s*\d+\s*[)\]](?P<rest>.*)$", re.I
)
# "Series #12" / "Series #12: Title".
_HASH = re.compile(rf"^(?P<stable>.+?)\s+#{_NUMBER}\b(?P<rest>.*)$")


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    index: float


def candidate(title: str) -> Candidate | None:
    """The series a title *might* belong to, judged from the title alone."""
    match = _LEADING.match(title)
    if match:
        rest = match.group("rest").strip()
        parts = _SUFFIX_SEPARATOR.split(rest)
        name = parts[-1].strip() if len(parts) > 1 else match.group("label").title().rstrip(".")
        return _made(name, match.group("n"))
    for pattern in (_FRACTION, _TRAILING, _HASH):
        match = pattern.match(title)
        if match:
            return _made(match.group("stable"), match.group("n"))
    return None


def _made(name: str, number: str) -> Candidate | None:
    name = name.strip(" \t-–—|:;,([")
    if not normalise_title(name):
        return None
    return Candidate(name, float(number))


def detect(titles: Iterable[tuple[str, str]]) -> dict[str, SeriesRef]:
    """Map article ids to their series, given ``(id, title)`` pairs.

    The series name shown is the most common spelling among its titles (ties: the first seen).
    """
    found: dict[str, Candidate] = {}
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, set[str]] = defaultdict(set)
    for article_id, title in titles:
        guess = candidate(title)
        if guess is None:
            continue
        key = normalise_title(guess.name)
        found[article_id] = guess
        spellings[key][guess.name] += 1
        members[key].add(article_id)
    result: dict[str, SeriesRef] = {}
    for article_id, guess in found.items():
        key = normalise_title(guess.name)
        if len(members[key]) < 2:
            continue
        name = spellings[key].most_common(1)[0][0]
        result[article_id] = SeriesRef(name, guess.index)
    return result


def title_in_series(title: str, series_name: str) -> str:
    """``title`` without the series' name, for a place that already names the series.

    "Day 19: Product Catalog - AI System Design in Seconds" -> "Day 19: Product Catalog";
    "Building a Parser, Part 2: Tokens" -> "Part 2: Tokens". A title that is nothing but the
    name, does not carry it, or would keep no word without it ("Weekly Links #12"), is kept
    whole.
    """
    name = re.escape(" ".join(series_name.split()))
    if not name:
        return title
    for pattern in (
        rf"^(?P<rest>.+?)\s*(?:\s[-–—|]|[:,(\[])\s*{name}\s*[)\]]?\s*$",
        rf"^\s*{name}\s*(?:[-–—|:,]\s*|\s+(?=[#(\[]))(?P<rest>.+)$",
    ):
        match = re.match(pattern, " ".join(title.split()), re.I)
        rest = match.group("rest").strip(" -–—|:,") if match else ""
        if any(character.isalpha() for character in rest):  # "(3/5)" alone says too little
            return rest
    return title
