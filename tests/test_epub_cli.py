"""`feed2book epub` end to end: file naming, grouping, overwrite policy, reproducibility and
EPUBCheck on every book built from the examples and the seed feeds."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests.conftest import EXAMPLES
from tests.epubcheck_helper import assert_all_epubcheck_clean

runner = CliRunner()


def epub(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["epub", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def spine_titles(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        nav = archive.read("OEBPS/nav.xhtml").decode()
    return nav.split('epub:type="toc"')[1].split("</nav>")[0].split("<a ")[1:]


def test_examples_build_valid_books_every_way(tmp_path: Path) -> None:
    built = []
    for by in ["author", "series", "month", "week", "year", "tag", "feed", "none"]:
        out = tmp_path / by
        code, err = epub(str(EXAMPLES), "-o", str(out), "--group-by", by, "-q")
        assert code == 0, err
        built += sorted(out.glob("*.epub"))
    assert len(built) >= 15
    assert_all_epubcheck_clean(built)


def test_reproducible_bytes(tmp_path: Path) -> None:
    assert epub(str(EXAMPLES), "-o", str(tmp_path / "one.epub"), "--group-by", "none", "-q") == (
        0,
        "",
    )
    epub(str(EXAMPLES), "-o", str(tmp_path / "two.epub"), "--group-by", "none", "-q")
    assert (tmp_path / "one.epub").read_bytes() == (tmp_path / "two.epub").read_bytes()


def test_one_file_name_needs_one_book(tmp_path: Path) -> None:
    code, err = epub(str(EXAMPLES), "-o", str(tmp_path / "x.epub"))
    assert code == 2
    assert "names one file but 3 books were built" in err


def test_foreign_files_are_not_overwritten_but_our_own_are(tmp_path: Path) -> None:
    target = tmp_path / "book.epub"
    target.write_text("my thesis")
    code, err = epub(str(EXAMPLES), "--author", "priya_raman", "-o", str(target))
    assert code == 1
    assert "exists and is not an earlier build of this book; not overwritten" in err
    assert target.read_text() == "my thesis"
    assert epub(str(EXAMPLES), "--author", "priya_raman", "-o", str(target), "--force")[0] == 0
    first = target.read_bytes()
    assert epub(str(EXAMPLES), "--author", "priya_raman", "-o", str(target))[0] == 0
    assert target.read_bytes() == first


def test_a_grown_book_replaces_its_earlier_build(tmp_path: Path) -> None:
    epub(str(EXAMPLES), "--author", "priya_raman", "--until", "2026-05-04", "-o", str(tmp_path))
    [old] = tmp_path.glob("*.epub")
    code, err = epub(str(EXAMPLES), "--author", "priya_raman", "-o", str(tmp_path))
    [new] = tmp_path.glob("*.epub")
    assert code == 0 and new != old
    assert f"replaced {old.name}" in err
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_cover_options(tmp_path: Path) -> None:
    code, _ = epub(
        str(EXAMPLES), "--author", "tomas_ferreira", "--no-cover", "-o", str(tmp_path / "a.epub")
    )
    assert code == 0
    with zipfile.ZipFile(tmp_path / "a.epub") as archive:
        assert not [n for n in archive.namelist() if "cover" in n]
    code, err = epub(str(EXAMPLES), "--cover-theme", "nope", "-o", str(tmp_path))
    assert code == 2 and "unknown cover theme 'nope'" in err


def test_seed_books(tmp_path: Path, seeds: list[Path]) -> None:
    paths = [str(p) for p in seeds]
    code, _ = epub(*paths, "-o", str(tmp_path / "authors"), "-q")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "authors").glob("*.epub")) == [
        "abdullah-al-mubin-2026-05-29--2026-06-28.epub",
        "damir-karimov-2026-05-04--2026-06-29.epub",
        "matt-frank-2026-04-26--2026-05-25.epub",
    ]
    code, err = epub(*paths, "--group-by", "series", "-o", str(tmp_path / "series"))
    assert code == 0
    assert "30 articles outside any series left out" in err
    [book] = (tmp_path / "series").glob("*.epub")
    days = [int(link.split("Day ")[1].split(":")[0]) for link in spine_titles(book)]
    assert days == [19, 20, 21, 22, 23, 24, 25, 28, 29, 30, 31, 32, 33, 45, 46, 47, 48, 49]
    with zipfile.ZipFile(book) as archive:  # the runs the book holds, and no "book 1"
        title_page = archive.read("OEBPS/title.xhtml").decode()
    assert '<p class="subtitle"><bdi>Days 19–25, 28–33, 45–49</bdi></p>' in title_page
    assert "book 1" not in title_page
    built = sorted(tmp_path.rglob("*.epub"))
    for by in ["month", "week", "tag", "feed", "none"]:
        epub(*paths, "--group-by", by, "-o", str(tmp_path / by), "-q")
        built += sorted((tmp_path / by).glob("*.epub"))
    assert_all_epubcheck_clean(built)


@pytest.mark.slow
def test_practice_feeds_build_valid_books(tmp_path: Path, practice: list[Path]) -> None:
    feeds = [str(p) for p in practice if p.suffix != ".opml"]
    code, err = epub(*feeds, "--group-by", "feed", "-o", str(tmp_path), "-q")
    assert code == 0, err
    books = sorted(tmp_path.glob("*.epub"))
    assert len(books) == 14
    assert_all_epubcheck_clean(books)


def test_cover_command_and_gallery(tmp_path: Path) -> None:
    target = tmp_path / "cover.png"
    args = ["cover", "--title", "Rust, Day by Day", "--subtitle", "Days 1–4", "-o", str(target)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(b"\x89PNG")
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "exists; not overwritten" in again.stderr
    result = runner.invoke(app, ["cover", "--gallery", "-o", str(tmp_path / "gallery")])
    assert result.exit_code == 0
    assert len(list((tmp_path / "gallery").glob("*.png"))) == 15
    result = runner.invoke(app, ["cover", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "--title is needed" in result.stderr


def test_own_cover_file(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "mine.png"
    Image.new("RGB", (300, 480), (10, 80, 160)).save(image)
    code, _ = epub(
        str(EXAMPLES),
        "--author",
        "tomas_ferreira",
        "--cover",
        str(image),
        "-o",
        str(tmp_path / "b.epub"),
    )
    assert code == 0
    with zipfile.ZipFile(tmp_path / "b.epub") as archive:
        [cover] = [n for n in archive.namelist() if n.endswith((".jpg", ".jpeg"))]
        assert archive.read(cover).startswith(b"\xff\xd8")


def test_group_by_none_books_of_other_feeds_do_not_replace_each_other(tmp_path: Path) -> None:
    """Each is its own book (identifier, cover): building the second one must not remove the
    first as "an earlier build of the same book"."""
    out = tmp_path / "books"
    for feed in ("devto-priya-raman.xml", "devto-tomas-ferreira.xml"):
        assert epub(str(EXAMPLES / feed), "--group-by", "none", "-o", str(out), "-q")[0] == 0
    books = sorted(out.glob("*.epub"))
    assert len(books) == 2
    with zipfile.ZipFile(books[0]) as first, zipfile.ZipFile(books[1]) as second:
        assert first.read("OEBPS/cover.jpg") != second.read("OEBPS/cover.jpg")
    # Named by --title, a digest of other articles is the same book: its earlier build goes.
    digest = ["--group-by", "none", "--title", "Weekly", "-o", str(tmp_path / "weekly"), "-q"]
    epub(str(EXAMPLES / "devto-priya-raman.xml"), *digest)
    epub(str(EXAMPLES / "devto-tomas-ferreira.xml"), *digest)
    [weekly] = (tmp_path / "weekly").glob("*.epub")
    assert weekly.name.startswith("weekly-")
