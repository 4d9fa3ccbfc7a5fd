"""Decisions the clean stage takes per attribute value, remembered per value.

An article's elements share a few dozen class names (``highlight``, ``anchor``), and the walk
asks about every element; a site's articles share them too. A value longer than ``LONGEST``
(hostile markup: a megabyte of class names) is decided each time and not kept, so what is
remembered stays under ``ENTRIES`` x ``LONGEST`` characters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import _CacheInfo, lru_cache
from typing import Final, Generic, TypeVar

__all__ = ["ENTRIES", "LONGEST", "Remembered"]

ENTRIES: Final = 2_048
LONGEST: Final = 300

T = TypeVar("T")


class Remembered(Generic[T]):
    """``function`` (pure; its first argument an attribute value) remembered per arguments."""

    def __init__(self, function: Callable[..., T]) -> None:
        self.function = function
        self.cached = lru_cache(maxsize=ENTRIES)(function)

    def __call__(self, value: str | None, *rest: object) -> T:
        if value is not None and len(value) > LONGEST:
            return self.function(value, *rest)
        return self.cached(value, *rest)

    def cache_clear(self) -> None:
        self.cached.cache_clear()

    def cache_info(self) -> _CacheInfo:
        return self.cached.cache_info()
