"""The hostile input corpus, built in code at test time (nothing hostile is stored in the repo).

Each ``InputCase`` writes one file into a directory and says what feed2book must make of it:
``READ`` (partial success: its articles are written, maybe with warnings) or ``REJECTED`` (a
one-line error naming the file; the other sources of the run are still built). ``heavy`` cases
run in a subprocess whose time and peak memory are measured.

``python -m tests.hostile.corpus DIR`` writes the whole corpus into DIR to look at it by hand.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from tests.conftest import EXAMPLES

# Planted in a local file that XXE cases point at: it must never reach any output.
SECRET_MARKER = "F2B-SECRET-3c91e7d0-must-never-leak"
SECRET_FILE = "secret.txt"

PUBDATE = "Mon, 04 May 2026 10:00:00 GMT"
HUNDRED_MB = 100 * 1024 * 1024


class Expect(Enum):
    READ = "read"  # articles come out, warnings allowed
    REJECTED = "rejected"  # one error line naming the source, nothing from it


@dataclass(frozen=True)
class InputCase:
    name: str
    write: Callable[[Path], Path]  # writes the file into a directory, returns its path
    expect: Expect
    message: str = ""  # a fragment the warning or error line must contain
    heavy: bool = False  # measured in a subprocess (time and peak memory)
    slow: bool = False  # over a minute of test time: out of the default run (-m slow)
    titles: tuple[str, ...] = ()  # READ: titles that must come out exactly
    present: tuple[str, ...] = ()  # READ: text that must survive into the JSON Lines content
    absent: tuple[str, ...] = ()  # text that must never appear in any output
    note: str = field(default="", compare=False)


# --- building blocks ---------------------------------------------------------------------------


def item(title: str, body: str, *, slug: str = "", author: str = "Hostile Author") -> str:
    slug = slug or str(abs(hash(title)) % 10**8)
    return (
        f"<item><title>{title}</title><link>https://hostile.example/{slug}</link>"
        f"<guid>https://hostile.example/{slug}</guid><author>x@hostile.example ({author})</author>"
        f"<pubDate>{PUBDATE}</pubDate><description>{body}</description></item>"
    )


def rss(
    items: str,
    *,
    prolog: str = "",
    declaration: str = '<?xml version="1.0" encoding="utf-8"?>',
    title: str = "Hostile Feed",
) -> str:
    return (
        f'{declaration}\n{prolog}<rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://hostile.example/</link>{items}</channel></rss>\n"
    )


def escape(html: str) -> str:
    return html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _writer(name: str, data: Callable[[Path], bytes]) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / name
        path.write_bytes(data(directory))
        return path

    return write


def secret_file(directory: Path) -> Path:
    path = directory / SECRET_FILE
    path.write_text(SECRET_MARKER + "\n", encoding="utf-8")
    return path


# --- XML bombs and external entities -------------------------------------------------------------


def billion_laughs(_: Path) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    prolog = f"<!DOCTYPE rss [{entities}]>\n"
    return rss(item("Laughs &lol9;", "<p>&lol9;</p>", slug="laughs"), prolog=prolog).encode()


def quadratic_blowup(_: Path) -> bytes:
    prolog = f'<!DOCTYPE rss [<!ENTITY a "{"B" * 50_000}">]>\n'
    return rss(item("Quadratic", "&a;" * 50_000, slug="quadratic"), prolog=prolog).encode()


def xxe_general(directory: Path) -> bytes:
    secret = secret_file(directory)
    prolog = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
    return rss(item("Leak &xxe;", "body &xxe; end", slug="xxe"), prolog=prolog).encode()


def xxe_parameter(directory: Path) -> bytes:
    secret = secret_file(directory)
    prolog = (
        f'<!DOCTYPE rss [<!ENTITY % file SYSTEM "{secret.as_uri()}">'
        f"<!ENTITY % wrap \"<!ENTITY leak '%file;'>\"> %wrap;]>\n"
    )
    return rss(item("Leak &leak;", "body &leak; end", slug="xxe-p"), prolog=prolog).encode()


def xxe_doctype_system(directory: Path) -> bytes:
    secret = secret_file(directory)
    prolog = f'<!DOCTYPE rss SYSTEM "{secret.as_uri()}">\n'
    return rss(item("External DTD", "<p>body</p>", slug="xxe-dtd"), prolog=prolog).encode()


def xinclude(directory: Path) -> bytes:
    secret = secret_file(directory)
    body = (
        f'<div xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{secret.as_uri()}" '
        'parse="text"/></div><p>xinclude</p>'
    )
    return rss(item("XInclude", escape(body), slug="xinclude")).encode()


def xxe_in_html_content(directory: Path) -> bytes:
    """Entities inside the escaped HTML: the HTML parser must not resolve them either."""
    secret = secret_file(directory)
    body = f'<!DOCTYPE p [<!ENTITY x SYSTEM "{secret.as_uri()}">]><p>inner &x; text</p>'
    return rss(item("Inner entity", escape(body), slug="xxe-html")).encode()


# --- size and depth -----------------------------------------------------------------------------


DEEP = 10_000


def deep_xml(_: Path) -> bytes:
    nested = "<x>" * DEEP + "deep xml text" + "</x>" * DEEP
    feed = rss(item("Deep XML", "<p>shallow body</p>", slug="deep-xml"))
    return feed.replace("</item>", nested + "</item>").encode()


def deep_html(_: Path) -> bytes:
    body = "<div>" * DEEP + "<p>deep html text</p>" + "</div>" * DEEP + "<p>after the deep part</p>"
    return rss(item("Deep HTML", escape(body), slug="deep-html")).encode()


def deep_html_unclosed(_: Path) -> bytes:
    body = "<p>before the deep part</p>" + "<blockquote><ul><li><b>" * (DEEP // 4) + "deep text"
    return rss(item("Deep unclosed HTML", escape(body), slug="deep-unclosed")).encode()


def deep_inline(_: Path) -> bytes:
    body = "<p>" + "<span><em>" * (DEEP // 2) + "deep inline text" + "</em></span>" * (DEEP // 2)
    return rss(item("Deep inline", escape(body), slug="deep-inline")).encode()


def hundred_mb(directory: Path) -> Path:
    """100 MB on one line: thousands of items, no newline anywhere. Streamed to disk."""
    path = directory / "hundred-mb.xml"
    body = escape("<p>" + "lorem ipsum dolor sit amet " * 180 + "</p>")
    head = rss("", declaration='<?xml version="1.0" encoding="utf-8"?>').replace("\n", "")
    opening, closing = head.split("</channel>")
    with path.open("w", encoding="utf-8") as out:
        out.write(opening)
        size, number = len(opening), 0
        while size < HUNDRED_MB:
            chunk = item(f"Big {number}", body, slug=f"big-{number}")
            out.write(chunk)
            size += len(chunk)
            number += 1
        out.write("</channel>" + closing.rstrip("\n"))
    return path


def tiny_items(path: Path, count: int) -> Path:
    """``count`` items of about 130 bytes each (title, link, guid, a short description), the
    shape of the 49.6 MB feed of 380,000 notes of issue 14. Streamed to disk."""
    head = rss("").replace("\n", "")
    opening, closing = head.split("</channel>")
    with path.open("w", encoding="utf-8") as out:
        out.write(opening)
        for number in range(count):
            out.write(
                f"<item><title>Note {number}</title><link>https://t.io/{number}</link>"
                f"<guid>https://t.io/{number}</guid><description>A note.</description></item>\n"
            )
        out.write("</channel>" + closing.rstrip("\n") + "\n")
    return path


def one_huge_item(_: Path) -> bytes:
    """One article of 4 MB of escaped markup: over the article cap (2 million characters)."""
    paragraph = escape("<p>Huge <b>article</b> text.</p>")
    count = 4 * 1024 * 1024 // len(paragraph)
    return rss(item("Huge article", paragraph * count, slug="huge")).encode()


def many_tags(_: Path) -> bytes:
    """Half a million tiny elements in one article (each quadratic spot shows up here)."""
    body = "<p>" + "<span>x</span><input>y<br>" * 100_000 + "</p>" + "<div>d</div>" * 50_000
    return rss(item("Many tags", escape(body), slug="many-tags")).encode()


# --- truncated files --------------------------------------------------------------------------


def _example_rss() -> bytes:
    return (EXAMPLES / "devto-priya-raman.xml").read_bytes()


def truncated_half(_: Path) -> bytes:
    data = _example_rss()
    return data[: len(data) // 2]


def truncated_in_character(_: Path) -> bytes:
    data = rss(item("Résumé — привет", "<p>Текст статьи, обрезанный посреди буквы</p>")).encode()
    cut = data.index("обрезанный".encode()) + 1  # inside the two bytes of "о"
    return data[:cut]


def truncated_in_prolog(_: Path) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><chan'


def truncated_gzip(_: Path) -> bytes:
    return gzip.compress(_example_rss())[:300]


# --- encodings --------------------------------------------------------------------------------

RUSSIAN_TITLE = "Привет, мир: заметки о безопасности"
RUSSIAN_BODY = "Это статья о том, как читать чужие ленты и не сломаться. Всё работает."
CHINESE_TITLE = "你好，世界：关于安全的笔记"
CHINESE_BODY = "这是一篇关于如何安全地阅读陌生人发布的订阅源的文章。一切正常。"
LATIN_TITLE = "Café crème à la façon de Noël"
LATIN_BODY = "Déjà vu : naïve façade, cur brûlé, où êtes-vous ? Ça marche très bien."


def encoded(title: str, body: str, declaration: str, codec: str) -> Callable[[Path], bytes]:
    def build(_: Path) -> bytes:
        text = rss(item(title, f"<p>{body}</p>", slug=codec), declaration=declaration)
        return text.encode(codec)

    return build


def utf16_be_bom(_: Path) -> bytes:
    text = rss(
        item(CHINESE_TITLE, f"<p>{CHINESE_BODY}</p>", slug="utf16be"),
        declaration='<?xml version="1.0" encoding="UTF-16"?>',
    )
    return b"\xfe\xff" + text.encode("utf-16-be")


# --- not feeds ----------------------------------------------------------------------------------


def binary(_: Path) -> bytes:
    return bytes((n * 7919 + 13) % 256 for n in range(20_000))


def png(_: Path) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500)


def html_without_feed(_: Path) -> bytes:
    return (
        b"<!DOCTYPE html><html><head><title>A blog</title>"
        b'<link rel="stylesheet" href="/style.css">'
        b'<link rel="alternate" hreflang="fr" href="/fr/">'
        b"</head><body><h1>Welcome</h1><p>No feed here.</p></body></html>"
    )


JSON_FEED_VALID = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "A JSON Feed",
    "home_page_url": "https://json.example/",
    "feed_url": "https://json.example/feed.json",
    "language": "de-DE",
    "authors": [{"name": "Jana Json", "url": "https://json.example/jana"}],
    "items": [
        {
            "id": "https://json.example/1",
            "url": "https://json.example/1",
            "title": "Erster Beitrag",
            "content_html": "<p>Hallo <b>Welt</b></p>",
            "date_published": "2026-05-01T10:00:00+02:00",
            "tags": ["json", "feed"],
        },
        {
            "id": "json-2",
            "url": "https://json.example/2",
            "title": "Nur Text",
            "content_text": "Erster Absatz.\n\nZweiter Absatz <nicht html>.",
            "date_published": "2026-05-02T10:00:00Z",
            "date_modified": "2026-05-03T10:00:00Z",
            "language": "fr",
            "authors": [{"name": "Other Person"}],
            "attachments": [{"url": "https://json.example/a.mp3", "mime_type": "audio/mpeg"}],
        },
    ],
}

JSON_FEED_HOSTILE = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": ["not", "a", "string"],
    "authors": "not a list",
    "language": 5,
    "items": [
        1,
        "string item",
        None,
        [],
        {
            "id": {"an": "object"},
            "title": "Odd types",
            "url": 7,
            "content_html": ["<p>x</p>"],
            "tags": "abc",
            "date_published": "0001-01-01T00:00:00+01:00",
            "authors": [{"name": 7}, "x", None],
        },
        {"id": "far-future", "title": "Far future", "date_published": "9999-12-31T23:59:59-05:00"},
        {"id": "numeric-date", "title": "Numeric date", "date_published": 12345, "tags": [None]},
        {"id": "nan", "title": "Not a number", "content_text": "NaN and Infinity", "tags": [1.5]},
    ],
}


def json_bytes(document: object) -> Callable[[Path], bytes]:
    return lambda _: json.dumps(document).encode()


# --- the corpus -------------------------------------------------------------------------------

_NOT_A_FEED = "not an RSS, Atom or JSON feed"

CASES: tuple[InputCase, ...] = (
    # XML attacks: never expanded, never resolved, never fetched.
    InputCase("billion-laughs", _writer("laughs.xml", billion_laughs), Expect.READ,
              "not well-formed", heavy=True, absent=("lollollol",)),
    InputCase("quadratic-blowup", _writer("quadratic.xml", quadratic_blowup), Expect.READ,
              "not well-formed", heavy=True, absent=("B" * 1000,)),
    InputCase("xxe-general-entity", _writer("xxe.xml", xxe_general), Expect.READ,
              "not well-formed", absent=(SECRET_MARKER,)),
    InputCase("xxe-parameter-entity", _writer("xxe-param.xml", xxe_parameter), Expect.READ,
              "not well-formed", absent=(SECRET_MARKER,)),
    InputCase("xxe-external-dtd", _writer("xxe-dtd.xml", xxe_doctype_system), Expect.READ,
              titles=("External DTD",), absent=(SECRET_MARKER,)),
    InputCase("xinclude", _writer("xinclude.xml", xinclude), Expect.READ,
              titles=("XInclude",), present=("xinclude",), absent=(SECRET_MARKER,)),
    InputCase("entity-in-html-content", _writer("xxe-html.xml", xxe_in_html_content),
              Expect.READ, present=("inner",), absent=(SECRET_MARKER,)),
    # Size and depth.
    InputCase("deep-xml-10000", _writer("deep-xml.xml", deep_xml), Expect.READ,
              heavy=True, titles=("Deep XML",), present=("shallow body",)),
    InputCase("deep-html-10000", _writer("deep-html.xml", deep_html), Expect.READ,
              "nested", heavy=True, present=("deep html text", "after the deep part")),
    InputCase("deep-html-unclosed", _writer("deep-unclosed.xml", deep_html_unclosed),
              Expect.READ, "nested", heavy=True, present=("before the deep part", "deep text")),
    InputCase("deep-inline", _writer("deep-inline.xml", deep_inline), Expect.READ,
              "nested", heavy=True, present=("deep inline text",)),
    InputCase("hundred-mb-one-line", hundred_mb, Expect.REJECTED, "larger than", heavy=True),
    InputCase("one-huge-article", _writer("huge.xml", one_huge_item), Expect.READ,
              "cut", heavy=True, titles=("Huge article",), present=("Huge article text.",), slow=True),
    InputCase("many-tiny-tags", _writer("many-tags.xml", many_tags), Expect.READ,
              heavy=True, titles=("Many tags",), slow=True),
    # Truncated files: what was complete is kept.
    InputCase("truncated-half", _writer("truncated.xml", truncated_half), Expect.READ,
              "not well-formed", present=("A reference lets a function look at a value",)),
    InputCase("truncated-in-character", _writer("cut-char.xml", truncated_in_character),
              Expect.READ, "not well-formed", titles=("Résumé — привет",)),
    InputCase("truncated-in-prolog", _writer("cut-prolog.xml", truncated_in_prolog),
              Expect.REJECTED, "no item could be read"),
    InputCase("truncated-gzip", _writer("cut.xml.gz", truncated_gzip), Expect.REJECTED,
              _NOT_A_FEED),
    # Encodings, declared wrongly or not at all.
    InputCase("windows-1251-undeclared",
              _writer("cp1251.xml", encoded(RUSSIAN_TITLE, RUSSIAN_BODY,
                                            '<?xml version="1.0"?>', "cp1251")),
              Expect.READ, "windows-1251", titles=(RUSSIAN_TITLE,), present=(RUSSIAN_BODY,)),
    InputCase("windows-1251-declared-utf-8",
              _writer("cp1251-as-utf8.xml", encoded(RUSSIAN_TITLE, RUSSIAN_BODY,
                                                    '<?xml version="1.0" encoding="utf-8"?>',
                                                    "cp1251")),
              Expect.READ, "windows-1251", titles=(RUSSIAN_TITLE,), present=(RUSSIAN_BODY,)),
    InputCase("gb2312-undeclared",
              _writer("gb2312.xml", encoded(CHINESE_TITLE, CHINESE_BODY,
                                            '<?xml version="1.0"?>', "gb2312")),
              Expect.READ, "gb18030", titles=(CHINESE_TITLE,), present=(CHINESE_BODY,)),
    InputCase("gb2312-declared-latin-1",
              _writer("gb2312-as-latin1.xml",
                      encoded(CHINESE_TITLE, CHINESE_BODY,
                              '<?xml version="1.0" encoding="iso-8859-1"?>', "gb2312")),
              Expect.READ, "gb18030", titles=(CHINESE_TITLE,), present=(CHINESE_BODY,)),
    InputCase("latin-1-undeclared",
              _writer("latin1.xml", encoded(LATIN_TITLE, LATIN_BODY, '<?xml version="1.0"?>',
                                            "latin-1")),
              Expect.READ, titles=(LATIN_TITLE,), present=(LATIN_BODY,)),
    InputCase("latin-1-no-declaration",
              _writer("latin1-bare.xml", encoded(LATIN_TITLE, LATIN_BODY, "", "latin-1")),
              Expect.READ, titles=(LATIN_TITLE,), present=(LATIN_BODY,)),
    InputCase("unknown-encoding-declared",
              _writer("x-unknown.xml", encoded(LATIN_TITLE, LATIN_BODY,
                                               '<?xml version="1.0" encoding="x-no-such"?>',
                                               "utf-8")),
              Expect.READ, titles=(LATIN_TITLE,), present=(LATIN_BODY,)),
    InputCase("utf-16-le-bom",
              _writer("utf16le.xml", encoded(RUSSIAN_TITLE, RUSSIAN_BODY,
                                             '<?xml version="1.0" encoding="UTF-16"?>',
                                             "utf-16")),
              Expect.READ, titles=(RUSSIAN_TITLE,), present=(RUSSIAN_BODY,)),
    InputCase("utf-16-be-bom", _writer("utf16be.xml", utf16_be_bom), Expect.READ,
              titles=(CHINESE_TITLE,), present=(CHINESE_BODY,)),
    # Bytes that are not feeds.
    InputCase("binary", _writer("binary.xml", binary), Expect.REJECTED, _NOT_A_FEED),
    InputCase("png-named-xml", _writer("image.xml", png), Expect.REJECTED, _NOT_A_FEED),
    InputCase("html-without-feed-links", _writer("page.html", html_without_feed),
              Expect.REJECTED, "an HTML page that advertises no feed"),
    InputCase("empty-file", _writer("empty.xml", lambda _: b""), Expect.REJECTED, "empty file"),
    InputCase("whitespace-only", _writer("blank.xml", lambda _: b" \n\t\r\n "),
              Expect.REJECTED, "empty file"),
    InputCase("bom-only", _writer("bom.xml", lambda _: b"\xef\xbb\xbf"), Expect.REJECTED,
              "empty file"),
    InputCase("json-not-json-feed", _writer("other.json", json_bytes({"foo": 1, "bar": [1]})),
              Expect.REJECTED, _NOT_A_FEED),
    InputCase("json-array", _writer("array.json", json_bytes([1, 2, 3])), Expect.REJECTED,
              _NOT_A_FEED),
    InputCase("json-object-with-id", _writer("id.json", json_bytes({"id": 5})),
              Expect.REJECTED, "JSON"),
    InputCase("json-feed-items-not-a-list",
              _writer("items.json", json_bytes({"version": "https://jsonfeed.org/version/1.1",
                                                "title": "x", "items": "nope"})),
              Expect.REJECTED, "JSON Feed without an items list"),
    InputCase("json-feed-invalid-json",
              _writer("broken.json", lambda _: b'{"version": "https://jsonfeed.org/version/1.1",'
                                               b' "items": [{"id": '),
              Expect.REJECTED, "JSON Feed is not valid JSON"),
    InputCase("json-feed-hostile-fields", _writer("hostile.json", json_bytes(JSON_FEED_HOSTILE)),
              Expect.READ, "not an object", titles=("Odd types", "Far future", "Numeric date")),
    InputCase("json-feed-1.1-valid", _writer("feed.json", json_bytes(JSON_FEED_VALID)),
              Expect.READ, titles=("Erster Beitrag", "Nur Text"),
              present=("Hallo <b>Welt</b>", "Zweiter Absatz &lt;nicht html&gt;.")),
)  # fmt: skip


def by_name(name: str) -> InputCase:
    return next(case for case in CASES if case.name == name)


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else Path("hostile-corpus")
    directory.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        target = directory / case.name
        target.mkdir(exist_ok=True)
        print(case.write(target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
