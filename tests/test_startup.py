"""Start-up cost: a command imports only what it uses.

``list --author X`` on a big library must answer in well under a second, and most of a short
command's time is imports. These tests run the real console entry point in a fresh interpreter
and check which heavy modules it loaded: reading the library needs neither the parsing stack
(feedparser, lxml, the HTML cleaner), nor HTTP (httpx), nor images (PIL), nor pydantic (which
typer 0.29 started to import for every option; pyproject keeps typer below it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES

PROBE = """
import json, sys
sys.argv = ["feed2book", *json.loads(sys.argv[1])]
from feed2book.__main__ import main
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
heavy = ["feedparser", "lxml", "feed2book.parse.feed", "feed2book.clean.html", "httpx", "PIL",
         "pydantic", "ebooklib", "markdownify", "bs4"]
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}), file=sys.stderr)
"""


def _probe(args: list[str], tmp_path: Path, also: list[str] | None = None) -> dict[str, object]:
    """The exit code of ``feed2book ARGS`` and which heavy modules (and ``also``) it loaded."""
    probe = PROBE.replace('heavy = ["feedparser"', f'heavy = {also or []!r} + ["feedparser"')
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    result: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_list_from_the_library_imports_no_parsing_http_or_images(tmp_path: Path) -> None:
    library = tmp_path / "lib.sqlite3"
    add = _probe(["add", str(EXAMPLES), "--library", str(library), "-q"], tmp_path)
    assert add["code"] == 0
    listed = _probe(["list", "--author", "tomas_ferreira", "--library", str(library)], tmp_path)
    assert listed == {"code": 0, "loaded": []}


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    assert _probe(["--help"], tmp_path) == {"code": 0, "loaded": []}


def test_an_epub_of_local_feeds_imports_no_http_markdown_or_library(tmp_path: Path) -> None:
    # Neither HTTP (httpx: no URL to read, no image to embed), nor the Markdown converter
    # (markdownify, bs4), nor the library's store (no --save, --new or --library) is needed.
    local = ["-g", "none", "--images", "none", "--full-text", "never"]
    args = ["epub", str(EXAMPLES), *local, "-o", "b.epub"]
    result = _probe(args, tmp_path, ["sqlite3", "feed2book.library.store"])
    assert result["code"] == 0
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert not {"httpx", "markdownify", "bs4", "sqlite3", "feed2book.library.store"} & set(loaded)
    assert {"feedparser", "lxml", "ebooklib"} <= set(loaded)  # the probe does see


# What a book rebuilt from the library does not need: the Kobo converter (no --device), the
# cookie jar and urllib (no --cookies), the library's writing, statistics, export/import and
# check, rich (no terminal), and fontTools' CFF parser (a cover reads only the fonts' code
# points).
NOT_FOR_A_REBUILD = [
    "feed2book.delivery.devices",
    "feed2book.fulltext.cookies",
    "urllib.request",
    "http.cookiejar",
    "feed2book.library.upsert",
    "feed2book.library.stats",
    "feed2book.library.transfer",
    "feed2book.library.check",
    "rich.console",
    "rich.progress",
    "fontTools.cffLib",
]
# What a book without a cover does not need either.
NOT_WITHOUT_A_COVER = ["PIL", "fontTools", "feed2book.covers.render"]


def test_a_rebuild_from_the_library_imports_only_what_it_uses(tmp_path: Path) -> None:
    library = tmp_path / "lib.sqlite3"
    assert _probe(["add", str(EXAMPLES), "--library", str(library), "-q"], tmp_path)["code"] == 0
    local = ["-g", "none", "--images", "none", "--full-text", "never", "-q"]
    args = ["epub", "--library", str(library), *local, "-o", "b.epub"]
    with_cover = _probe(args, tmp_path, NOT_FOR_A_REBUILD)
    assert with_cover == {"code": 0, "loaded": ["lxml", "PIL", "ebooklib"]}  # the probe does see
    without = _probe([*args, "--no-cover"], tmp_path, NOT_FOR_A_REBUILD + NOT_WITHOUT_A_COVER)
    assert without == {"code": 0, "loaded": ["lxml", "ebooklib"]}
