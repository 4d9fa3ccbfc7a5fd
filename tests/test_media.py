"""Podcasts and video feeds: enclosures read from RSS, Atom, Media RSS and JSON Feed, carried
through JSON Lines and the library unchanged, and linked on every page as Listen/Watch/Attachment.
Also: every lang- and media- fixture builds a book EPUBCheck passes without a message."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.library import records
from feed2book.models import Enclosure
from feed2book.parse import enclosures
from tests.conftest import DATA, PRACTICE, REPO
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.factory import make_article

FEEDS = DATA / "feeds"
PODCAST = FEEDS / "media-podcast.xml"
VIDEO = FEEDS / "media-video-atom.xml"
ATTACHMENTS = FEEDS / "media-attachments.json"
MEDIA = [str(PODCAST), str(VIDEO), str(ATTACHMENTS)]
SCHEMA = json.loads((REPO / "feed2book" / "schema" / "article.schema.json").read_text())


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def by_title(*sources: str) -> dict[str, list[dict[str, object]]]:
    lines = run("jsonl", *sources, "--fields", "title,enclosures").splitlines()
    return {record["title"]: record["enclosures"] for record in map(json.loads, lines)}


# --- reading -----------------------------------------------------------------------------------


def test_rss_enclosures_with_itunes_duration() -> None:
    assert by_title(str(PODCAST)) == {
        "Episode 1: Why feeds still matter": [
            # relative URL resolved, type guessed from .m4a, length 0 is "unknown"
            {
                "url": "https://podcast.example/episodes/ep1.m4a",
                "type": "audio/mp4",
                "length": None,
                "duration": 2700,
            },
            {
                "url": "https://cdn.podcast.example/art/ep1.jpg",
                "type": "image/jpeg",
                "length": None,
                "duration": None,
            },
            {
                "url": "https://cdn.podcast.example/notes/ep1.pdf",
                "type": "application/pdf",
                "length": 120500,
                "duration": None,
            },
        ],
        "Episode 2: Testing without mocks": [
            {
                "url": "https://cdn.podcast.example/episodes/ep2.mp3",
                "type": "audio/mpeg",
                "length": 45300000,
                "duration": 3735,
            }
        ],
    }


def test_atom_and_media_rss_video() -> None:
    assert by_title(str(VIDEO)) == {
        "Refactoring a parser, live": [
            {
                "url": "https://video.example/files/parser.mp4",
                "type": "video/mp4",
                "length": 734003200,
                "duration": None,
            }
        ],
        "Reading stack traces": [
            {
                "url": "https://video.example/files/traces.webm",
                "type": "video/webm",
                "length": 98000000,
                "duration": 1530,
            }
        ],
    }


def test_plain_rss_read_by_the_fast_reader_keeps_enclosures(tmp_path: Path) -> None:
    """No itunes namespace: ``fastrss`` reads this feed, not feedparser's handler."""
    feed = tmp_path / "plain.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>T</title>'
        "<link>https://p.example/</link><description>d</description><item><title>A</title>"
        "<link>https://p.example/a</link><description>hello</description>"
        '<enclosure url="https://p.example/a.mp3" length="1000" type="audio/mpeg"/>'
        "</item></channel></rss>",
        encoding="utf-8",
    )
    assert by_title(str(feed)) == {
        "A": [
            {
                "url": "https://p.example/a.mp3",
                "type": "audio/mpeg",
                "length": 1000,
                "duration": None,
            }
        ]
    }


def test_json_feed_attachments() -> None:
    assert by_title(str(ATTACHMENTS)) == {
        "On naming things": [
            {
                "url": "https://talks.example/audio/naming.ogg",
                "type": "audio/ogg",
                "length": 8200000,
                "duration": 605,
            }
        ]
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1:02:15", 3735),
        ("62:15", 3735),
        ("3735", 3735),
        ("3735.4", 3735),
        (" 45:00 ", 2700),
        (605, 605),
        ("", None),
        ("0", None),
        ("about an hour", None),
        (None, None),
        (True, None),
    ],
)
def test_durations(value: object, expected: int | None) -> None:
    assert enclosures.seconds(value) == expected


# --- JSON Lines and the library ----------------------------------------------------------------


def test_records_match_the_schema_in_key_order() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for line in run("jsonl", *MEDIA).splitlines():
        record = json.loads(line)
        validator.validate(record)
        assert list(record) == list(SCHEMA["properties"])[: len(record)]
        for enclosure in record["enclosures"]:
            assert list(enclosure) == ["url", "type", "length", "duration"]


def test_jsonl_read_back_gives_the_same_enclosures(tmp_path: Path) -> None:
    written = run("jsonl", *MEDIA)
    copy = tmp_path / "media.jsonl"
    copy.write_text(written, encoding="utf-8")
    assert run("jsonl", str(copy)) == written


def test_library_keeps_enclosures() -> None:
    from_files = run("jsonl", *MEDIA, "--content", "all")
    run("add", *MEDIA)
    assert run("jsonl", "--content", "all") == from_files


def test_stored_records_without_enclosures_are_unchanged() -> None:
    """Libraries written before enclosures were read hold records without the key: an article
    without enclosures encodes to the same text (the same content hash), and reads back."""
    plain = make_article()
    stored = records.encode(plain)
    assert "enclosures" not in json.loads(stored)
    assert records.decode(stored, plain.revision_key) == plain
    audio = Enclosure("https://x.example/a.mp3", "audio/mpeg", 10, 60)
    episode = replace(make_article(id="forem:test/episode"), enclosures=(audio,))
    assert records.decode(records.encode(episode), episode.revision_key) == episode


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enclosure", "text"),
    [
        (
            Enclosure("https://x/e.mp3", "audio/mpeg", 45_300_000, 3735),
            "Listen (MP3, 1:02:15, 45.3 MB)",
        ),
        (Enclosure("https://x/e.mp4", "video/mp4", 734_003_200), "Watch (MP4, 734.0 MB)"),
        (Enclosure("https://x/e.webm", "video/webm", None, 1530), "Watch (WebM, 25:30)"),
        (
            Enclosure("https://x/notes.pdf", "application/pdf", 120_500),
            "Attachment (PDF, 120.5 kB)",
        ),
        (Enclosure("https://x/stream", "audio/x-unknown"), "Listen"),
        (Enclosure("https://x/file.flac", ""), "Attachment (FLAC)"),
    ],
)
def test_labels(enclosure: Enclosure, text: str) -> None:
    assert enclosures.label(enclosure) == text


def test_images_are_not_linked() -> None:
    image = Enclosure("https://x/cover.heic", "image/jpeg")
    audio = Enclosure("https://x/e.mp3", "audio/mpeg")
    assert enclosures.linked((image, audio)) == (audio,)


EXPECTED_LINKS = [
    ("https://cdn.podcast.example/episodes/ep2.mp3", "Listen (MP3, 1:02:15, 45.3 MB)"),
    ("https://podcast.example/episodes/ep1.m4a", "Listen (M4A, 45:00)"),
    ("https://cdn.podcast.example/notes/ep1.pdf", "Attachment (PDF, 120.5 kB)"),
]


def test_episode_pages_link_their_media(tmp_path: Path) -> None:
    out = tmp_path / "podcast.epub"
    run("epub", str(PODCAST), "-o", str(out), "-g", "none", "-q")
    with zipfile.ZipFile(out) as book:
        pages = "".join(
            book.read(name).decode() for name in sorted(book.namelist()) if "/a-" in name
        )
    for url, text in EXPECTED_LINKS:
        assert f'<p class="article-meta enclosure"><a href="{url}">{text}</a></p>' in pages
    assert "ep1.jpg" not in pages


def test_markdown_links_the_same_media(tmp_path: Path) -> None:
    out = tmp_path / "podcast.md"
    run("markdown", str(PODCAST), "--single-file", "-o", str(out), "-g", "none", "-q")
    text = out.read_text(encoding="utf-8")
    for url, label in EXPECTED_LINKS:
        assert f"[{label}]({url})" in text
    assert "ep1.jpg" not in text


def test_markdown_front_matter_lists_enclosures(tmp_path: Path) -> None:
    run("markdown", str(ATTACHMENTS), "-o", str(tmp_path), "-g", "none", "-q")
    (page,) = [p for p in tmp_path.rglob("*.md") if "naming" in p.name]
    assert (
        "enclosures:\n"
        '  - url: "https://talks.example/audio/naming.ogg"\n'
        '    type: "audio/ogg"\n'
        "    length: 8200000\n"
        "    duration: 605\n"
    ) in page.read_text(encoding="utf-8")


# --- EPUBCheck on every fixture --------------------------------------------------------------------


def test_every_language_and_media_fixture_passes_epubcheck(tmp_path: Path) -> None:
    sources = sorted(FEEDS.glob("lang-*")) + sorted(FEEDS.glob("media-*"))
    practice = [
        PRACTICE / "rtl-bbc-urdu-atom.xml",
        PRACTICE / "podcast-debug-itunes-enclosures.xml",
    ]
    sources += [path for path in practice if path.is_file()]
    books = {}
    for source in sources:
        out = tmp_path / (source.stem + ".epub")
        run("epub", str(source), "-o", str(out), "-g", "none", "-q")
        books[source.name] = out
    books["all together"] = tmp_path / "all.epub"
    run("epub", *map(str, sources), "-o", str(books["all together"]), "-g", "none", "-q")
    assert_all_epubcheck_clean(books)
