"""The OPDS commands: ``serve`` (the library as a live catalogue) and ``opds -o DIR`` (as files).

``register(app)`` adds them to the ``feed2book`` app.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from feed2book.cli.console import Environment, ExitStatus, Messenger, Verbosity
from feed2book.cli.options import DebugOpt, ImagesOpt, LibraryOpt, QuietOpt
from feed2book.cli.session import damaged_message, edge
from feed2book.errors import NothingToOutput, UsageError
from feed2book.images.options import ImageMode

if TYPE_CHECKING:
    from feed2book.library.records import Damage
    from feed2book.opds.server import Credentials
    from feed2book.output.build import BuildSettings

OPDS_FOLDER = "opds"  # inside the cache directory: built books, covers, visits.json

HostOpt = Annotated[
    str,
    typer.Option(
        "--host",
        help="The address to listen on: 127.0.0.1 (this machine only) by default; "
        "`--host 0.0.0.0` shares the catalogue with every device on your network.",
    ),
]
PortOpt = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="The TCP port (0: any free port).")
]
UserOpt = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="Ask for this user name and the password in `FEED2BOOK_OPDS_PASSWORD` (HTTP basic "
        "auth; the password is never taken from the command line). Example: `--user reader`.",
        show_default=False,
    ),
]
OpdsCacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        envvar="FEED2BOOK_CACHE_DIR",
        help="feed2book's cache directory: books built for readers go in its `opds/` folder, "
        "with their covers and each reader's last visit; images in `images/` (default: the "
        "user cache directory; also `FEED2BOOK_CACHE_DIR`). Example: `--cache-dir ~/.cache/f2b`.",
        show_default=False,
        file_okay=False,
    ),
]


def serve_command(
    library: LibraryOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8573,
    user: UserOpt = None,
    images: ImagesOpt = ImageMode.EMBED,
    cache_dir: OpdsCacheOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Serve the library as an OPDS catalogue (1.2 Atom and 2.0 JSON) for e-reader apps.

    Readers browse by author, series, feed and month, see what is new since their last
    visit, search by title or author, and download each book as an EPUB or a Kobo kepub,
    built on first request by the same code as `feed2book epub --group-by …` and kept in the
    cache until the library changes. Point the reader app (KOReader, Moon+ Reader, Thorium,
    …) at http://HOST:PORT/opds/index.xml (OPDS 1.2) or /opds/index.json (OPDS 2.0). Each
    request is logged on stderr; Ctrl-C stops the server.

    Examples:

        feed2book serve

        feed2book serve --host 0.0.0.0 --port 8080 --library ~/books/library.sqlite3

        FEED2BOOK_OPDS_PASSWORD=s3cret feed2book serve --host 0.0.0.0 --user reader
    """
    from feed2book.opds.server import HOST, OpdsApp, ServerSettings, make_server

    env = Environment()
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with edge(env, messenger):
        path, settings, label = _library_and_settings(library, images, cache_dir)
        credentials = _credentials(user)
        app = OpdsApp(
            ServerSettings(path, _opds_cache(cache_dir), settings, label, credentials),
            on_damage=_damage_warning(messenger),
            on_error=messenger.error,
        )
        books = len(app.catalogue.current().books())  # a missing library fails here, not later
        try:
            server = make_server(app, host, port, on_log=None if quiet else messenger.info)
        except OSError as error:
            raise UsageError(
                f"cannot listen on {host}:{port} ({error.strerror or error})",
                hint="`--port N` picks another port (0: any free one)",
            ) from None
        bound_port = server.server_address[1]
        address = f"http://{host}:{bound_port}/opds/index.xml"
        messenger.info(
            f"serving {path} ({books} books) at {address} (OPDS 2.0: index.json); Ctrl-C stops"
        )
        if host != HOST and credentials is None:
            messenger.warning(
                f"anyone who can reach {host}:{bound_port} can read the library; "
                f"--user NAME with {_PASSWORD_ENV} asks for a password"
            )
        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            messenger.info("stopped")
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.server_close()
        raise typer.Exit(ExitStatus.OK)


def opds_command(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The folder to write the catalogue into (created). Example: `-o catalogue/`.",
            file_okay=False,
        ),
    ],
    library: LibraryOpt = None,
    images: ImagesOpt = ImageMode.EMBED,
    cache_dir: OpdsCacheOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write the library as a static OPDS catalogue: files for any web server or WebDAV folder.

    DIR gets index.xml (OPDS 1.2) and index.json (OPDS 2.0), one feed per shelf (by author,
    series, feed and month), every book as an EPUB and a Kobo kepub in books/ and its cover
    and thumbnail in covers/. Run it again after `feed2book sync`: books whose articles did
    not change keep their files; files of books that changed are replaced. Search and "new
    since your last visit" need `feed2book serve`.

    Examples:

        feed2book opds -o catalogue/

        feed2book opds --library my-library.sqlite3 -o site/ --images link
    """
    from feed2book.opds.reading import read_catalogue
    from feed2book.opds.static import write_static

    env = Environment()
    messenger = Messenger(env, Verbosity.QUIET if quiet else Verbosity.NORMAL, debug=debug)
    with edge(env, messenger):
        path, settings, label = _library_and_settings(library, images, cache_dir)
        catalogue = read_catalogue(path, label, on_damage=_damage_warning(messenger))
        if not catalogue.books():
            raise NothingToOutput(
                f"the library {path} holds no articles", hint="`feed2book add FEED…` adds some"
            )
        result = write_static(catalogue, output, settings)
        removed = f"; removed {result.removed} old files" if result.removed else ""
        messenger.info(
            f"wrote {output / 'index.xml'}: {result.books} books ({result.built} built now), "
            f"{result.documents} catalogue documents{removed}"
        )


_PASSWORD_ENV = "FEED2BOOK_OPDS_PASSWORD"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM (systemd, docker stop) stops the server like Ctrl-C


def _credentials(user: str | None) -> Credentials | None:
    from feed2book.opds.server import PASSWORD_ENV, Credentials

    password = os.environ.get(PASSWORD_ENV, "")
    if user is None:
        if password:
            raise UsageError(f"{PASSWORD_ENV} is set but --user is not", hint="add --user NAME")
        return None
    if not user or ":" in user:
        raise UsageError(f"--user {user!r}: a user name must be non-empty and have no ':'")
    if not password:
        raise UsageError(
            f"--user needs a password in {PASSWORD_ENV}",
            hint=f"{PASSWORD_ENV}=… feed2book serve --user {user} (never on the command line)",
        )
    return Credentials(user, password)


def _library_and_settings(
    library: Path | None, images: ImageMode, cache_dir: Path | None
) -> tuple[Path, BuildSettings, str]:
    from feed2book.images import ImageOptions, default_cache_dir
    from feed2book.library import default_library_path
    from feed2book.output.build import BuildSettings

    image_cache = default_cache_dir({"FEED2BOOK_CACHE_DIR": str(cache_dir)}) if cache_dir else None
    settings = BuildSettings(images=ImageOptions(mode=images, cache_dir=image_cache))
    return library or default_library_path(), settings, f"images={images.value}"


def _opds_cache(cache_dir: Path | None) -> Path:
    from feed2book.images import default_cache_dir

    root = cache_dir if cache_dir is not None else default_cache_dir().parent
    return root / OPDS_FOLDER


def _damage_warning(messenger: Messenger) -> Callable[[Damage], None]:
    def warn(damage: Damage) -> None:
        messenger.warning(damaged_message(damage))

    return warn


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.command("opds")(opds_command)
