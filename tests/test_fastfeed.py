"""fastfeed.parse gives exactly what feedparser.parse gives, and parse_source the same articles.

The fast reader is feedparser's own strict parser with expat's text buffering on, so the whole
result must be equal, not only the keys parse.py reads today: every example, seed and practice
feed, the benchmark corpus, the hostile corpus and generated documents are compared in full
(the bozo exception by type and message).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feed2book.parse._fast import feed as fastfeed
from feed2book.parse._fast import rss as fastrss
from feed2book.parse.feed import parse_source
from feed2book.sources.fetch import Fetched
from tests.conftest import EXAMPLES, REPO
from tests.hostile import corpus as hostile

sys.path.insert(0, str(REPO / "benchmarks"))
import corpus as bench

EXAMPLE_FEEDS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".xml", ".atom"))


def comparable(value: Any) -> Any:
    """A result with exceptions replaced by (type, message): they do not compare equal."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, BaseException):
        return (type(value).__name__, str(value))
    return value


def by_feedparser(data: bytes, headers: dict[str, str] | None = None) -> Any:
    return feedparser.parse(
        io.BytesIO(data),
        response_headers=dict(headers or {}),
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def assert_same_result(data: bytes, headers: dict[str, str] | None = None) -> None:
    expected = comparable(by_feedparser(data, headers))
    got = comparable(fastfeed.parse(data, headers))
    assert got == expected


def test_fast_reader_is_in_use() -> None:
    assert fastfeed.fast_reader_available()


def test_examples() -> None:
    for path in EXAMPLE_FEEDS:
        assert_same_result(path.read_bytes())


def test_seeds(seeds: list[Path]) -> None:
    for path in seeds:
        assert_same_result(path.read_bytes())


def test_practice(practice: list[Path]) -> None:
    for path in practice:
        assert_same_result(path.read_bytes())


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/rss+xml; charset=utf-8"},
        {"content-type": "text/xml"},
        {"content-type": "text/html; charset=iso-8859-1"},
        {"content-location": "https://dev.to/feed/x"},
        {"content-location": "https://example.com/a/", "content-language": "fr"},
    ],
)
def test_response_headers_count_the_same(headers: dict[str, str]) -> None:
    for path in EXAMPLE_FEEDS:
        assert_same_result(path.read_bytes(), headers)


def test_benchmark_corpus() -> None:
    assert_same_result(bench.make_feed(60))


def test_hostile_corpus(tmp_path: Path) -> None:
    for case in hostile.CASES:
        if case.heavy:
            continue
        target = tmp_path / case.name
        target.mkdir()
        path = case.write(target)
        if path.is_file():
            assert_same_result(path.read_bytes())


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    monkeypatch.setattr(fastfeed, "_parse", lambda data, headers: calls.append(data))
    monkeypatch.setenv(fastfeed.PARSER_ENV, "feedparser")
    assert fastfeed.parse(EXAMPLE_FEEDS[0].read_bytes()).entries
    assert calls == []


def test_escaped_then_real_markup_in_atom_goes_to_feedparser() -> None:
    # Content declared as HTML, holding escaped markup and then real elements: the one case
    # where feedparser looks at the pieces of a text, so the fast reader must not answer.
    document = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>e</title>'
        b'<content type="html">&lt;div&gt;<p/><div>x</div></content></entry></feed>'
    )
    with pytest.raises(fastfeed._Unsure):
        fastfeed._parse(document, {})
    assert_same_result(document)


_PLAIN_BODY = (
    '<rss version="2.0"><channel><title>T é</title><item><title>x</title>'
    '<description>a encoding="latin-1" b</description></item></channel></rss>'
)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b'<?xml version="1.0" encoding="UTF-8"?>\n',
        b"<?xml version='1.0'?>",
        b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n',
        b'<?xml version="1.1" encoding="utf-8"?>\n',
        b'<?xml version="1.0" encoding="iso-8859-1"?>\n',
        b'<?xml version="1.0" encoding="utf8"?>\n',
        b"\xef\xbb\xbf",
        b"\n",
        b"<?XML version='1.0'?>",
    ],
)
@pytest.mark.parametrize("tail", [b"", b"\xff", b"\n<!-- encoding='x' ?> -->"])
def test_declarations_and_bytes_read_the_same(head: bytes, tail: bytes) -> None:
    assert_same_result(head + _PLAIN_BODY.encode() + tail)
    assert_same_result(head + _PLAIN_BODY.encode("latin-1") + tail)


# --- articles ---------------------------------------------------------------------------------


def articles_of(path: Path) -> Any:
    parsed = parse_source(Fetched(str(path), path.read_bytes(), None, {}, True))
    return parsed.feed, parsed.articles, parsed.problems


def test_same_articles_either_way(
    monkeypatch: pytest.MonkeyPatch, seeds: list[Path], practice: list[Path], tmp_path: Path
) -> None:
    corpus_file = tmp_path / "corpus.xml"
    corpus_file.write_bytes(bench.make_feed(250))  # enough entries for the helper processes
    paths = [*EXAMPLE_FEEDS, *seeds, *practice, corpus_file]
    monkeypatch.setenv(fastfeed.PARSER_ENV, "feedparser")
    monkeypatch.setenv("FEED2BOOK_WORKERS", "1")
    expected = [articles_of(path) for path in paths if path.suffix != ".opml"]
    monkeypatch.delenv(fastfeed.PARSER_ENV)
    monkeypatch.setenv("FEED2BOOK_WORKERS", "2")
    got = [articles_of(path) for path in paths if path.suffix != ".opml"]
    for (feed, articles, problems), (feed2, articles2, problems2) in zip(
        expected, got, strict=True
    ):
        assert feed2 == feed
        assert problems2 == problems
        assert len(articles2) == len(articles)
        for article, article2 in zip(articles, articles2, strict=True):
            assert article2 == article  # every field: content_html, word_count, dates…


def test_c1_controls_become_windows_1252_characters_as_in_feedparser() -> None:
    # Text read as Latin-1 that was really Windows-1252: feedparser maps \x93/\x94/\x80 to the
    # quotes and the euro sign; the fast reader does so too (and skips texts without any).
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>C1</title>'
        "<item><title>\x93Quoted\x94 \x80 5</title><description>&lt;p&gt;caf\u00e9 \x96 "
        "done&lt;/p&gt;</description><link>https://example.com/1</link></item>"
        "<item><title>Plain \u00e9</title><description>no controls</description>"
        "<link>https://example.com/2</link></item></channel></rss>"
    ).encode()
    assert_same_result(document)
    _, (first, second), _, _ = fastrss.read(document)  # read by the fast reader itself
    assert first.title == "\u201cQuoted\u201d \u20ac 5"
    assert second.title == "Plain \u00e9"


# --- generated documents ----------------------------------------------------------------------

_PIECES = [
    "&lt;", "&gt;", "&amp;", "&quot;", "&#233;", "&#x27;", "&#x1F600;", "\n", "  ", "\r\n",
    "&lt;p&gt;", "&lt;/p&gt;", "&lt;b&gt;x&lt;/b&gt;", "&amp;amp;", "ü", "語", "Ã©", "\x80",
    "&#128;", "<![CDATA[<p>raw & <i>cdata</i></p>]]>", "http://x/y?a=1&amp;b=2",
]  # fmt: skip
# Text XML allows (no surrogates, controls, or the noncharacters U+FFFE and U+FFFF, which no
# well-formed document holds), without markup characters and the line breaks feedparser folds.
_PLAIN = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="<>&\x85\u2028\u2029\ufffe\uffff"
)
_TEXT = st.lists(
    st.one_of(st.text(alphabet=_PLAIN, max_size=12), st.sampled_from(_PIECES)), max_size=8
).map("".join)

_DATES = st.sampled_from(
    ["Wed, 06 May 2026 08:30:00 +0000", "2026-05-06T08:30:00Z", "2026-05-06", "yesterday", "",
     "Mon, 04 May 2026 10:00:00 GMT", "0001-01-01T00:00:00Z"]
)  # fmt: skip
_LINKS = st.sampled_from(
    ["https://dev.to/a/b-1", "/relative/path", "http:///three-slashes", "mailto:a@b.c", "",
     "https://x.example/?a=1&amp;b=2", " https://spaced.example/ "]
)  # fmt: skip


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    parts = []
    for name in draw(
        st.lists(
            st.sampled_from(
                ["title", "link", "guid", "guid-nolink", "description", "content", "pubDate",
                 "dc:creator", "author", "category", "category-domain", "comments", "enclosure",
                 "unknown", "dc:date", "media"]
            ),
            max_size=10,
        )
    ):  # fmt: skip
        text = draw(_TEXT)
        if name in ("link", "guid", "comments"):
            parts.append(f"<{name}>{draw(_LINKS)}</{name}>")
        elif name == "guid-nolink":
            parts.append(f'<guid isPermaLink="false">{draw(_LINKS)}</guid>')
        elif name == "content":
            parts.append(f"<content:encoded>{text}</content:encoded>")
        elif name in ("pubDate", "dc:date"):
            parts.append(f"<{name}>{draw(_DATES)}</{name}>")
        elif name == "category-domain":
            parts.append(f'<category domain="d">{text}</category>')
        elif name == "enclosure":
            parts.append('<enclosure url="https://x.example/a.mp3" type="audio/mpeg" length="1"/>')
        elif name == "unknown":
            parts.append(f"<slash:comments>{text}</slash:comments><foo>{text}</foo>")
        elif name == "media":
            parts.append(f'<media:content url="https://x.example/i.png"><media:title>{text}'
                         "</media:title></media:content>")  # fmt: skip
        else:
            parts.append(f"<{name}>{text}</{name}>")
    return "<item>" + draw(st.sampled_from(["", "\n  "])).join(parts) + "</item>"


@st.composite
def rss_document(draw: st.DrawFn) -> bytes:
    channel = [f"<title>{draw(_TEXT)}</title>", f"<link>{draw(_LINKS)}</link>"]
    if draw(st.booleans()):
        channel.append(f"<description>{draw(_TEXT)}</description>")
    if draw(st.booleans()):
        channel.append(f"<language>{draw(st.sampled_from(['en', 'fr-FR', 'x', '']))}</language>")
    if draw(st.booleans()):
        channel.append(
            "<image><url>https://x.example/i.png</url><title>i</title><link>/</link></image>"
        )
    items = draw(st.lists(rss_item(), max_size=4))
    body = draw(st.permutations([*channel, *items]))
    version = draw(st.sampled_from(["2.0", "0.91", ""]))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<rss version="{version}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        + "\n".join(body)
        + "</channel></rss>"
    ).encode()


@st.composite
def atom_document(draw: st.DrawFn) -> bytes:
    def text_construct(name: str) -> str:
        kind = draw(st.sampled_from(["", "text", "html", "xhtml"]))
        base = draw(st.sampled_from(["", ' xml:base="https://base.example/dir/"']))
        lang = draw(st.sampled_from(["", ' xml:lang="de"', ' xml:lang=""']))
        attributes = (f' type="{kind}"' if kind else "") + base + lang
        if kind == "xhtml":
            opening = draw(
                st.sampled_from(
                    ['<div xmlns="http://www.w3.org/1999/xhtml">', "<div>", '<div class="c">',
                     "<p>", "  <div>"]
                )
            )  # fmt: skip
            closing = "</p>" if opening == "<p>" else "</div>"
            after = draw(st.sampled_from(["", "\n", "<p>after</p>"]))
            inner = f'<b>{draw(_TEXT)}</b> {draw(_TEXT)}<a href="/x">l</a>'
            return f"<{name}{attributes}>{opening}{inner}{closing}{after}</{name}>"
        return f"<{name}{attributes}>{draw(_TEXT)}</{name}>"

    entries = []
    for _ in range(draw(st.integers(0, 3))):
        fields = [
            text_construct("title"),
            f'<link href="{draw(_LINKS)}"/>',
            f"<id>{draw(_LINKS)}</id>",
            f"<updated>{draw(_DATES)}</updated>",
        ]
        if draw(st.booleans()):
            fields.append(f"<published>{draw(_DATES)}</published>")
        if draw(st.booleans()):
            fields.append(f"<author><name>{draw(_TEXT)}</name><email>a@b.c</email></author>")
        if draw(st.booleans()):
            fields.append(f'<category term="{draw(st.sampled_from(["a", "b c", ""]))}"/>')
        if draw(st.booleans()):
            fields.append(text_construct("summary"))
        if draw(st.booleans()):
            fields.append(text_construct("content"))
        entries.append("<entry>" + "".join(draw(st.permutations(fields))) + "</entry>")
    head = text_construct("title") + f'<link href="{draw(_LINKS)}"/>'
    lang = draw(st.sampled_from(["", ' xml:lang="en-GB"']))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{lang}>'
        + head
        + "".join(entries)
        + "</feed>"
    ).encode()


# Documents of the one shape fastrss reads itself: every field at most once per container (but
# categories, enclosures and atom:links), in any order, with hard text.
_AUTHORS = st.sampled_from(
    ["Priya Raman", "a@b.example (Ann B)", "a@b.example", "&lt;Ann&gt; a@b.example", "", "Ré Ñ"]
)
_ATOM_LINKS = st.sampled_from(
    ['<atom:link rel="self" type="application/rss+xml" href="https://x.example/feed"/>',
     '<atom:link href="/rel"/>', '<atom:link rel="ALTERNATE" type="Text/HTML" href="h"/>',
     '<atom:link rel="hub" href="https://hub.example/" title="t"/>',
     '<atom:link rel="alternate" href=""/>']
)  # fmt: skip


_PERMALINK = st.sampled_from(
    ["", ' isPermaLink="false"', ' isPermaLink="true"', ' ISPERMALINK="True"']
)
_IMAGE_PARTS = ["<url>https://x.example/i.png</url>", "<width>88</width>"]


@st.composite
def plain_rss_item(draw: st.DrawFn) -> str:
    fields = {
        "title": f"<title>{draw(_TEXT)}</title>",
        "link": f"<link>{draw(_LINKS)}</link>",
        "guid": f"<guid{draw(_PERMALINK)}>{draw(_LINKS)}</guid>",
        "description": f"<description>{draw(_TEXT)}</description>",
        "content": f"<content:encoded>{draw(_TEXT)}</content:encoded>",
        "pubdate": f"<pubDate>{draw(_DATES)}</pubDate>",
        "dcdate": f"<dc:date>{draw(_DATES)}</dc:date>",
        "author": draw(
            st.sampled_from(["<dc:creator>{}</dc:creator>", "<author>{}</author>"])
        ).format(draw(_AUTHORS)),
        "comments": f"<comments>{draw(_LINKS)}</comments>",
        "wfw": f"<wfw:commentRss>{draw(_LINKS)}</wfw:commentRss>",
        "slash": f"<slash:comments>{draw(_TEXT)}</slash:comments>",
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields)))
    parts = [fields[name] for name in chosen]
    for _ in range(draw(st.integers(0, 3))):
        domain = draw(st.sampled_from(["", ' domain="d"', ' domain=""']))
        parts.append(f"<category{domain}>{draw(_TEXT)}</category>")
    if draw(st.booleans()):
        url = draw(st.sampled_from(['url="https://x.example/a.mp3"', 'url=""', ""]))
        parts.append(f'<enclosure {url} length="1" type="Audio/MPEG"/>')
    if draw(st.booleans()):
        parts.append(draw(_ATOM_LINKS))
    return (
        "<item>"
        + draw(st.sampled_from(["", "\n  "])).join(draw(st.permutations(parts)))
        + "</item>"
    )


@st.composite
def plain_rss_document(draw: st.DrawFn) -> bytes:
    height = draw(st.sampled_from(["31", "x", " 7 "]))
    image = [
        *_IMAGE_PARTS,
        f"<title>{draw(_TEXT)}</title>",
        f"<link>{draw(_LINKS)}</link>",
        f"<height>{height}</height>",
    ]
    fields = {
        "title": f"<title>{draw(_TEXT)}</title>",
        "link": f"<link>{draw(_LINKS)}</link>",
        "description": f"<description>{draw(_TEXT)}</description>",
        "language": f"<language>{draw(st.sampled_from(['en', 'fr_FR', '']))}</language>",
        "lastbuilddate": f"<lastBuildDate>{draw(_DATES)}</lastBuildDate>",
        "pubdate": f"<pubDate>{draw(_DATES)}</pubDate>",
        "generator": f"<generator>{draw(_TEXT)}</generator>",
        "copyright": f"<copyright>{draw(_TEXT)}</copyright>",
        "managingeditor": f"<managingEditor>{draw(_AUTHORS)}</managingEditor>",
        "webmaster": f"<webMaster>{draw(_AUTHORS)}</webMaster>",
        "ttl": f"<ttl>{draw(_TEXT)}</ttl>",
        "docs": f"<docs>{draw(_LINKS)}</docs>",
        "sy": "<sy:updatePeriod>hourly</sy:updatePeriod>",
        "image": "<image>{}</image>".format("".join(draw(st.permutations(image)))),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields)))
    parts = [fields[name] for name in chosen]
    parts += draw(st.lists(_ATOM_LINKS, max_size=2))
    parts += draw(st.lists(plain_rss_item(), max_size=4))
    dc = draw(st.sampled_from(["dc", "d"]))
    body = "\n".join(draw(st.permutations(parts))).replace("dc:", f"{dc}:")
    version = draw(st.sampled_from(["2.0", "2.01", "0.92", "", "1.0"]))
    default = draw(st.sampled_from(["", ' xmlns="http://backend.userland.com/rss2"']))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<rss version="{version}"{default} xmlns:{dc}="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/"><channel>' + body + "</channel></rss>"
    ).encode()


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(document=rss_document())
def test_generated_rss(document: bytes) -> None:
    assert_same_result(document)


@_SETTINGS
@given(document=atom_document())
def test_generated_atom(document: bytes) -> None:
    assert_same_result(document)


@_SETTINGS
@given(document=plain_rss_document())
def test_generated_plain_rss_is_read_by_fastrss_the_same(document: bytes) -> None:
    fastrss.read(document)  # the shape it promises to read itself: no Unsure
    assert_same_result(document)


@_SETTINGS
@given(document=rss_document(), cut=st.floats(0.1, 0.99))
def test_generated_broken_documents(document: bytes, cut: float) -> None:
    assert_same_result(document[: int(len(document) * cut)])


@pytest.fixture(autouse=True)
def _shutdown_helpers() -> Iterator[None]:
    yield
    from feed2book import parallel

    parallel.shutdown()


# feedparser's private names the fast readers import; a release that renames one must send
# every document to feedparser's public parse(), with the same output.
HIDDEN_INTERNALS = [
    ("feedparser.mixin", "_FeedParserMixin"),
    ("feedparser.datetimes", "_parse_date"),
    ("feedparser.html", "_cp1252"),
    ("feedparser.urls", "_urljoin"),
]
# Runs the CLI as if the feedparser module did not have the name: the module is replaced in
# sys.modules by a stand-in without it (feedparser's own functions keep their globals, as they
# would in a release that renamed it), and says on stderr whether the fast path was taken.
_HIDING_RUN = """
import importlib, sys, types
module, name, *argv = sys.argv[1:]
if module != "-":
    real = importlib.import_module(module)

    class Renamed(types.ModuleType):
        def __getattr__(self, attribute):
            if attribute == name:
                raise AttributeError(attribute)
            return getattr(real, attribute)

    sys.modules[module] = Renamed(module)
from feed2book.parse import _fast
sys.stderr.write(f"fast path: {_fast.fast_parse() is not None}\\n")
from feed2book.__main__ import main
sys.argv = ["feed2book", *argv]
main()
"""


def jsonl_with_hidden(module: str, name: str, feeds: list[Path]) -> tuple[bytes, str]:
    import os
    import subprocess

    env = {**os.environ, "FEED2BOOK_WORKERS": "1"}
    env.pop("FEED2BOOK_PARSER", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _HIDING_RUN,
            module,
            name,
            "jsonl",
            "--content",
            "all",
            *map(str, feeds),
        ],
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout, done.stderr.decode()


@pytest.fixture(scope="module")
def fallback_feeds() -> list[Path]:
    from tests.conftest import practice_files

    return [*EXAMPLE_FEEDS, *practice_files()[:3]]


@pytest.fixture(scope="module")
def fast_output(fallback_feeds: list[Path]) -> bytes:
    out, err = jsonl_with_hidden("-", "-", fallback_feeds)
    assert "fast path: True" in err
    return out


@pytest.mark.parametrize(("module", "name"), HIDDEN_INTERNALS)
def test_without_a_feedparser_internal_every_feed_goes_through_feedparser_parse_alike(
    module: str, name: str, fallback_feeds: list[Path], fast_output: bytes
) -> None:
    out, err = jsonl_with_hidden(module, name, fallback_feeds)
    assert "fast path: False" in err
    assert out == fast_output
    assert out.count(b"\n") >= 9
