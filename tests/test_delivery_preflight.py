"""The Kindle preflight and the kindle device profile, on books that reproduce each known
Send-to-Kindle rejection cause (a good book built by feed2book, then broken on purpose)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from PIL import Image
from typer.testing import CliRunner

from feed2book.clean.html import clean_html
from feed2book.cli.commands import app
from feed2book.delivery.devices import apply_device, series_in_title
from feed2book.delivery.options import Device
from feed2book.delivery.preflight import MAX_IMAGE_BYTES, run_preflight
from feed2book.models import Book, SeriesRef
from feed2book.writers.epub.book import build_epub
from tests.epubcheck_helper import assert_all_epubcheck_clean
from tests.factory import make_article

OPF = "OEBPS/content.opf"
NCX = "OEBPS/toc.ncx"
CSS = "OEBPS/style.css"
NS = {"x": "http://www.w3.org/1999/xhtml", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}

NOTES = (
    '<p>Owls hunt at night<sup id="fnref:1"><a href="#fn:1" role="doc-noteref">1</a></sup>'
    ' and sleep by day<sup id="fnref:2"><a href="#fn:2">2</a></sup>.</p>'
    '<section class="footnotes" role="doc-endnotes"><hr/><ol>'
    '<li id="fn:1"><p>Most of them, anyway. <a href="#fnref:1">back</a></p></li>'
    '<li id="fn:2">Some nap at dusk too.</li>'
    "</ol></section>"
)


def good_book(content: str = "<p>Plain words.</p>", *, cover: bool = False) -> bytes:
    articles = tuple(
        make_article(id=f"t:{n}", title=f"Post {n}", content=content,
                     published=datetime(2026, 5, n, tzinfo=UTC))
        for n in (1, 2, 3)
    )
    book = Book("author:test", "Tests", articles[0].authors, "en", ())
    from feed2book.models import Section

    image = Image.new("RGB", (60, 90), (40, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    jpeg = buffer.getvalue() if cover else None
    return build_epub(replace(book, sections=(Section("", articles),)), cover_jpeg=jpeg)


def names(epub: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        return archive.namelist()


def read(epub: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        return archive.read(name)


def first_page(epub: bytes) -> str:
    return next(n for n in names(epub) if re.search(r"/a-[0-9a-f]+\.xhtml$", n))


def altered(epub: bytes, changes: dict[str, Callable[[bytes], bytes]], add: dict[str, bytes] | None = None) -> bytes:
    """``epub`` with some files rewritten (and some added), zip layout kept."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in changes:
                data = changes[info.filename](data)
            target.writestr(info, data, compress_type=info.compress_type)
        for name, data in (add or {}).items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def sub(pattern: str, replacement: str, count: int = 1) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        new, done = re.subn(pattern, replacement, data.decode(), count=count)
        assert done, f"{pattern!r} not found"
        return new.encode()

    return change


def codes(epub: bytes, **options: object) -> list[tuple[str, bool]]:
    report = run_preflight(epub, **options)  # type: ignore[arg-type]
    return [(finding.code, finding.fixed) for finding in report.findings]


def noise_png(size: int) -> bytes:
    generator = random.Random(7)
    image = Image.frombytes("RGB", (size, size), generator.randbytes(size * size * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- a clean book ---------------------------------------------------------------------------


def test_a_book_feed2book_builds_passes_the_preflight_unchanged() -> None:
    report = run_preflight(good_book(NOTES), fix=True)
    assert report.ok and report.fixed is None


# --- each rejection cause, found and (where it can be) fixed ------------------------------------


def test_missing_language_is_taken_from_the_pages_or_refused() -> None:
    book = altered(good_book(), {OPF: sub(r"<dc:language>[^<]*</dc:language>", "")})
    assert codes(book) == [("language", False)]
    assert run_preflight(book).findings[0].fixable and not run_preflight(book).refused
    report = run_preflight(book, fix=True)
    assert [f.line() for f in report.findings] == [
        "language: OEBPS/content.opf: no dc:language; set to 'en' (fixed)"
    ]
    assert report.fixed is not None and b"<dc:language>en</dc:language>" in read(report.fixed, OPF)
    assert codes(report.fixed) == []


def test_an_invalid_language_without_a_declared_one_is_refused_unless_given() -> None:
    page_lang = {name: sub(r' lang="en" xml:lang="en"', "", count=0) for name in names(good_book())
                 if name.endswith(".xhtml")}
    book = altered(good_book(), {OPF: sub(r"<dc:language>en</dc:language>", "<dc:language>English</dc:language>"), **page_lang})
    assert codes(book, fix=True) == [("language", False)]
    assert [f.line() for f in run_preflight(book).refused] == [
        "language: OEBPS/content.opf: dc:language 'English' is not a language code; give --language"
        " (cannot be fixed)"
    ]
    fixed = run_preflight(book, fix=True, language="en-GB").fixed
    assert fixed is not None and b"<dc:language>en-GB</dc:language>" in read(fixed, OPF)


def test_a_page_without_the_utf8_declaration_is_re_encoded() -> None:
    book = good_book("<p>Café</p>")
    page = first_page(book)
    latin1 = altered(book, {page: lambda d: d.replace(b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='ISO-8859-1'?>").decode().encode("latin-1")})
    assert codes(latin1) == [("xml-declaration", False)]
    fixed = run_preflight(latin1, fix=True).fixed
    assert fixed is not None
    assert read(fixed, page).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>')
    assert "Café".encode() in read(fixed, page)


def test_an_img_without_src_becomes_its_alt_text_and_a_missing_alt_is_added() -> None:
    built = good_book("<p>See the figure.</p>", cover=True)
    page = first_page(built)
    broken = altered(built, {page: sub(r"<p>See the figure\.</p>", '<p>See <img alt="the chart"/>, <img src="cover.jpg"/> and <img src="nowhere.png" alt=""/>.</p>')})
    assert sorted(codes(broken)) == [("img-alt", False), ("img-src", False), ("img-src", False)]
    fixed = run_preflight(broken, fix=True).fixed
    assert fixed is not None
    assert '<p>See the chart, <img src="cover.jpg" alt=""/> and .</p>' in read(fixed, page).decode()


def test_links_to_missing_ids_files_and_the_body_lose_only_what_is_missing() -> None:
    built = good_book("<p>Text.</p>")
    page = first_page(built)
    broken = altered(built, {page: sub(r"<body>", '<body id="top">')})
    broken = altered(broken, {page: sub(r"<p>Text\.</p>", '<p><a href="#top">up</a> <a href="#nope">a</a> <a href="gone.xhtml">b</a> <a href="https://x.example/#y">c</a></p>')})
    assert sorted(codes(broken)) == [("body-id", False), ("link", False), ("link", False), ("link", False)]
    fixed = run_preflight(broken, fix=True).fixed
    assert fixed is not None
    root = etree.fromstring(read(fixed, page))
    links = [(a.get("href"), a.text) for a in root.iterfind(".//x:div[@class='article-body']//x:a", NS)]
    own = page.rsplit("/", 1)[1]
    assert links == [(own, "up"), (own, "a"), (None, "b"), ("https://x.example/#y", "c")]
    assert root.find("x:body", NS).get("id") is None  # type: ignore[union-attr]
    assert codes(fixed) == []


def test_an_ncx_out_of_spine_order_is_sorted_and_renumbered() -> None:
    built = good_book()
    ncx = read(built, NCX).decode()
    points = re.findall(r"<navPoint .*?</navPoint>", ncx)
    assert len(points) == 3
    swapped = ncx.replace(points[0], "\0").replace(points[2], points[0]).replace("\0", points[2])
    broken = altered(built, {NCX: lambda _: swapped.encode()})
    assert codes(broken) == [("ncx-order", False)]
    fixed = run_preflight(broken, fix=True).fixed
    assert fixed is not None
    root = etree.fromstring(read(fixed, NCX))
    order = [(p.get("playOrder"), p.find("ncx:content", NS).get("src")) for p in root.iterfind(".//ncx:navPoint", NS)]  # type: ignore[union-attr]
    original = [(p.get("playOrder"), p.find("ncx:content", NS).get("src")) for p in etree.fromstring(ncx.encode()).iterfind(".//ncx:navPoint", NS)]  # type: ignore[union-attr]
    assert order == original


def test_css_remote_imports_and_missing_fonts_are_removed_broken_css_is_refused() -> None:
    built = good_book()
    css = altered(built, {CSS: lambda d: b'@import url("https://fonts.example/a.css");\n@font-face { font-family: X; src: url(fonts/x.ttf); }\n' + d})
    assert codes(css) == [("css", False), ("css", False)]
    fixed = run_preflight(css, fix=True).fixed
    assert fixed is not None
    assert b"@import" not in read(fixed, CSS) and b"@font-face" not in read(fixed, CSS)
    assert codes(fixed) == []
    unbalanced = altered(built, {CSS: lambda d: d + b"\np { color: red;\n"})
    assert codes(unbalanced, fix=True) == [("css", False)]


def test_an_oversized_image_is_re_encoded_under_the_limit() -> None:
    from feed2book.writers.epub.book import build_epub as build

    article = make_article(content='<p><img src="images/big.png" alt="noise"/></p>')
    png = noise_png(400)
    book = Book("author:t", "T", article.authors, "en", ())
    from feed2book.models import Section

    epub = build(replace(book, sections=(Section("", (article,)),)), resources={"images/big.png": ("image/png", png)})
    limit = len(png) // 3
    assert codes(epub, max_image_bytes=limit) == [("image-size", False)]
    fixed = run_preflight(epub, fix=True, max_image_bytes=limit).fixed
    assert fixed is not None
    image = read(fixed, "OEBPS/images/big.png")
    assert len(image) <= limit and Image.open(io.BytesIO(image)).format == "PNG"
    assert MAX_IMAGE_BYTES == 5 * 1024 * 1024


def test_an_encrypted_book_is_refused() -> None:
    encryption = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
        b'Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/></enc:EncryptedData></encryption>'
    )
    book = altered(good_book(), {}, add={"META-INF/encryption.xml": encryption})
    report = run_preflight(book, fix=True)
    assert [(f.code, f.fixed) for f in report.refused] == [("drm", False)]


def test_every_fixed_book_passes_epubcheck() -> None:
    built = good_book("<p>Text.</p>")
    page = first_page(built)
    broken = altered(
        built,
        {
            OPF: sub(r"<dc:language>[^<]*</dc:language>", ""),
            page: sub(r"<p>Text\.</p>", '<p><img alt="x"/><a href="#nope">a</a><img src="cover.jpg"/></p>'),
            CSS: lambda d: b'@import url("https://fonts.example/a.css");\n' + d,
        },
    )
    fixed = run_preflight(broken, fix=True).fixed
    kindle = apply_device(good_book(NOTES), Device.KINDLE).fixed
    assert fixed is not None and kindle is not None
    assert_all_epubcheck_clean({"fixed": fixed, "kindle": kindle})


# --- the kindle profile -------------------------------------------------------------------------


def test_kindle_footnotes_become_noteref_links_and_footnote_asides() -> None:
    content = clean_html(NOTES, "https://example.com/post/")
    report = apply_device(good_book(content), Device.KINDLE)
    assert {f.code for f in report.findings} == {"footnotes"}
    assert report.fixed is not None
    root = etree.fromstring(read(report.fixed, first_page(report.fixed)))
    ops = "{http://www.idpf.org/2007/ops}type"
    refs = [a.get("href") for a in root.iter("{http://www.w3.org/1999/xhtml}a") if a.get(ops) == "noteref"]
    asides = [(a.get("id"), a.get(ops), "".join(a.itertext()).strip()) for a in root.iter("{http://www.w3.org/1999/xhtml}aside")]
    assert refs == ["#fn-1", "#fn-2"]
    assert asides == [
        ("fn-1", "footnote", "1. Most of them, anyway. back"),
        ("fn-2", "footnote", "2. Some nap at dusk too."),
    ]
    assert root.find(".//x:ol", NS) is None  # the emptied list is gone


def test_kindle_drops_the_css_its_renderer_ignores() -> None:
    built = altered(good_book(), {CSS: lambda d: d + b"\n.a { position: fixed; color: red }\n.b { display:flex; }\n"})
    report = apply_device(built, Device.KINDLE)
    assert [(f.code, f.fixed) for f in report.findings] == [("css-dropped", True)]
    assert report.fixed is not None
    css = read(report.fixed, CSS)
    assert b".a { color: red }" in css and b".b {" in css
    assert b"position" not in css and b"flex" not in css


@pytest.mark.parametrize(
    ("title", "subtitle", "series", "expected"),
    [
        ("Rust Days", "Days 1–4", SeriesRef("Rust Days", 1), "Rust Days (Days 1–4)"),
        ("Extra notes", "", SeriesRef("Rust Days", 2), "Rust Days #2: Extra notes"),
        ("No series", "2026", None, "No series"),
    ],
)
def test_series_in_title(title: str, subtitle: str, series: SeriesRef | None, expected: str) -> None:
    book = Book("k", title, (), "en", (), series=series, subtitle=subtitle)
    assert series_in_title(book).title == expected


# --- on the command line ------------------------------------------------------------------------

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_exit_status_and_fix_in_place_or_to_another_file(tmp_path: Path) -> None:
    clean, broken = tmp_path / "clean.epub", tmp_path / "broken.epub"
    clean.write_bytes(good_book())
    original = altered(good_book(), {OPF: sub(r"<dc:language>[^<]*</dc:language>", "")})
    broken.write_bytes(original)
    assert run("check", str(clean), "--device", "kindle")[0] == 0
    code, out, _ = run("check", str(broken), "--device", "kindle")
    assert code == 1 and out == f"{broken}: language: {OPF}: no dc:language; set to 'en' (fixable)\n"
    assert broken.read_bytes() == original  # checking alone writes nothing
    fixed = tmp_path / "fixed.epub"
    code, out, err = run("check", str(broken), "--fix", "-o", str(fixed))
    assert code == 1 and "no dc:language; set to 'en' (fixed)" in out and f"wrote {fixed}" in err
    assert broken.read_bytes() == original and run("check", str(fixed))[0] == 0
    assert run("check", str(broken), "--fix")[0] == 1
    assert run("check", str(broken))[0] == 0  # rewritten in place
    assert [p.name for p in tmp_path.iterdir() if "tmp" in p.name] == []


def test_check_refuses_what_is_not_an_epub(tmp_path: Path) -> None:
    junk = tmp_path / "junk.epub"
    junk.write_bytes(b"not a zip")
    code, _, err = run("check", str(junk))
    assert code == 1 and "junk.epub: not an EPUB" in err and "Traceback" not in err


def test_epub_device_kindle_and_series_in_title(tmp_path: Path) -> None:
    feed = tmp_path / "notes.xml"
    items = "".join(
        f"<item><title>Owl facts, part {n}</title><link>https://owls.example/{n}</link>"
        f"<guid>https://owls.example/{n}</guid><pubDate>Mon, 0{n} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description>{escape(NOTES)}</description></item>"
        for n in (1, 2, 3)
    )
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Owls</title>'
        f"<link>https://owls.example/</link>{items}</channel></rss>"
    )
    code, _, err = run("epub", str(feed), "--group-by", "series", "--device", "kindle",
                       "--series-in-title", "--images", "none", "-o", str(tmp_path / "out"))
    assert code == 0, err
    [book] = (tmp_path / "out").glob("*.epub")
    data = book.read_bytes()
    assert '<dc:title>Owl facts (Parts 1–3)</dc:title>' in read(data, OPF).decode()
    page = read(data, first_page(data)).decode()
    assert '<a href="#fn-1" epub:type="noteref">1</a>' in page
    assert '<aside id="fn-2" epub:type="footnote"><p>2. Some nap at dusk too.</p></aside>' in page
    assert run("check", str(book))[0] == 0
    plain = tmp_path / "plain"
    assert run("epub", str(feed), "--group-by", "series", "--images", "none", "-o", str(plain))[0] == 0
    [without] = plain.glob("*.epub")
    assert b'epub:type="noteref"' not in read(without.read_bytes(), first_page(data))
    assert '<dc:title>Owl facts</dc:title>' in read(without.read_bytes(), OPF).decode()


def test_kindle_pop_ups_on_a_real_hugo_blog(practice: list[Path], tmp_path: Path) -> None:
    """Hugo's footnotes, after cleaning (classes and roles gone), still become pop-ups."""
    [feed] = [path for path in practice if "hugo" in path.name and "footnotes" in path.name]
    code, _, err = run("epub", str(feed), "-g", "none", "--images", "none", "--device", "kindle", "-o", str(tmp_path))
    assert code == 0, err
    [book] = tmp_path.glob("*.epub")
    data = book.read_bytes()
    pages = [read(data, name).decode() for name in names(data) if re.search(r"/a-[0-9a-f]+\.xhtml$", name)]
    notes = sum(page.count('epub:type="footnote"') for page in pages)
    references = sum(page.count('epub:type="noteref"') for page in pages)
    assert notes >= 5 and references >= notes
    assert all("<ol>\n<li id=\"fn-" not in page for page in pages)
    assert_all_epubcheck_clean({"hugo-kindle": data})
