"""Writing Markdown bundles to disk: as a folder, a zip or one document, atomically.

A folder is built beside its target and swapped into place in one step (``renameat2`` with
``RENAME_EXCHANGE`` on Linux; two renames elsewhere), so a reader sees the old bundle or the new
one, never half of one. feed2book only ever deletes files its own manifest lists: a folder that
holds anything else is refused unless ``force``, and even then those files are carried over into
the new bundle rather than deleted. mdBook's build directory (``book/``) is carried over too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath

from feed2book.atomic import (
    default_mode,
    new_temporary,
    remove_stale_temporaries,
    temporary_name,
    write_bytes_atomically,
)
from feed2book.defaults import BUNDLE_ZIP_TIME
from feed2book.errors import OutputError
from feed2book.models import Book, book_identifier
from feed2book.output.books import targets as book_targets
from feed2book.writers.markdown import MANIFEST, MDBOOK_BUILD_DIR

Files = Mapping[str, bytes]
# A folder's files by relative path, or as (path, bytes) pairs made one after another: a folder
# is written as they come.
Streamable = Files | Iterable[tuple[str, bytes]]
_IDENTIFIER_LINE = re.compile(rb'^identifier: "([^"]+)"$', re.M)


class BundleFormat(StrEnum):
    FOLDER = "folder"
    ZIP = "zip"
    SINGLE = "single"


_SUFFIX = {BundleFormat.FOLDER: "", BundleFormat.ZIP: ".zip", BundleFormat.SINGLE: ".md"}


def targets(books: Sequence[Book], output: Path, form: BundleFormat) -> list[Path]:
    """Where each book goes: ``output`` itself when it names a ``.zip``/``.md`` file (one book),
    else a safe, unique name from the book's slug inside the ``output`` directory."""
    return book_targets(books, output, _SUFFIX[form])


# --- what is ours ----------------------------------------------------------------------------


def folder_manifest(folder: Path) -> dict[str, object] | None:
    try:
        document = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def identifier_of(path: Path) -> str | None:
    """The book identifier of a bundle (folder, zip or single document) feed2book wrote."""
    if path.is_dir():
        manifest = folder_manifest(path)
        return str(manifest.get("identifier")) if manifest else None
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith("/" + MANIFEST) or name == MANIFEST:
                        return str(json.loads(archive.read(name)).get("identifier"))
        except (OSError, zipfile.BadZipFile, ValueError, AttributeError):
            return None
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    match = _IDENTIFIER_LINE.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None


def foreign_files(folder: Path, book: Book) -> list[str]:
    """Files in ``folder`` that feed2book did not write for ``book`` (relative, sorted)."""
    manifest = folder_manifest(folder)
    ours: set[str] = set()
    if manifest and manifest.get("identifier") == book_identifier(book.key):
        listed = manifest.get("files")
        ours = {str(name) for name in listed} if isinstance(listed, list) else set()
        ours.add(MANIFEST)
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if relative == MDBOOK_BUILD_DIR or relative.startswith(MDBOOK_BUILD_DIR + "/"):
            continue  # mdBook's output: carried over, never counted against the bundle
        if path.is_dir() and not path.is_symlink():
            continue
        if relative not in ours:
            found.append(relative)
    return found


def check_target(path: Path, book: Book, form: BundleFormat, *, force: bool) -> list[str]:
    """Refuse to replace what is not ours; returns the foreign files a forced folder keeps."""
    if not path.exists() and not path.is_symlink():
        return []
    if form is BundleFormat.FOLDER:
        if not path.is_dir() or path.is_symlink():
            if force:
                return []
            raise OutputError(
                f"{path}: exists and is not a folder; not replaced", hint="use --force"
            )
        foreign = foreign_files(path, book)
        if foreign and not force:
            shown = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            raise OutputError(
                f"{path}: holds files feed2book did not write ({shown}); not replaced",
                hint="move them away, write elsewhere with -o, or use --force to keep them in "
                "the rebuilt folder",
            )
        return foreign
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; cannot write a bundle there")
    if not force and identifier_of(path) != book_identifier(book.key):
        raise OutputError(
            f"{path}: exists and is not an earlier build of this book; not overwritten",
            hint="use --force to replace it, or -o to write elsewhere",
        )
    return []


# --- writing ---------------------------------------------------------------------------------


def write_bundles(
    books: Sequence[Book],
    output: Path,
    build: Callable[[Book], Streamable],
    form: BundleFormat,
    *,
    force: bool = False,
    on_written: Callable[[Book, Path, list[Path]], None] | None = None,
) -> list[Path]:
    """Build and write every book; every target is checked before anything is written."""
    paths = targets(books, output, form)
    named_by_us = paths != [output]
    keep = [check_target(p, b, form, force=force) for b, p in zip(books, paths, strict=True)]
    written = []
    for book, path, foreign in zip(books, paths, keep, strict=True):
        remove_stale_temporaries(path.parent)
        files = build(book)
        if form is BundleFormat.FOLDER:
            write_folder(path, files, carry=foreign)
        elif form is BundleFormat.ZIP:
            write_bytes_atomically(path, zip_bytes(dict(_pairs(files)), root=path.stem))
        else:
            ((_, document),) = _pairs(files)
            write_bytes_atomically(path, document)
        replaced = earlier_builds(path, book, form) if named_by_us else []
        for old in replaced:
            remove_bundle(old)
        written.append(path)
        if on_written is not None:
            on_written(book, path, replaced)
    return written


def earlier_builds(keep: Path, book: Book, form: BundleFormat) -> list[Path]:
    """Other bundles of ``book`` beside ``keep`` that hold nothing but feed2book's files."""
    wanted = book_identifier(book.key)
    suffix = _SUFFIX[form]
    found = []
    for candidate in sorted(keep.parent.iterdir()) if keep.parent.is_dir() else []:
        if candidate == keep or candidate.name.startswith("."):
            continue
        if form is BundleFormat.FOLDER:
            ours = candidate.is_dir() and identifier_of(candidate) == wanted
            if ours and not foreign_files(candidate, book):
                found.append(candidate)
        elif (
            candidate.suffix.lower() == suffix
            and candidate.is_file()
            and identifier_of(candidate) == wanted
        ):
            found.append(candidate)
    return found


def remove_bundle(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _pairs(files: Streamable) -> Iterable[tuple[str, bytes]]:
    return files.items() if isinstance(files, Mapping) else files


def write_folder(target: Path, files: Streamable, *, carry: Sequence[str] = ()) -> None:
    """Write ``files`` as the folder ``target``, replacing an earlier one in one step; files
    given one after another are written as they come."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{parent}: cannot create the directory ({error.strerror})") from None
    made: list[Path] = []
    try:
        new_temporary(parent, target.name, made, folder=True)
        fresh = made[0]
        _fill(fresh, files)
        fresh.chmod(default_mode(folder=True))  # filled while private to us
        if target.is_dir() and not target.is_symlink():
            _carry_over(target, fresh, [*carry, MDBOOK_BUILD_DIR])
            _swap(fresh, target)  # ``fresh`` now holds the old bundle
            shutil.rmtree(fresh, ignore_errors=True)
        else:
            if target.exists() or target.is_symlink():
                target.unlink()  # a file in the way (only reached with --force)
            os.rename(fresh, target)
    except OSError as error:
        _remove_all(made)
        raise OutputError(f"{target}: cannot write ({error.strerror})") from None
    except BaseException:
        _remove_all(made)
        raise


def _remove_all(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _fill(folder: Path, files: Streamable) -> None:
    """Write ``files`` into the empty, private ``folder``."""
    made = {folder}
    for name, data in _pairs(files):
        # Only we write into the fresh folder, and only files: no link inside can lead out,
        # so a name that stays inside by its parts stays inside (no resolve() per file).
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or ".." in parts or "\\" in name:
            raise ValueError(f"unsafe bundle path {name!r}")
        path = folder.joinpath(*parts)
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(data)
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _carry_over(old: Path, new: Path, names: Sequence[str]) -> None:
    """Move files feed2book does not own from the old bundle into the new one (never delete)."""
    for name in names:
        source = old / name
        if not source.exists() and not source.is_symlink():
            continue
        destination = new / name
        if destination.exists():
            continue  # only with --force: the new bundle's file of that name wins
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, destination)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(a: Path, b: Path) -> None:
    """Exchange two directories atomically where the OS can; else two renames."""
    libc_name = ctypes.util.find_library("c")
    if libc_name and hasattr(os, "sched_getaffinity"):  # Linux
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = getattr(libc, "renameat2", None)
        if renameat2 is not None:
            result = renameat2(
                _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE
            )
            if result == 0:
                return
    prefix, suffix = temporary_name(b.name)
    aside = tempfile.mkdtemp(dir=b.parent, prefix=prefix, suffix=".old" + suffix)
    os.rename(b, aside)  # onto the empty folder just made: nothing planted can be in the way
    os.rename(a, b)
    os.rename(aside, a)


def zip_bytes(files: Files, *, root: str) -> bytes:
    """A deterministic zip of ``files`` under one top folder ``root/`` (fixed times, order)."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{root}/{name}", date_time=BUNDLE_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()
