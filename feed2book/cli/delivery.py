"""The delivery commands (``send``, ``check``) and what ``epub --send`` / ``sync --send`` share.

``register(app)`` adds the commands to the ``feed2book`` app; ``cli.py`` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from feed2book.cli.console import Environment, ExitStatus, Messenger, Verbosity
from feed2book.cli.delivery_options import (
    CheckLanguageOpt,
    DeviceOpt,
    FromOpt,
    MaxMbOpt,
    SmtpUrlOpt,
    ToOpt,
)
from feed2book.cli.options import DebugOpt, QuietOpt
from feed2book.cli.session import edge
from feed2book.delivery.options import Device
from feed2book.errors import Feed2BookError, OutputError, UsageError

if TYPE_CHECKING:
    from feed2book.delivery.config import SmtpSettings
    from feed2book.delivery.preflight import Preflight
    from feed2book.models import Book

def send_command(
    ctx: typer.Context,
    books: Annotated[list[Path], typer.Argument(help="EPUB files to send.", show_default=False)],
    to: ToOpt,
    max_mb: MaxMbOpt = None,
    device: DeviceOpt = None,
    smtp_url: SmtpUrlOpt = None,
    sender: FromOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """E-mail EPUB files, one message per book, as `application/epub+zip` attachments.

    Books for a kindle.com address (or with `--device kindle`) pass the Kindle preflight
    first: what can be fixed is fixed in the copy sent; a book with a problem that cannot be
    fixed is not sent. A book too large for one message is not sent: rebuild it with
    `feed2book epub --max-book-mb N` to split it into volumes.

    SMTP settings come from the flags, the environment (`FEED2BOOK_SMTP_URL`,
    `FEED2BOOK_SMTP_FROM`, `FEED2BOOK_SMTP_PASSWORD` or `FEED2BOOK_SMTP_PASSWORD_COMMAND`,
    `FEED2BOOK_SMTP_CAFILE`) or the `[smtp]` table of `config.toml` in the user config
    directory (`FEED2BOOK_CONFIG` names another file).

    Examples:

        feed2book send books/*.epub --to me_123@kindle.com

        FEED2BOOK_SMTP_PASSWORD_COMMAND="pass mail/smtp" feed2book send week.epub --to me@x.org
    """
    from feed2book.delivery.config import smtp_settings
    from feed2book.delivery.smtp import message_limit

    env = Environment.of(ctx)
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with edge(env, messenger):
        settings = smtp_settings(url=smtp_url, sender=sender, environ=env.environ)
        limit = message_limit(to, max_mb)
        files = []
        for path in books:
            try:
                files.append((path, path.read_bytes()))
            except OSError as error:
                raise UsageError(f"{path}: cannot read ({error.strerror})") from None
        failed = deliver(
            files, to, settings, limit, messenger, kindle=_for_kindle(to, device)
        )
        raise typer.Exit(ExitStatus.SOURCES_FAILED if failed else ExitStatus.OK)


def _for_kindle(to: str, device: Device | None) -> bool:
    from feed2book.delivery.smtp import is_kindle_address

    return device is Device.KINDLE or is_kindle_address(to)


def deliver(
    files: list[tuple[Path, bytes]],
    to: str,
    settings: SmtpSettings,
    limit: int,
    messenger: Messenger,
    *,
    kindle: bool,
) -> list[Path]:
    """Send each file in its own message (after the Kindle preflight when ``kindle``); returns
    the files that were not sent (each said why)."""
    from feed2book.delivery.preflight import run_preflight
    from feed2book.delivery.smtp import Attachment, TooLargeError, plan_messages, send_messages

    failed: list[Path] = []
    planned = []
    for path, data in files:
        if kindle:
            report = run_preflight(data, fix=True)
            _tell(path, report, messenger)
            if report.refused:
                reasons = "; ".join(f.message for f in report.refused)
                messenger.error(f"{path}: not sent: Send to Kindle would reject it ({reasons})")
                failed.append(path)
                continue
            data = report.fixed or data
        attachment = Attachment(path.name, data, book_title(data) or path.stem)
        try:
            plans = plan_messages([attachment], settings.sender, to, limit)
            planned += [(path, message, encoded) for message, encoded in plans]
        except TooLargeError as error:
            messenger.failure(error)
            failed.append(path)
    if planned:
        send_messages(settings, to, [(message, data) for _, message, data in planned])
        for path, _, data in planned:
            messenger.info(f"sent {path.name} to {to} ({len(data):,} bytes)")
    return failed


def _tell(path: Path, report: Preflight, messenger: Messenger) -> None:
    for finding in report.findings:
        if finding.fixed:
            messenger.info(f"{path}: {finding.line()}")
        else:
            messenger.error(f"{path}: {finding.line()}")


def book_title(epub: bytes) -> str:
    """The ``dc:title`` of an EPUB ("" when it cannot be read)."""
    from feed2book.delivery.preflight import DC, BookReadError, EpubFiles

    try:
        title = EpubFiles.read(epub).opf().find(f".//{{{DC}}}title")
    except BookReadError:
        return ""
    return (title.text or "").strip() if title is not None else ""


def check_command(
    ctx: typer.Context,
    books: Annotated[list[Path], typer.Argument(help="EPUB files to check.", show_default=False)],
    device: Annotated[
        Device, typer.Option("--device", help="The device whose rules apply.")
    ] = Device.KINDLE,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Rewrite each book (atomically) with what can be fixed fixed."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="With --fix and one BOOK: write the fixed copy here instead of over BOOK.",
            show_default=False,
        ),
    ] = None,
    language: CheckLanguageOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Run the Send-to-Kindle preflight on EPUB files: one line per problem found.

    Each line ends in "(fixable)" (`--fix` would fix it), "(fixed)" or "(cannot be fixed)".
    Exit status 0: nothing found; 1: problems found (with `--fix`, the fixable ones were
    fixed and the book rewritten).

    Examples:

        feed2book check books/*.epub --device kindle

        feed2book check may.epub --fix -o may-kindle.epub
    """
    from feed2book.atomic import write_bytes_atomically
    from feed2book.delivery.preflight import run_preflight

    env = Environment.of(ctx)
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with edge(env, messenger):
        if output is not None and (not fix or len(books) != 1):
            raise UsageError("--output needs --fix and a single BOOK")
        if device is not Device.KINDLE:
            raise UsageError(
                f"check has rules for kindle only, not {device.value}",
                hint=f"`feed2book epub --device {device.value}` builds books for it",
            )
        found = False
        for path in books:
            try:
                data = path.read_bytes()
            except OSError as error:
                raise UsageError(f"{path}: cannot read ({error.strerror})") from None
            try:
                report = run_preflight(data, fix=fix, language=language)
            except Feed2BookError as error:
                raise OutputError(f"{path}: {error}") from None
            for finding in report.findings:
                env.stdout.write(f"{path}: {finding.line()}\n".encode())
            env.stdout.flush()
            found = found or not report.ok
            target = output or path
            if report.fixed is not None:
                write_bytes_atomically(target, report.fixed)
                messenger.info(f"wrote {target} (fixed)")
            elif report.ok:
                messenger.info(f"{path}: no problem found for {device.value}")
        raise typer.Exit(ExitStatus.SOURCES_FAILED if found else ExitStatus.OK)


def device_bytes(data: bytes, device: Device, messenger: Messenger, name: str) -> bytes:
    """A built EPUB tuned for ``device`` (the problems left are reported as warnings)."""
    from feed2book.delivery.devices import apply_device

    report = apply_device(data, device)
    for finding in report.refused:
        messenger.warning(f"{name}: {finding.line()}")
    return report.fixed or data


def register(app: typer.Typer) -> None:
    app.command("send")(send_command)
    app.command("check")(check_command)




# --- epub --send / sync --send ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outbox:
    """Where ``--send`` delivers, resolved before anything is built (settings errors first)."""

    to: str
    smtp: SmtpSettings
    limit: int  # bytes per message
    kindle: bool

    @classmethod
    def open(
        cls,
        to: str,
        library: Path | None = None,
        environ: Mapping[str, str] | None = None,
        max_mb: float | None = None,
    ) -> Outbox:
        """``library``: when SOURCES are not given, the library ``--send`` reads (it must hold
        articles: the bundled examples are never sent). ``environ``: where the SMTP settings
        are looked up (``smtp_settings``). ``max_mb``: ``--max-mb``."""
        from feed2book.delivery.config import smtp_settings
        from feed2book.delivery.smtp import is_kindle_address, message_limit
        from feed2book.library import Library

        if "@" not in to:
            raise UsageError(f"--send {to!r} is not an e-mail address")
        if library is not None:
            empty = not library.is_file()
            if not empty:
                with Library.open(library) as store:
                    empty = store.is_empty()
            if empty:
                raise UsageError(
                    f"--send without SOURCES sends from the library, and {library} holds no "
                    "articles",
                    hint="`feed2book add FEED…` first, or give SOURCES",
                )
        return cls(
            to, smtp_settings(environ=environ), message_limit(to, max_mb), is_kindle_address(to)
        )

    def largest_book(self, asked: int | None) -> int:
        """The book size limit: ``--max-book-mb`` when smaller, else what one message holds."""
        from feed2book.delivery.smtp import largest_book

        fits = largest_book(self.limit)
        return min(asked, fits) if asked is not None else fits

    def deliver_book(
        self, book: Book, files: list[Path], messenger: Messenger, library: Path
    ) -> bool:
        """Send the files of one book (a message each); on success remember its articles as
        delivered to the address. False when a file was not sent."""
        from feed2book.delivery.ledger import record_delivery
        from feed2book.library import Library

        contents = [(path, path.read_bytes()) for path in files]
        failed = deliver(contents, self.to, self.smtp, self.limit, messenger, kindle=self.kindle)
        if failed:
            return False
        with Library.open(library) as store:
            names = ", ".join(path.name for path in files)
            record_delivery(store, self.to, book.key, names, [a.id for a in book.articles])
        return True
