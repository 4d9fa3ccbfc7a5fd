"""Languages feeds do not declare: guessed from the script, per article, and carried to every
output (JSON Lines ``language``, the EPUB's per-page ``lang``/``xml:lang``/``dir``), and code
kept left to right in right-to-left pages."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.lang.detect import detect_language, language_of
from tests.conftest import DATA, PRACTICE

FEEDS = DATA / "feeds"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
X = "{http://www.w3.org/1999/xhtml}"


def jsonl(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["jsonl", *args])
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def build(tmp_path: Path, *sources: str) -> Path:
    out = tmp_path / "book.epub"
    args = ["epub", *sources, "-o", str(out), "--group-by", "none", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return out


def article_pages(epub: Path) -> dict[str, etree._Element]:
    """Each article page's root element, by its title."""
    pages = {}
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if name.startswith("OEBPS/a-") and name.endswith(".xhtml"):
                root = etree.fromstring(archive.read(name))
                pages[root.findtext(f".//{X}title") or ""] = root
    return pages


# --- the guess ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们今天说一说这个问题，为什么数据会变慢", "zh-Hans"),
        ("我們今天說一說這個問題，為什麼數據會變慢", "zh-Hant"),
        ("天地山水日月星辰", "zh"),  # Han only, neither spelling told apart: plain zh
        ("今日はテストについて書きます。とても大切です", "ja"),
        ("오늘은 테스트에 대해 이야기합니다", "ko"),
        ("این یک نوشتهٔ کوتاه برای آزمایش است که چند واژه دارد", "fa"),
        ("یہ ایک چھوٹی تحریر ہے جو جانچ کے لیے لکھی گئی ہے", "ur"),
        ("هذا نص قصير مكتوب لاختبار اللغة العربية", "ar"),
        ("هذا نص عربی مکتوب علی لوحة مفاتیح فارسیة", "ar"),  # Persian yeh/kaf alone: still ar
        ("זהו טקסט קצר בעברית לבדיקה", "he"),
        ("Это короткий текст для проверки языка", "ru"),
        ("Це короткий текст для перевірки мови, її правил", "uk"),
        ("यह एक छोटा सा परीक्षण पाठ है", "hi"),
        ("นี่คือข้อความทดสอบสั้นๆ", "th"),
        ("Αυτό είναι ένα σύντομο κείμενο", "el"),
    ],
)
def test_script_names_the_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "An ordinary English paragraph about feeds.",
        "Un paragraphe en français, écrit en alphabet latin.",
        "Това е кратък текст на български",  # Cyrillic without ы/э or є/ї: no guess
        "Ово је кратак текст на српском, ђак",  # Serbian letters: no guess either
        "中文",  # two characters are no evidence
        "",
    ],
)
def test_no_guess_without_evidence(text: str) -> None:
    assert detect_language(text) is None


def test_code_does_not_count_against_the_prose() -> None:
    code = "<pre><code>" + "let value = compute(input, options);\n" * 40 + "</code></pre>"
    inline = "<code>" + "configuration_value " * 20 + "</code>"
    xhtml = f"<p>这个函数很简单 {inline}</p>{code}<p>我们再看下一个例子</p>"
    assert language_of("Rust", xhtml) == "zh-Hans"


# --- from feed to outputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("lang-persian-no-language.xml", ["fa", "fa"]),
        ("lang-chinese-no-language.xml", ["zh-Hans", "zh-Hans"]),
        ("lang-japanese-no-language.json", ["ja", "ja"]),
        ("lang-mixed-no-language.xml", ["en", "zh-Hans", "ar", "ru"]),
        ("lang-rtl-code-no-language.xml", ["ar"]),
    ],
)
def test_jsonl_language_is_guessed_per_article(fixture: str, expected: list[str]) -> None:
    assert [r["language"] for r in jsonl(str(FEEDS / fixture))] == expected


def test_jsonl_read_back_keeps_the_guess(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(
        "".join(json.dumps(r) + "\n" for r in jsonl(str(FEEDS / "lang-mixed-no-language.xml")))
    )
    assert [r["language"] for r in jsonl(str(first))] == ["en", "zh-Hans", "ar", "ru"]


def test_a_declared_language_is_never_second_guessed(tmp_path: Path) -> None:
    feed = (FEEDS / "lang-chinese-no-language.xml").read_text(encoding="utf-8")
    declared = tmp_path / "declared.xml"
    declared.write_text(feed.replace("<feed ", '<feed xml:lang="en" ', 1), encoding="utf-8")
    assert {r["language"] for r in jsonl(str(declared))} == {"en"}


def test_pages_carry_their_own_language_and_direction(tmp_path: Path) -> None:
    pages = article_pages(build(tmp_path, str(FEEDS / "lang-mixed-no-language.xml")))
    found = {
        title: (page.get("lang"), page.get(XML_LANG), page.get("dir"))
        for title, page in pages.items()
    }
    assert found == {
        "Release notes for March": ("en", "en", None),
        "三月的更新说明": ("zh-Hans", "zh-Hans", None),
        "ملاحظات الإصدار لشهر مارس": ("ar", "ar", "rtl"),
        "Заметки о выпуске за март": ("ru", "ru", None),
    }


def test_the_book_language_follows_most_articles(tmp_path: Path) -> None:
    with zipfile.ZipFile(build(tmp_path, str(FEEDS / "lang-persian-no-language.xml"))) as book:
        opf = book.read("OEBPS/content.opf").decode()
    assert "<dc:language>fa</dc:language>" in opf
    assert 'page-progression-direction="rtl"' in opf


def test_code_in_right_to_left_pages_is_left_to_right(tmp_path: Path) -> None:
    pages = article_pages(build(tmp_path, str(FEEDS / "lang-rtl-code-no-language.xml")))
    (page,) = pages.values()
    assert page.get("dir") == "rtl"
    code = [*page.iter(f"{X}pre", f"{X}code")]
    assert len(code) == 6  # two blocks (pre + code each) and two inline
    assert {element.get("dir") for element in code} == {"ltr"}


def test_code_in_left_to_right_pages_needs_no_attribute(tmp_path: Path) -> None:
    pages = article_pages(build(tmp_path, str(FEEDS / "lang-chinese-no-language.xml")))
    code = [e for page in pages.values() for e in page.iter(f"{X}pre", f"{X}code")]
    assert code
    assert {element.get("dir") for element in code} == {None}


def test_bbc_urdu_pages_read_right_to_left(tmp_path: Path) -> None:
    urdu = PRACTICE / "rtl-bbc-urdu-atom.xml"
    if not urdu.is_file():
        pytest.skip("the practice feeds (../shared/practice) are not present")
    pages = article_pages(build(tmp_path, str(urdu)))
    assert pages
    assert {(page.get("lang"), page.get("dir")) for page in pages.values()} == {("ur", "rtl")}
    for page in pages.values():
        for element in page.iter(f"{X}pre", f"{X}code"):
            assert element.get("dir") == "ltr"
