"""Hostile names: titles, authors, tags and feed titles that attack file systems, YAML, terminals
and readers. ``names_feed`` puts each one in a JSON Feed (which can carry any character, NUL
included) as an item's title, author and tag.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

HOSTILE_NAMES: tuple[str, ...] = (
    # paths
    "../../x", "..", ".", "/etc/passwd", "C:\\Windows\\system32", "a/b\\c", "~/x", "./-rf",
    # Windows reserved names and characters
    "CON", "con.txt", "NUL", "Nul.epub", "COM1", "LPT9", "AUX", "PRN.md", "a:b", 'a*b?c"<d>|e',
    "trailing dot.", "trailing space ",
    # length
    "x" * 500, "長" * 500, "😀" * 300, "a" + "\u0301" * 400,
    # line breaks, control and invisible characters
    "line1\nline2", "cr\rlf\r\n", "tab\there", "nul\x00byte", "bell\x07", "\x1b[2J\x1b]0;pwned\x07",
    "vertical\x0btab", "del\x7f", "zero\u200bwidth", "\ufeffbom", "line\u2028separator",
    "\u202eexe.txt", "rtl \u202bembedding\u202c and \u2067isolate\u2069", "\u200f\u200e",
    # YAML (and front matter) specials
    "---", "...", "yes", "no", "null", "~", "true", "False", "&anchor", "*alias", "!tag",
    "!!python/object/apply:os.system ['echo pwned']", "%YAML 1.1", "@at", "`back`", "{a: b}",
    "[a, b]", "- item", "# comment", "key: value", '"quoted"', "'single'", "|", ">", "? complex",
    "0x1F", "1e3", ".inf", ".NaN", "2026-05-04", "12:30:00", "010", "=",
    # templates, shells, markup
    "{{ site.title }}", "${HOME}", "$(rm -rf /)", "%s%n%x", "<b>bold</b>", "[link](x)", "*emph*",
    # Unicode oddities
    "Ångström", "A\u030angstro\u0308m", "ǅ", "ß", "İstanbul", "ﬁle", "Ｆｕｌｌｗｉｄｔｈ",
    "   ", "",
)  # fmt: skip


def names_feed() -> bytes:
    items = [
        {
            "id": f"name-{number}",
            "url": f"https://names.example/{number}",
            "title": name,
            "authors": [{"name": name}],
            "tags": [name],
            "content_html": f"<p>Article {number}.</p>",
            "date_published": f"2026-05-{1 + number % 28:02d}T10:00:00Z",
        }
        for number, name in enumerate(HOSTILE_NAMES)
    ]
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "../../\u202eNames\x00 CON",
            "home_page_url": "https://names.example/",
            "items": items,
        }
    ).encode()


def write_names_feed(directory: Path) -> Path:
    path = directory / "names.json"
    path.write_bytes(names_feed())
    return path


# --- what a safe file name is -----------------------------------------------------------------

_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.I)
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]')
MAX_NAME_BYTES = 100  # feed2book promises 80 for the stem; a suffix comes on top


def unsafe_name(name: str) -> str:
    """Why ``name`` is not a portable file name, or ""."""
    if _FORBIDDEN.search(name):
        return "a forbidden character"
    if _RESERVED.match(name):
        return "a reserved name"
    if name != unicodedata.normalize("NFC", name):
        return "not NFC"
    if name.startswith((".", "-", " ")) and name not in (".feed2book.json",):
        return "a leading dot, dash or space"
    if name.endswith((".", " ")):
        return "a trailing dot or space"
    if len(name.encode()) > MAX_NAME_BYTES:
        return "too long"
    if not name:
        return "empty"
    return ""


def unsafe_names(paths: Iterable[Path], root: Path) -> list[str]:
    """Every path under ``root`` whose components are not portable, or that clash by case."""
    problems = []
    seen: dict[tuple[Path, str], Path] = {}
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{path}: outside {root}")
            continue
        relative = path.relative_to(root)
        for part in relative.parts:
            if part in (".feed2book.json", "_mdbook"):
                continue
            why = unsafe_name(part)
            if why:
                problems.append(f"{relative}: {part!r} has {why}")
        key = (path.parent, path.name.casefold())
        if key in seen and seen[key] != path:
            problems.append(f"{relative}: clashes with {seen[key].name} ignoring case")
        seen[key] = path
    return problems
