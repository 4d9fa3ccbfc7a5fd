"""The OPDS catalogue: ``feed2book serve`` on 127.0.0.1 read by a real HTTP client, its
documents parsed by feedparser (OPDS 1.2 Atom) and ``json`` (OPDS 2.0) and checked for the
elements the specs require, every navigation link followed, every acquisition link downloaded
(the books pass EPUBCheck); and ``feed2book opds -o DIR``, whose links all resolve to files.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from lxml import etree
from PIL import Image
from typer.testing import CliRunner

from feed2book.cli import app
from feed2book.delivery.devices import for_device
from feed2book.delivery.options import Device
from feed2book.images import ImageOptions
from feed2book.library import Library
from feed2book.models import Article, SeriesRef
from feed2book.opds.layout import EPUB, kepub_format
from feed2book.opds.server import Credentials, OpdsApp, ServerSettings, make_server
from feed2book.opds.visits import Visit, next_visit
from feed2book.output.build import BuildSettings
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.factory import make_article

ACQUISITION = "http://opds-spec.org/acquisition"
NAVIGATION_TYPE = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
STORED = datetime(2026, 6, 1, 9, tzinfo=UTC)  # when the library first saw the articles
HOSTILE_NAME = 'Bo "the <b>bold</b>" & </title><script>alert(1)</script> \x07Chen'


def articles() -> list[Article]:
    """Two authors, a three-part series, and a title that tries to break out of XML."""
    series = [
        make_article(
            id=f"forem:ana/owls-{n}",
            title=f"Owl facts, part {n}",
            author=("Ana Lima", "ana"),
            published=datetime(2026, 5, n, 8, tzinfo=UTC),
            content=f"<p>Owls, chapter {n}: they turn their heads a long way.</p>",
            series=SeriesRef("Owl facts", n),
        )
        for n in (1, 2, 3)
    ]
    other = make_article(
        id="forem:bo/hostile",
        title="Markup in the byline",
        author=(HOSTILE_NAME, "bo"),
        published=datetime(2026, 4, 20, 8, tzinfo=UTC),
        content="<p>A post whose title is full of markup.</p>",
    )
    return [*series, other]


def make_library(path: Path, stored: list[Article], at: datetime = STORED) -> None:
    with Library.open(path, now=lambda: at) as library:
        library.store("test-feed", stored)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT/opds/
    app: OpdsApp


@contextmanager
def serving(app: OpdsApp) -> Iterator[Served]:
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}/opds/", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def opds_app(tmp_path: Path, clock: Clock | None = None, **changes: Any) -> OpdsApp:
    settings = ServerSettings(
        library=tmp_path / "library.sqlite3",
        cache=tmp_path / "cache",
        build=BuildSettings(images=ImageOptions(cache_dir=tmp_path / "images")),
        build_label="test",
    )
    settings = dataclasses.replace(settings, **changes)
    return OpdsApp(settings, now=clock) if clock is not None else OpdsApp(settings)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""  # after redirects: the base of relative links


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            headers = dict(response.headers.items())
            return Answer(response.status, headers, response.read(), response.url)
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers.items()), error.read(), url)


def parse_atom(answer: Answer) -> feedparser.FeedParserDict:
    etree.fromstring(answer.body)  # well-formed XML, or this raises
    served_as = {"content-location": answer.url, "content-type": answer.headers["Content-Type"]}
    parsed = feedparser.parse(answer.body, response_headers=served_as)
    assert not parsed.bozo, parsed.get("bozo_exception")
    feed = parsed.feed
    assert feed.id and feed.title and feed.updated  # Atom's (and OPDS 1.2's) required elements
    assert {link.rel for link in feed.links} >= {"self", "start"}
    assert all(link.type for link in feed.links)
    return parsed


# --- OPDS 1.2 --------------------------------------------------------------------------------


def test_every_link_of_the_served_catalogue_leads_somewhere_and_every_book_is_valid(
    tmp_path: Path,
) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    with serving(opds_app(tmp_path, Clock(STORED + timedelta(hours=1)))) as served:
        root = fetch(served.base.removesuffix("opds/"))  # / redirects to the catalogue
        assert root.status == 200
        assert root.headers["Content-Type"].startswith(NAVIGATION_TYPE)
        navigation = parse_atom(root)
        shelves = [link for entry in navigation.entries for link in entry.links]
        assert {link.href for link in shelves} == {
            f"{served.base}{name}.xml" for name in ("new", "authors", "series", "feeds", "months")
        }
        books: dict[str, bytes] = {}
        covers = []
        for shelf in shelves:
            assert shelf.rel == "subsection" and shelf.type == ACQUISITION_TYPE
            answer = fetch(shelf.href)
            assert answer.headers["Content-Type"].startswith(ACQUISITION_TYPE)
            feed = parse_atom(answer)
            assert feed.entries, shelf.href
            for entry in feed.entries:
                assert entry.id.startswith("urn:uuid:") and entry.title and entry.updated
                assert entry.authors
                rels = {link.rel: link for link in entry.links}
                acquisitions = [link for link in entry.links if link.rel == ACQUISITION]
                assert [link.type for link in acquisitions] == [
                    "application/epub+zip",
                    "application/kepub+zip",
                ]
                assert rels["http://opds-spec.org/image"].type == "image/jpeg"
                covers.append(rels["http://opds-spec.org/image/thumbnail"].href)
                for link in acquisitions:
                    if link.href not in books:
                        download = fetch(link.href)
                        assert download.status == 200
                        assert download.headers["Content-Type"] == link.type
                        books[link.href] = download.body
        cover = fetch(covers[0].removesuffix("-thumb.jpg") + ".jpg")
        thumbnail = fetch(covers[0])
    # authors 2, series 1, feeds 1, months 2 (April, May); new: one of everything, and one per
    # author, which are the authors' books (everything is new on a first visit); each as an
    # EPUB and a kepub
    assert len(books) == 2 * 7
    assert Image.open(io.BytesIO(cover.body)).size == (1600, 2560)
    assert Image.open(io.BytesIO(thumbnail.body)).size == (240, 384)
    assert_all_epubcheck_clean({urlsplit(href).path: data for href, data in books.items()})


def test_titles_and_names_are_escaped_in_atom_and_json(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    with serving(opds_app(tmp_path)) as served:
        atom = parse_atom(fetch(served.base + "authors.xml"))
        document = json.loads(fetch(served.base + "authors.json").body)
    expected = HOSTILE_NAME.replace("\x07", "")  # XML cannot carry a BEL: dropped
    assert expected in [entry.title for entry in atom.entries]  # the author's book
    assert expected in [a.name for e in atom.entries for a in e.authors]
    assert HOSTILE_NAME in [p["metadata"]["title"] for p in document["publications"]]


def test_search_by_title_or_author_and_the_opensearch_description(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    with serving(opds_app(tmp_path)) as served:
        description = fetch(served.base + "opensearch.xml")
        found = parse_atom(fetch(served.base + "search.xml?q=ANA%20lima"))
        owls = parse_atom(fetch(served.base + "search.xml?q=owl"))
        none = parse_atom(fetch(served.base + "search.xml?q=penguins"))
        as_json = json.loads(fetch(served.base + "search.json?query=owl").body)
        navigation = parse_atom(fetch(served.base + "index.xml"))
    assert description.headers["Content-Type"].startswith("application/opensearchdescription+xml")
    url = etree.fromstring(description.body).find("{http://a9.com/-/spec/opensearch/1.1/}Url")
    assert url is not None
    assert url.get("template") == served.base + "search.xml?q={searchTerms}"
    assert url.get("type") == ACQUISITION_TYPE
    assert any(link.rel == "search" for link in navigation.feed.links)
    # Every book Ana Lima wrote for: hers, the series, the month, the feed; not Bo's.
    assert "Ana Lima" in [entry.title for entry in found.entries]
    assert all("Ana Lima" in [a.name for a in entry.authors] for entry in found.entries)
    assert len(found.entries) == 4
    assert [entry.title for entry in owls.entries] == ["Owl facts"]
    assert none.entries == []
    assert [p["metadata"]["title"] for p in as_json["publications"]] == ["Owl facts"]


def test_books_have_validators_head_and_conditional_get(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    with serving(opds_app(tmp_path)) as served:
        feed = parse_atom(fetch(served.base + "series.xml"))
        href = next(link.href for link in feed.entries[0].links if link.rel == ACQUISITION)
        head = fetch(href, "HEAD")
        full = fetch(href)
        by_tag = fetch(href, headers={"If-None-Match": full.headers["ETag"]})
        by_date = fetch(href, headers={"If-Modified-Since": full.headers["Last-Modified"]})
        other_tag = fetch(href, headers={"If-None-Match": '"something-else"'})
        head_feed = fetch(served.base + "index.json", "HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(full.body)) == full.headers["Content-Length"]
    assert head.headers["ETag"] == full.headers["ETag"]
    assert full.headers["Last-Modified"] == "Sun, 03 May 2026 08:00:00 GMT"  # the newest part
    assert full.headers["Content-Disposition"].startswith('attachment; filename="owl-facts-')
    assert (by_tag.status, by_tag.body) == (304, b"")
    assert (by_date.status, by_date.body) == (304, b"")
    assert other_tag.status == 200
    assert head_feed.status == 200 and head_feed.body == b""
    assert head_feed.headers["Content-Type"] == "application/opds+json; charset=utf-8"


def test_a_served_book_is_byte_for_byte_the_one_feed2book_epub_builds(tmp_path: Path) -> None:
    library = tmp_path / "library.sqlite3"
    make_library(library, articles())
    built = CliRunner().invoke(
        app,
        ["epub", "--group-by", "series", "--library", str(library), "-o", str(tmp_path / "out")],
    )
    assert built.exit_code == 0, built.output
    with serving(opds_app(tmp_path)) as served:
        feed = parse_atom(fetch(served.base + "series.xml"))
        href = next(link.href for link in feed.entries[0].links if link.rel == ACQUISITION)
        served_book = fetch(href).body
    [written] = (tmp_path / "out").glob("*.epub")
    assert served_book == written.read_bytes()


# --- safety ----------------------------------------------------------------------------------


def test_nothing_outside_the_catalogue_can_be_reached(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    (tmp_path / "cache" / "books").mkdir(parents=True)
    (tmp_path / "cache" / "books" / "planted.epub").write_bytes(b"not offered")
    (tmp_path / "secret.txt").write_text("secret")
    with serving(opds_app(tmp_path)) as served:
        parse_atom(fetch(served.base + "index.xml"))  # writes cache/visits.json
        host = served.base.removesuffix("/opds/")
        targets = [
            "/opds/books/planted.epub",
            "/opds/books/../../secret.txt",
            "/opds/books/%2e%2e/%2e%2e/secret.txt",
            "/opds/books/..%2f..%2fsecret.txt",
            "/opds/covers/..%2fvisits.json",
            "/opds/../secret.txt",
            "/opds/..%2flibrary.sqlite3",
            "/opds/visits.json",
            "/opds/books/%2fetc%2fpasswd",
            "/etc/passwd",
            "/opds/authors.xml%00.epub",
            "/opds/nothing.xml",
        ]
        answers = {target: fetch(host + target) for target in targets}
        post = fetch(served.base + "index.xml", "POST")
    for target, answer in answers.items():
        assert answer.status == 404, target
        assert b"secret" not in answer.body and b"not offered" not in answer.body
    assert post.status == 405 and post.headers["Allow"] == "GET, HEAD"


def test_basic_auth_guards_every_request(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    app = opds_app(tmp_path, credentials=Credentials("reader", "s3cret pass:word"))

    def basic(user: str, password: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    with serving(app) as served:
        anonymous = fetch(served.base + "index.xml")
        wrong = fetch(served.base + "index.xml", headers=basic("reader", "guess"))
        right = fetch(served.base + "index.xml", headers=basic("reader", "s3cret pass:word"))
        book = fetch(served.base + "books/anything.epub")
    assert anonymous.status == wrong.status == book.status == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="feed2book", charset="UTF-8"'
    assert right.status == 200


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic", "Basic !!!", "Bearer cmVhZGVyOnB3", "Basic " + "cmVhZGVy"],
)
def test_malformed_authorization_is_refused(header: str | None) -> None:
    assert Credentials("reader", "pw").accept(header) is None


# --- new since the last visit ----------------------------------------------------------------


def test_new_since_last_visit_holds_what_arrived_after_the_previous_visit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "library.sqlite3"
    make_library(path, articles())
    clock = Clock(STORED + timedelta(days=1))
    with serving(opds_app(tmp_path, clock)) as served:
        first = parse_atom(fetch(served.base + "new.xml"))  # never here: the last 7 days
        clock.now += timedelta(minutes=10)
        fetch(served.base + "index.xml")  # the same visit goes on
        later = make_article(
            id="forem:ana/owls-4",
            title="Owl facts, part 4",
            author=("Ana Lima", "ana"),
            published=datetime(2026, 5, 4, 8, tzinfo=UTC),
            content="<p>Owls, chapter 4: their feathers are quiet.</p>",
        )
        make_library(path, [later], at=STORED + timedelta(days=2))
        clock.now = STORED + timedelta(days=3)  # a new visit
        second = parse_atom(fetch(served.base + "new.xml"))
        old_href = next(link.href for link in first.entries[1].links if link.rel == ACQUISITION)
        series = parse_atom(fetch(served.base + "series.xml"))
        gone = fetch(old_href) if "owl-facts" in old_href else None
    assert first.entries[0].summary.startswith("4 articles")
    assert [entry.summary.split(",")[0] for entry in second.entries] == ["1 article"]
    assert second.feed.title == "New since 02 Jun 2026 09:10 UTC"
    assert series.entries[0].summary.startswith("4 articles")  # the series book grew
    assert gone is None or gone.status == 404
    stored = json.loads((tmp_path / "cache" / "visits.json").read_text())
    assert stored[""]["since"] == "2026-06-02T09:10:00+00:00"  # survives a restart


@pytest.mark.parametrize(
    ("minutes_later", "since"),
    [
        (5, None),  # the same visit goes on: still no earlier one
        (29, None),
        (31, STORED),  # a new visit: the previous one ended at STORED
    ],
)
def test_a_visit_ends_after_half_an_hour_without_requests(
    minutes_later: int, since: datetime | None
) -> None:
    first = next_visit(None, STORED)
    assert first == Visit(STORED, None)
    assert first.new_since() == STORED - timedelta(days=7)
    later = STORED + timedelta(minutes=minutes_later)
    assert next_visit(first, later) == Visit(later, since)


# --- OPDS 2.0 --------------------------------------------------------------------------------


def test_opds2_documents_have_the_required_fields_and_the_same_books(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    with serving(opds_app(tmp_path)) as served:
        root = fetch(served.base + "index.json")
        assert root.headers["Content-Type"] == "application/opds+json; charset=utf-8"
        navigation = json.loads(root.body)
        feeds = {}
        for link in navigation["navigation"]:
            assert link["href"] and link["title"] and link["type"] == "application/opds+json"
            feeds[link["href"]] = json.loads(fetch(urljoin(served.base, link["href"])).body)
        atom_books = {
            urljoin(served.base + "authors.xml", link.href)
            for entry in parse_atom(fetch(served.base + "authors.xml")).entries
            for link in entry.links
            if link.rel == ACQUISITION
        }
        json_books = set()
        for href, feed in feeds.items():
            assert feed["metadata"]["title"]
            assert any(link["rel"] == "self" and link["type"] for link in feed["links"])
            for publication in feed["publications"]:
                metadata = publication["metadata"]
                assert metadata["@type"] == "http://schema.org/Book"
                assert metadata["title"] and metadata["identifier"].startswith("urn:uuid:")
                assert metadata["modified"].endswith("Z")
                assert publication["images"] and all(i["href"] for i in publication["images"])
                acquisition = [link for link in publication["links"] if link["rel"] == ACQUISITION]
                assert [link["type"] for link in acquisition] == [
                    "application/epub+zip",
                    "application/kepub+zip",
                ]
                if href == "authors.json":
                    json_books |= {urljoin(served.base, link["href"]) for link in acquisition}
        head = {href: fetch(href, "HEAD").status for href in json_books}
    assert navigation["metadata"]["title"]
    assert any(link["rel"] == "search" and link["templated"] for link in navigation["links"])
    assert set(feeds) == {"new.json", "authors.json", "series.json", "feeds.json", "months.json"}
    assert json_books == atom_books and set(head.values()) == {200}


# --- formats: the EPUB and the kepub --------------------------------------------------------


def test_a_second_format_gets_its_own_acquisition_link_and_download(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    marked = kepub_format(lambda epub: epub + b"kobo")  # any pass over the built EPUB
    with serving(opds_app(tmp_path, formats=(EPUB, marked))) as served:
        entry = parse_atom(fetch(served.base + "series.xml")).entries[0]
        links = [link for link in entry.links if link.rel == ACQUISITION]
        downloads = [fetch(link.href) for link in links]
    assert [link.type for link in links] == ["application/epub+zip", "application/kepub+zip"]
    assert links[1].href.endswith(".kepub.epub")
    assert downloads[1].headers["Content-Type"] == "application/kepub+zip"
    assert downloads[1].body == downloads[0].body + b"kobo"


def test_every_book_is_offered_as_the_kepub_epub_device_kobo_writes(tmp_path: Path) -> None:
    """By default a catalogue offers each book twice: the EPUB, and the kepub a Kobo opens
    with its own reader (the ``--device kobo`` pass over those EPUB bytes)."""
    make_library(tmp_path / "library.sqlite3", articles())
    with serving(opds_app(tmp_path)) as served:
        entry = parse_atom(fetch(served.base + "series.xml")).entries[0]
        links = [link for link in entry.links if link.rel == ACQUISITION]
        epub, kepub = (fetch(link.href).body for link in links)
    assert [link.type for link in links] == ["application/epub+zip", "application/kepub+zip"]
    assert kepub == for_device(epub, Device.KOBO) != epub
    with zipfile.ZipFile(io.BytesIO(kepub)) as archive:
        pages = [archive.read(name) for name in archive.namelist() if name.endswith(".xhtml")]
    assert any(b'class="koboSpan" id="kobo.1.1"' in page for page in pages)


# --- the static catalogue ---------------------------------------------------------------------


def links_in(document: Path) -> list[str]:
    if document.suffix == ".json":
        data = json.loads(document.read_text())
        found = [link["href"] for link in data["links"] + data.get("navigation", [])]
        for publication in data.get("publications", []):
            found += [link["href"] for link in publication["links"] + publication["images"]]
        return found
    tree = etree.parse(str(document))
    return [str(link.get("href")) for link in tree.iter("{http://www.w3.org/2005/Atom}link")]


def test_the_static_catalogue_is_browsable_and_rebuilds_only_what_changed(tmp_path: Path) -> None:
    library = tmp_path / "library.sqlite3"
    make_library(library, articles())
    out = tmp_path / "site"
    runner = CliRunner()
    first = runner.invoke(app, ["opds", "-o", str(out), "--library", str(library)])
    assert first.exit_code == 0, first.output
    assert "6 books (6 built now), 10 catalogue documents" in first.stderr
    documents = sorted(out.glob("*.xml")) + sorted(out.glob("*.json"))
    assert {d.name for d in documents} >= {"index.xml", "index.json", "authors.xml"}
    for document in documents:
        for href in links_in(document):
            assert (out / href).is_file(), f"{document.name}: {href}"
    for epub in (out / "books").iterdir():
        with zipfile.ZipFile(epub) as archive:
            assert archive.read("mimetype") == b"application/epub+zip"
    index = out / "index.xml"
    feed = parse_atom(
        Answer(200, {"Content-Type": NAVIGATION_TYPE}, index.read_bytes(), index.as_uri())
    )
    assert not any(link.rel == "search" for link in feed.feed.links)  # no server to search
    later = make_article(
        id="forem:ana/owls-4",
        title="Owl facts, part 4",
        author=("Ana Lima", "ana"),
        published=datetime(2026, 5, 4, 8, tzinfo=UTC),
    )
    make_library(library, [later])
    (out / "books" / "my-own.epub").write_bytes(b"a book feed2book did not write")
    again = runner.invoke(app, ["opds", "-o", str(out), "--library", str(library)])
    assert again.exit_code == 0, again.output
    # Ana's book, the series, the feed and May changed; Bo's book and April did not. Each changed
    # book leaves four old files: its EPUB, its kepub, its cover and its thumbnail.
    assert "6 books (4 built now), 10 catalogue documents; removed 16 old files" in again.stderr
    assert len(list((out / "books").iterdir())) == 2 * 6 + 1  # each book twice, and my-own.epub
    assert (out / "books" / "my-own.epub").read_bytes() == b"a book feed2book did not write"


def test_the_static_catalogue_of_a_missing_or_empty_library_is_refused(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["opds", "-o", str(tmp_path / "site")])
    assert missing.exit_code == 3
    assert "there is no library at" in missing.stderr
    Library.open(tmp_path / "empty.sqlite3").close()
    empty = CliRunner().invoke(
        app, ["opds", "-o", str(tmp_path / "site"), "--library", str(tmp_path / "empty.sqlite3")]
    )
    assert empty.exit_code == 3
    assert "holds no articles" in empty.stderr


# --- the command ------------------------------------------------------------------------------


def test_serve_without_a_library_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--library", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 3
    assert f"there is no library at {tmp_path / 'none.sqlite3'} yet" in result.stderr


def test_serve_needs_the_password_from_the_environment(tmp_path: Path) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    library = ["--library", str(tmp_path / "library.sqlite3")]
    no_password = CliRunner().invoke(app, ["serve", "--user", "reader", *library])
    assert no_password.exit_code == 2
    assert "--user needs a password in FEED2BOOK_OPDS_PASSWORD" in no_password.stderr
    no_user = CliRunner().invoke(app, ["serve", *library], env={"FEED2BOOK_OPDS_PASSWORD": "pw"})
    assert no_user.exit_code == 2
    assert "FEED2BOOK_OPDS_PASSWORD is set but --user is not" in no_user.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_answers_then_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    make_library(tmp_path / "library.sqlite3", articles())
    library = ["--library", str(tmp_path / "library.sqlite3")]
    process = subprocess.Popen(
        [sys.executable, "-m", "feed2book", "serve", "--port", "0", *library],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "FEED2BOOK_CACHE_DIR": str(tmp_path / "cache")},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        assert " at http://127.0.0.1:" in line, line
        address = line.split(" at ", 1)[1].split(" ", 1)[0]
        answer = fetch(address)
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert answer.status == 200 and b"<feed" in answer.body
    assert process.returncode == 0
    assert out == b""  # stdout is for data: the server has none
    assert "stopped" in err.decode() and "Traceback" not in err.decode()
