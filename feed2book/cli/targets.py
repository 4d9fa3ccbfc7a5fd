"""The formats' parts of the build path (``cli.building.Target``): EPUB books and Markdown
bundles. Each makes its bytes with a ``Writer`` of ``feed2book.writers.base.WRITERS`` (through
``output.build``) and places them with ``output.books`` or ``output.bundles``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from feed2book.cli.building import Prepare, Written
from feed2book.cli.console import Messenger
from feed2book.library.digest import Digest
from feed2book.models import Book

if TYPE_CHECKING:
    from feed2book.cli.delivery import Outbox
    from feed2book.delivery.options import Device
    from feed2book.output.build import BuildSettings
    from feed2book.output.bundles import BundleFormat


@dataclass(frozen=True, slots=True)
class EpubTarget:
    """EPUB books: streamed into their files; with a size limit (``--max-book-mb``, or what
    one message of ``--send`` holds) built whole and split into volumes; tuned for a
    ``device``; each book e-mailed once written when there is an ``outbox``."""

    output: Path
    messenger: Messenger
    library: Path | None  # where deliveries are remembered (with an ``outbox``)
    max_book_mb: float | None = None
    device: Device | None = None
    series_in_title: bool = False
    outbox: Outbox | None = None
    progress: str = "Building books"
    verb: str = "Building"

    @property
    def suffix(self) -> str:
        """Of the books' file names (``.kepub.epub`` for a Kobo)."""
        return self.device.suffix if self.device is not None else ".epub"

    def settings(self, settings: BuildSettings) -> BuildSettings:
        limit = int(self.max_book_mb * 1_000_000) if self.max_book_mb else None
        if self.outbox is not None:  # one message per volume
            limit = self.outbox.largest_book(limit)
        return replace(settings, max_book_bytes=limit)

    def books(self, books: tuple[Book, ...]) -> tuple[Book, ...]:
        if not self.series_in_title:
            return books
        from feed2book.delivery.devices import series_in_title  # the Kobo converter: 40 ms

        return tuple(series_in_title(book) for book in books)

    def volumes(self, book: Book, prepare: Prepare) -> list[tuple[Book, bytes]]:
        """``book`` built whole (in volumes when over the size limit), tuned for the device."""
        from feed2book.cli.delivery import device_bytes
        from feed2book.output.build import fitted_volumes

        prepared, resources = prepare(book)
        parts = fitted_volumes(prepared, resources, prepare.settings, on_problem=prepare.on_problem)
        if self.device is None:
            return parts
        device = self.device
        return [(v, device_bytes(d, device, self.messenger, v.title)) for v, d in parts]

    def place(
        self,
        books: Sequence[Book],
        prepare: Prepare,
        *,
        force: bool,
        on_written: Written,
        fresh: Digest,
    ) -> int:
        from feed2book.output.books import write_book_files

        if prepare.settings.max_book_bytes is None:

            def recorded(book: Book, path: Path, replaced: list[Path]) -> None:
                on_written(book, path, replaced)
                fresh.record(book)

            def write(book: Book, out: IO[bytes]) -> None:
                if self.device is not None:  # the device pass reads and rewrites the whole book
                    out.write(self.volumes(book, prepare)[0][1])
                    return
                prepare.stream(book, out)

            write_book_files(
                books, self.output, write, suffix=self.suffix, force=force, on_written=recorded
            )
            return 0
        undelivered = 0
        paths: list[Path] = []  # the files of the book being written, for --send

        def placed(volume: Book, path: Path, replaced: list[Path]) -> None:
            on_written(volume, path, replaced)
            paths.append(path)

        for book in books:
            paths.clear()
            write_parts(
                self.volumes(book, prepare),
                self.output,
                suffix=self.suffix,
                force=force,
                on_written=placed,
            )
            fresh.record(book)  # the whole book, not its volumes
            if (
                self.outbox is not None
                and self.library is not None
                and not self.outbox.deliver_book(book, paths, self.messenger, self.library)
            ):
                undelivered += 1
        return undelivered


def write_parts(
    parts: list[tuple[Book, bytes]],
    output: Path,
    *,
    suffix: str = ".epub",
    force: bool,
    on_written: Written,
) -> None:
    """Write a book's volumes (already built) as files named ``….suffix``."""
    from feed2book.output.books import write_book_files

    built = {volume.key: data for volume, data in parts}
    volumes = [volume for volume, _ in parts]
    write_book_files(
        volumes,
        output,
        lambda v, out: out.write(built[v.key]),
        suffix=suffix,
        force=force,
        on_written=on_written,
    )


@dataclass(frozen=True, slots=True)
class BundleTarget:
    """Markdown bundles: folders, zips or one Markdown file per book."""

    output: Path
    form: BundleFormat
    progress: str = "Writing bundles"
    verb: str = "Writing"

    def settings(self, settings: BuildSettings) -> BuildSettings:
        return settings

    def books(self, books: tuple[Book, ...]) -> tuple[Book, ...]:
        return books

    def place(
        self,
        books: Sequence[Book],
        prepare: Prepare,
        *,
        force: bool,
        on_written: Written,
        fresh: Digest,
    ) -> int:
        from feed2book.output.build import as_files, late_cover, prepare_markdown, written
        from feed2book.output.bundles import BundleFormat, Streamable, write_bundles
        from feed2book.writers.base import WRITERS, MarkdownBundleWriter, Writer

        prepare_markdown(books)
        bundle = MarkdownBundleWriter(streamed=True)  # a folder: written as made
        writer: Writer = bundle
        if self.form is BundleFormat.SINGLE:
            writer = WRITERS["markdown-file"]

        def files(book: Book) -> Streamable:
            # A bundle's drawn cover is drawn by a helper while the pages are made: the bundle
            # needs only its name before them.
            late = late_cover(book, prepare.settings.cover) if writer is bundle else None
            prepared, resources = prepare(book)
            if late is not None:
                made = bundle.write(prepared, cover=late, resources=resources)
            else:
                made = written(prepared, resources, writer, prepare.settings.cover)
            return as_files(made, writer) if isinstance(made, bytes) else made

        def recorded(book: Book, path: Path, replaced: list[Path]) -> None:
            on_written(book, path, replaced)
            fresh.record(book)

        write_bundles(books, self.output, files, self.form, force=force, on_written=recorded)
        return 0
