"""Writing books to disk: covers, file names, the overwrite policy and atomic writes.

The writers build bytes; this module decides where they go. An existing file is replaced only
when it is feed2book's own earlier build of the same book (same identifier) or with ``force``;
an older build of the same book under another name (its date range grew) is removed once the new
one is in place (only when feed2book chose the file name: an explicit ``-o book.epub`` never
removes anything else).
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from feed2book import parallel
from feed2book.atomic import atomic_writer, remove_stale_temporaries
from feed2book.errors import OutputError, UsageError
from feed2book.filenames import KEPUB_SUFFIX, safe_stem, unique_names
from feed2book.models import Book, book_identifier

if TYPE_CHECKING:  # the renderer (PIL, fontTools: 80 ms) is imported when a cover is drawn
    from feed2book.covers.render import CoverSpec

# Book names that end like another form's (a kepub is an .epub by its last extension).
LONGER_SUFFIXES = (KEPUB_SUFFIX,)
_OPF_IDENTIFIER = re.compile(rb"<dc:identifier[^>]*>([^<]+)</dc:identifier>")


@dataclass(frozen=True, slots=True)
class CoverChoice:
    enabled: bool = True
    theme: str | None = None
    image: bytes | None = None  # the user's own (``--cover FILE``), already JPEG

    @property
    def drawn(self) -> bool:
        """Whether the cover is drawn for the book (there is one, and it is not the user's)."""
        return self.enabled and self.image is None


def cover_spec(book: Book) -> CoverSpec:
    return _spec(_CoverText.of(book))


@dataclass(frozen=True, slots=True)
class _CoverText:
    """What a drawn cover says of its book (a ``CoverSpec``'s fields, without importing the
    renderer): a helper process draws from it."""

    key: str
    title: str
    author: str
    subtitle: str
    count: int
    language: str

    @classmethod
    def of(cls, book: Book) -> _CoverText:
        authors = ", ".join(author.name for author in book.authors[:3])
        if len(book.authors) > 3:
            authors += " and others"
        author = authors if authors != book.title else ""
        return cls(book.key, book.title, author, book.subtitle, len(book.articles), book.language)


def _spec(text: _CoverText) -> CoverSpec:
    from feed2book.covers.render import CoverSpec

    return CoverSpec(
        key=text.key,
        title=text.title,
        author=text.author,
        subtitle=text.subtitle,
        count=text.count,
        language=text.language,
    )


def cover_aside(
    book: Book, choice: CoverChoice, image_format: Literal["JPEG", "PNG"] = "JPEG"
) -> Callable[[], bytes | None]:
    """``make_cover``, a drawn one made by a helper process (``parallel.aside``) while the
    caller goes on (fonts, shapes and JPEG cost a book ~0.4 s): call the result for it. A
    small book's is drawn here, when asked for: the caller would be done before a helper had
    started."""
    if not drawn_aside(book, choice):
        return functools.partial(make_cover, book, choice, image_format)
    return parallel.aside(_drawn, (_CoverText.of(book), choice.theme, image_format))


def drawn_aside(book: Book, choice: CoverChoice) -> bool:
    """Whether ``cover_aside`` draws the book's cover in a helper: a drawn cover (not the
    user's image) of a book of ``parallel.MIN_ITEMS`` articles or more."""
    return choice.drawn and len(book.articles) >= parallel.MIN_ITEMS


def _drawn(job: tuple[_CoverText, str | None, Literal["JPEG", "PNG"]]) -> bytes:
    from feed2book.covers.render import cover_bytes

    text, theme, image_format = job
    return cover_bytes(_spec(text), theme, image_format)


def make_cover(
    book: Book, choice: CoverChoice, image_format: Literal["JPEG", "PNG"] = "JPEG"
) -> bytes | None:
    """The book's cover: the user's own image, or one drawn in ``image_format``; None without."""
    if not choice.enabled:
        return None
    if choice.image is not None:
        return choice.image
    from feed2book.covers.render import cover_bytes

    return cover_bytes(cover_spec(book), choice.theme, image_format)


def targets(books: Sequence[Book], output: Path, suffix: str) -> list[Path]:
    """Where each book goes: ``output`` itself when it names a file (one book only), else a
    safe, unique name from the book's slug (plus ``suffix``; none for folders) inside the
    ``output`` directory."""
    if suffix and output.suffix.lower() == _last_part(suffix):  # -o book.epub for .kepub.epub
        if len(books) != 1:
            raise UsageError(
                f"-o {output} names one file but {len(books)} books were built",
                hint="give a directory, or narrow the selection to one book",
            )
        return [output]
    names = unique_names([safe_stem(book.slug or book.title) for book in books], suffix)
    return [output / name for name in names]


def _last_part(suffix: str) -> str:
    """The extension a name with ``suffix`` ends in (``.epub`` for ``.kepub.epub``)."""
    return "." + suffix.rpartition(".")[2]


def identifier_of(path: Path) -> str | None:
    """The ``dc:identifier`` of an EPUB, or None when ``path`` is not a readable EPUB."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".opf"):
                    match = _OPF_IDENTIFIER.search(archive.read(name))
                    return match.group(1).decode("utf-8", "replace").strip() if match else None
    except (OSError, zipfile.BadZipFile, KeyError):
        return None
    return None


def check_target(path: Path, book: Book, *, force: bool) -> None:
    if not path.exists() or force:
        return
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; cannot write a book there")
    if identifier_of(path) != book_identifier(book.key):
        raise OutputError(
            f"{path}: exists and is not an earlier build of this book; not overwritten",
            hint="use --force to replace it, or -o to write elsewhere",
        )


def earlier_builds(directory: Path, book: Book, keep: Path, suffix: str) -> list[Path]:
    """Other files in ``directory`` that are earlier builds of ``book`` in the same form (an
    ``.epub`` never replaces the ``.kepub.epub`` of the same book, nor the reverse)."""
    if not directory.is_dir():
        return []
    wanted = book_identifier(book.key)
    longer = tuple(other for other in LONGER_SUFFIXES if other.endswith(suffix) and other != suffix)
    return [
        candidate
        for candidate in sorted(directory.glob(f"*{suffix}"))
        if candidate != keep
        and not candidate.name.lower().endswith(longer)
        and candidate.is_file()
        and identifier_of(candidate) == wanted
    ]


def write_book_files(
    books: Sequence[Book],
    output: Path,
    write: Callable[[Book, IO[bytes]], object],
    *,
    suffix: str = ".epub",
    force: bool = False,
    on_written: Callable[[Book, Path, list[Path]], None] | None = None,
) -> list[Path]:
    """Build and write every book atomically (``write(book, out)`` writes its bytes into the
    temporary file); checks every target before writing any."""
    paths = targets(books, output, suffix)
    named_by_us = paths != [output]  # only then may an older build under another name go
    for book, path in zip(books, paths, strict=True):
        check_target(path, book, force=force)
    written = []
    for book, path in zip(books, paths, strict=True):
        remove_stale_temporaries(path.parent)
        with atomic_writer(path) as out:
            write(book, out)
        replaced = earlier_builds(path.parent, book, path, suffix) if named_by_us else []
        for old in replaced:
            old.unlink(missing_ok=True)
        written.append(path)
        if on_written is not None:
            on_written(book, path, replaced)
    return written
