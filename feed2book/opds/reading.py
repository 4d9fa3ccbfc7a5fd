"""The catalogue of a library file, read again whenever the file changes.

``LiveCatalogue.current()`` checks the library file's (and its WAL's) size and modification
time, cheap enough for every request, and reads the library again only when they moved: a
``feed2book sync`` in another process shows up on the next request.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from feed2book.errors import NothingToOutput
from feed2book.library import Library
from feed2book.library.reading import collect_library
from feed2book.library.records import Damage
from feed2book.library.seen import first_seen_since
from feed2book.opds.catalogue import Catalogue, build_catalogue

DamageHandler = Callable[[Damage], None]
Version = tuple[tuple[int, int], ...]


def read_catalogue(
    path: Path, build_label: str, *, on_damage: DamageHandler | None = None
) -> Catalogue:
    """Every shelf over the library's articles, read as ``feed2book epub`` reads them."""
    with open_library(path) as library, collect_library(library, on_damage=on_damage) as found:
        found.finish()
        articles = list(found.select())
    name = uuid.uuid5(uuid.NAMESPACE_URL, "feed2book:opds:" + str(path.resolve()))
    return build_catalogue(
        articles,
        catalogue_id=f"urn:feed2book:catalogue:{name}",
        title=f"feed2book library {path.stem}",
        build_label=build_label,
    )


def new_article_ids(path: Path, since: datetime) -> frozenset[str]:
    with open_library(path) as library:
        return first_seen_since(library, since)


def open_library(path: Path) -> Library:
    if not path.is_file():
        raise NothingToOutput(
            f"there is no library at {path} yet", hint="`feed2book add FEED…` creates it"
        )
    return Library.open(path, create=False, read_only=True)


def library_version(path: Path) -> Version:
    """Size and modification time of the library file and its WAL: they move on every write."""
    found = []
    for name in (str(path), f"{path}-wal"):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class LiveCatalogue:
    """The library's catalogue, shared by the server's threads, read again when it changed."""

    def __init__(
        self, path: Path, build_label: str, *, on_damage: DamageHandler | None = None
    ) -> None:
        self.path = path
        self.build_label = build_label
        self.on_damage = on_damage
        self._lock = threading.Lock()
        self._version: Version | None = None
        self._catalogue: Catalogue | None = None

    def current(self) -> Catalogue:
        with self._lock:
            version = library_version(self.path)
            if self._catalogue is None or version != self._version:
                self._catalogue = read_catalogue(
                    self.path, self.build_label, on_damage=self.on_damage
                )
                self._version = version
            return self._catalogue
