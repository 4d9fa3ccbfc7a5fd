"""The options of the delivery commands and flags (``send``, ``check``, ``--send``, ``--device``):
no heavy import here (``feed2book --help`` and ``list`` start without lxml or Pillow)."""

from __future__ import annotations

from typing import Annotated

import typer

from feed2book.delivery.options import Device

ToOpt = Annotated[
    str,
    typer.Option(
        "--to",
        help="The address to send to (a Send-to-Kindle address, say). "
        "Example: `--to me_123@kindle.com`.",
    ),
]
SendOpt = Annotated[
    str | None,
    typer.Option(
        "--send",
        help="Build only what was never delivered to this address, send it (SMTP settings: "
        "`feed2book send --help`) and remember it in the library. Example: "
        "`--send me_123@kindle.com`.",
        show_default=False,
    ),
]
DeviceOpt = Annotated[
    Device | None,
    typer.Option(
        "--device",
        help="Tune the books for a device: `kindle` (the Send-to-Kindle preflight fixes, "
        "images at most 5 MB), `kobo` (a .kepub.epub), `koreader`, `apple` (images up to "
        "2000 px, the book's fonts), `generic`; all but generic make footnotes pop-ups. "
        "Example: `--device kobo`.",
        show_default=False,
    ),
]
SeriesInTitleOpt = Annotated[
    bool,
    typer.Option(
        "--series-in-title",
        help="Put the series and its range in the book title (Kindle ignores series metadata).",
    ),
]
MaxMbOpt = Annotated[
    float | None,
    typer.Option(
        "--max-mb",
        min=0.1,
        help="Largest message in MB, base64 included (default: 50 for kindle.com, 25 else). "
        "Example: `--max-mb 10`.",
        show_default=False,
    ),
]
SmtpUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--smtp-url",
        help="The server, as `smtp+starttls://USER@HOST:587` or `smtps://USER@HOST:465` "
        "(also `FEED2BOOK_SMTP_URL` or `[smtp] url` in the config file). The password comes "
        "from `FEED2BOOK_SMTP_PASSWORD` or `password_command`, never from the command line.",
        show_default=False,
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="The sender address (also `FEED2BOOK_SMTP_FROM` or `[smtp] from`); Amazon only "
        "accepts approved senders.",
        show_default=False,
    ),
]
CheckLanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="The language to set when the book has none or an invalid one. Example: "
        "`--language en`.",
        show_default=False,
    ),
]
