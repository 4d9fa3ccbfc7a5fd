"""``feed2book serve``: the library as an OPDS catalogue over HTTP (standard library only).

``OpdsApp.answer(method, target, headers)`` decides every reply without touching a socket;
``make_server`` puts it behind ``http.server.ThreadingHTTPServer``. What is served:

- ``/opds/index.xml`` (OPDS 1.2) and ``/opds/index.json`` (OPDS 2.0), a feed per shelf
  (``authors``, ``series``, ``feeds``, ``months``, ``new``) in both, search (``search.xml?q=``,
  ``search.json?query=``) and its OpenSearch description (``opensearch.xml``);
- ``/opds/books/NAME.epub`` built on first request (``files``), with ``ETag`` and
  ``Last-Modified`` (``304`` to a matching ``If-None-Match`` / ``If-Modified-Since``);
- ``/opds/covers/NAME.jpg`` and ``NAME-thumb.jpg``.

A file is found only by looking its name up among the catalogue's books: no part of a request
ever becomes a path, so nothing outside the cache can be reached. With credentials, every
request needs HTTP basic auth (compared in constant time).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from feed2book.errors import Feed2BookError
from feed2book.opds import atom, layout, opds2
from feed2book.opds.catalogue import NEW, SEARCH, BookEntry, Shelf
from feed2book.opds.files import BookFiles
from feed2book.opds.layout import Format
from feed2book.opds.reading import DamageHandler, LiveCatalogue, new_article_ids
from feed2book.opds.visits import VISITS_FILE, Visits
from feed2book.output.build import BuildSettings

HOST = "127.0.0.1"  # this machine only; ``--host 0.0.0.0`` shares the catalogue on the LAN
PORT = 8573
PASSWORD_ENV = "FEED2BOOK_OPDS_PASSWORD"
PREFIX = "/opds/"
REMEMBERED_BOOKS = 256  # books of ``new`` and search shelves kept downloadable
_TEXT = "text/plain; charset=utf-8"
_XML = "application/xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Credentials:
    user: str
    password: str = field(repr=False)

    def accept(self, authorization: str | None) -> str | None:
        """The user name when ``authorization`` (an ``Authorization`` header) carries these
        credentials, else None. Both parts are compared in constant time, always."""
        given_user, given_password = b"", b""
        if authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True)
            except (binascii.Error, ValueError):
                decoded = b""
            given_user, _, given_password = decoded.partition(b":")
        same_user = hmac.compare_digest(given_user, self.user.encode("utf-8"))
        same_password = hmac.compare_digest(given_password, self.password.encode("utf-8"))
        return self.user if same_user and same_password else None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    library: Path
    cache: Path  # books, covers and ``visits.json``
    build: BuildSettings
    build_label: str  # the build settings, as part of every book's digest
    credentials: Credentials | None = None
    formats: tuple[Format, ...] = layout.FORMATS


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes | Path = b""  # a Path is streamed from disk


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OpdsApp:
    """What the server answers, request by request (shared by its threads)."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        now: Clock = _utc_now,
        on_damage: DamageHandler | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.now = now
        self.on_error = on_error
        self.catalogue = LiveCatalogue(settings.library, settings.build_label, on_damage=on_damage)
        self.files = BookFiles(settings.cache, settings.build)
        self.visits = Visits(settings.cache / VISITS_FILE)
        self._remembered: OrderedDict[str, BookEntry] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, method: str, target: str, headers: Mapping[str, str]) -> Reply:
        """The reply to ``method target`` (``headers`` keys in lower case)."""
        if method not in ("GET", "HEAD"):
            return _plain(
                HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", {"Allow": "GET, HEAD"}
            )
        user = ""
        if self.settings.credentials is not None:
            accepted = self.settings.credentials.accept(headers.get("authorization"))
            if accepted is None:
                challenge = {"WWW-Authenticate": 'Basic realm="feed2book", charset="UTF-8"'}
                return _plain(HTTPStatus.UNAUTHORIZED, "log in to read this catalogue", challenge)
            user = accepted
        try:
            return self._route(target, headers, user)
        except Feed2BookError as error:
            return _plain(HTTPStatus.SERVICE_UNAVAILABLE, str(error))
        except Exception as error:  # one failed request must not stop the server
            if self.on_error is not None:
                self.on_error(f"{method} {target}: {type(error).__name__}: {error}")
            return _plain(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed; see its log")

    def _route(self, target: str, headers: Mapping[str, str], user: str) -> Reply:
        parts = urlsplit(target)
        path = unquote(parts.path)
        if path in ("/", "/opds", "/opds/", "/opds/index"):
            return Reply(
                HTTPStatus.FOUND, {"Location": f"{PREFIX}{layout.ROOT}.xml", "Content-Length": "0"}
            )
        if not path.startswith(PREFIX):
            return _not_found()
        name = path[len(PREFIX) :]
        if name.startswith(f"{layout.BOOKS}/"):
            return self._book(name[len(layout.BOOKS) + 1 :], headers)
        if name.startswith(f"{layout.COVERS}/"):
            return self._cover(name[len(layout.COVERS) + 1 :], headers)
        stem, dot, extension = name.rpartition(".")
        if not dot or extension not in ("xml", "json"):
            return _not_found()
        return self._catalogue_document(stem, extension, parse_qs(parts.query), headers, user)

    def _catalogue_document(
        self,
        stem: str,
        extension: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        user: str,
    ) -> Reply:
        """A catalogue document: the root, a shelf, a search, the OpenSearch description."""
        catalogue = self.catalogue.current()
        visit = self.visits.request(user, self.now())
        if f"{stem}.{extension}" == layout.OPENSEARCH:
            host = headers.get("host") or f"{HOST}:{PORT}"
            template = f"http://{host}{PREFIX}{SEARCH}.xml?q={{searchTerms}}"
            description = atom.opensearch_description(catalogue, template)
            return _document(description, layout.OPENSEARCH_TYPE)
        if stem == layout.ROOT:
            if extension == "xml":
                return _document(atom.navigation_feed(catalogue, live=True), layout.NAVIGATION_TYPE)
            return _document(opds2.navigation_feed(catalogue, live=True), layout.OPDS2_TYPE)
        shelf: Shelf | None
        if stem == SEARCH:
            shelf = catalogue.search((query.get("q") or query.get("query") or [""])[0])
        elif stem == NEW:
            since = visit.new_since()
            shelf = catalogue.new_shelf(new_article_ids(self.settings.library, since), since)
        else:
            shelf = catalogue.shelf(stem)
        if shelf is None:
            return _not_found()
        self._remember(shelf)
        formats = self.settings.formats
        if extension == "xml":
            feed = atom.acquisition_feed(catalogue, shelf, live=True, formats=formats)
            return _document(feed, layout.ACQUISITION_TYPE)
        publications = opds2.publications_feed(catalogue, shelf, live=True, formats=formats)
        return _document(publications, layout.OPDS2_TYPE)

    def _book(self, name: str, headers: Mapping[str, str]) -> Reply:
        # Longest suffix first: ``.kepub.epub`` is not an ``.epub`` of a book named ``….kepub``.
        for download in sorted(self.settings.formats, key=lambda f: -len(f.suffix)):
            if name.endswith(download.suffix):
                entry = self._entry(name[: -len(download.suffix)])
                if entry is None:
                    break
                validators = _validators(entry, download.name)
                if _fresh(headers, validators, entry.updated):
                    return Reply(HTTPStatus.NOT_MODIFIED, validators)
                path = self.files.book(entry, download)
                disposition = f'attachment; filename="{entry.file_name}{download.suffix}"'
                return _file(
                    path, download.media_type, {**validators, "Content-Disposition": disposition}
                )
        return _not_found()

    def _cover(self, name: str, headers: Mapping[str, str]) -> Reply:
        for suffix, make in (
            (layout.THUMBNAIL_SUFFIX, self.files.thumbnail),
            (layout.COVER_SUFFIX, self.files.cover),
        ):
            if name.endswith(suffix):
                entry = self._entry(name[: -len(suffix)])
                if entry is None:
                    break
                validators = _validators(entry, suffix)
                if _fresh(headers, validators, entry.updated):
                    return Reply(HTTPStatus.NOT_MODIFIED, validators)
                return _file(make(entry), layout.JPEG_TYPE, validators)
        return _not_found()

    def _entry(self, file_name: str) -> BookEntry | None:
        found = self.catalogue.current().books().get(file_name)
        if found is not None:
            return found
        with self._lock:
            return self._remembered.get(file_name)

    def _remember(self, shelf: Shelf) -> None:
        """Keep the books of a shelf the catalogue does not hold (``new``, a search) reachable
        for their downloads."""
        with self._lock:
            for entry in shelf.entries:
                self._remembered[entry.file_name] = entry
                self._remembered.move_to_end(entry.file_name)
            while len(self._remembered) > REMEMBERED_BOOKS:
                self._remembered.popitem(last=False)


def _validators(entry: BookEntry, variant: str) -> dict[str, str]:
    return {
        "ETag": f'"{entry.digest[:32]}-{variant.strip(".-")}"',
        "Last-Modified": format_datetime(entry.updated.astimezone(UTC), usegmt=True),
        "Cache-Control": "no-cache",
    }


def _fresh(headers: Mapping[str, str], validators: Mapping[str, str], updated: datetime) -> bool:
    """Whether the client's copy is current (``If-None-Match`` wins over ``If-Modified-Since``)."""
    match = headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or validators["ETag"] in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return updated.replace(microsecond=0) <= moment


def _document(body: bytes, media_type: str) -> Reply:
    charset = "" if "charset" in media_type else "; charset=utf-8"
    return Reply(
        HTTPStatus.OK,
        {
            "Content-Type": media_type + charset,
            "Content-Length": str(len(body)),
            "Cache-Control": "no-cache",
        },
        body,
    )


def _file(path: Path, media_type: str, headers: Mapping[str, str]) -> Reply:
    size = path.stat().st_size
    return Reply(
        HTTPStatus.OK, {"Content-Type": media_type, "Content-Length": str(size), **headers}, path
    )


def _plain(status: int, text: str, headers: Mapping[str, str] | None = None) -> Reply:
    body = (text + "\n").encode("utf-8")
    return Reply(
        status, {"Content-Type": _TEXT, "Content-Length": str(len(body)), **(headers or {})}, body
    )


def _not_found() -> Reply:
    return _plain(HTTPStatus.NOT_FOUND, "not found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C does not wait for a reader that keeps its connection open
    app: OpdsApp
    on_log: Callable[[str], None] | None

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # a reader that hung up
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "feed2book"

    def do_GET(self) -> None:
        self._reply(head=False)

    def do_HEAD(self) -> None:
        self._reply(head=True)

    def _other(self) -> None:
        self._reply(head=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other

    def _reply(self, *, head: bool) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        reply = self.server.app.answer("GET" if head else self.command, self.path, headers)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if head or reply.status in (HTTPStatus.NOT_MODIFIED, HTTPStatus.FOUND):
            return
        if isinstance(reply.body, Path):
            with reply.body.open("rb") as source:
                shutil.copyfileobj(source, self.wfile)
        else:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.on_log is not None:
            self.server.on_log(f"{self.address_string()} {format % args}")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.on_log is not None:
            self.server.on_log(f"{self.command} {self.path} {getattr(code, 'value', code)}")


def make_server(
    app: OpdsApp, host: str = HOST, port: int = PORT, *, on_log: Callable[[str], None] | None = None
) -> ThreadingHTTPServer:
    """A threaded HTTP server for ``app``, bound (port 0: any free port); call
    ``serve_forever``, then ``server_close``."""
    server = _Server((host, port), _Handler)
    server.app = app
    server.on_log = on_log
    return server
