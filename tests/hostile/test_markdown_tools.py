"""Markdown output read by the tools it is written for: pandoc, Hugo, Jekyll (Liquid), mdBook.

Article text is data, never syntax of the tool that reads it. ``--single-file`` is converted by
the real ``pandoc`` (default extensions) to standalone HTML: no ``<script>``, no ``on…=``
attribute, no ``javascript:`` URL, whatever the articles or ``--title`` carry (the XSS corpus plus
pandoc's own syntax: raw attributes, header/link/span attributes, fenced divs, metadata blocks).
Bundles never hold a directive opener (``{{`` or ``{%``, which covers mdBook's ``{{#include}}``,
Hugo's shortcodes and Liquid), in text, code or front matter; the real ``hugo`` builds a site
with a bundle dropped into ``content/`` and shows the original characters.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
import yaml

from tests.hostile.corpus import escape
from tests.hostile.runner import Run, run_command
from tests.hostile.xss import write_feeds

PANDOC = shutil.which("pandoc")
HUGO = shutil.which("hugo")
ZWSP = "\u200b"

# Directives of the tools that read bundles (mdBook, Hugo, Liquid). /etc/passwd stands for any
# file an include could read; "x" is a Hugo site parameter the test site sets to LEAKED.
DIRECTIVES: tuple[str, ...] = (
    "{{#include ../../../../../../etc/passwd}}",
    "{{ #include ../../../../../../etc/passwd }}",
    '{{< param "x" >}}',
    "{{% param x %}}",
    "{% include_relative ../../../../etc/passwd %}",
    "{{ site.x }}",
)

# Tags are data too (no ``..``: Hugo fails on some such terms, see the report of issue 14).
TAGS: tuple[str, ...] = ('{{< param "x" >}}', "{{% param x %}}", "{{ site.x }}", "{% raw %}")

# pandoc's own syntax, as article HTML (each item's description).
PANDOC_VECTORS: tuple[str, ...] = (
    "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code>{=html}</p>",
    "<h2>Heading {#id onclick=alert(1)}</h2><p>after</p>",
    '<p><a href="https://ok.example/">x</a>{onmouseover=alert(1)}</p>',
    "<p>[x]{onclick=alert(1)} and [y](https://ok.example/){onclick=alert(1)}</p>",
    "<p>::: {onmouseover=alert(1)}</p><p>div body</p><p>:::</p>",
    "<p>intro<br/>::: {onmouseover=alert(1)}<br/>body<br/>:::</p>",
    '<pre><code class="language-{=html}">&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>',
    '<pre><code class="language-{onclick=alert(1)}">x = 1</code></pre>',
    '<p><img alt="`&lt;script&gt;alert(1)&lt;/script&gt;`{=html}" src="https://ok.example/a.png"/></p>',
    '<p><img alt="x" title="t{onclick=alert(1)}" src="https://ok.example/a.png"/>{onclick=alert(1)}</p>',
    '<p><a href="https://ok.example/" title="t&quot; onclick=&quot;alert(1)">t</a></p>',
    "<table><tr><th>h</th></tr><tr><td><code>&lt;b&gt;</code>{=html} {onclick=alert(1)}</td></tr></table>",
    "<p>before</p><p>---</p><p>header-includes: '&lt;script&gt;alert(1)&lt;/script&gt;'</p><p>---</p>",
    "<p>x<br/>---<br/>header-includes: '&lt;script&gt;alert(1)&lt;/script&gt;'<br/>---</p>",
    "<p>$x$ and \\input{/etc/passwd} and &lt;script&gt;alert(1)&lt;/script&gt;</p>",
    "<ul><li>::: {onclick=alert(1)}</li><li>`x`{=html}</li></ul>",
    "<blockquote><p>::: {onclick=alert(1)}</p></blockquote>",
)

TITLE_VECTORS: tuple[str, ...] = (
    "`<script>alert(1)</script>`{=html}",
    "[x](javascript:alert(1)){onclick=alert(1)}",
    "Title {#t onclick=alert(1)}",
    "::: {onclick=alert(1)}",
    '{{#include ../../../../../../etc/passwd}} {{< param "x" >}} {% raw %}',
)


def _directive_html(directive: str) -> str:
    """One directive in every context an article can put it: text, heading, link text and
    title, image alt, table cell, inline code and a fenced code block."""
    text = escape(directive)
    quoted = text.replace('"', "&quot;")
    return (
        f"<p>{text}</p><h2>{text}</h2>"
        f'<p><a href="https://ok.example/" title="{quoted}">{text}</a></p>'
        f'<p>see <img alt="{quoted}" title="{quoted}" src="https://ok.example/a.png"/></p>'
        f"<table><tr><th>{text}</th></tr><tr><td>{text} <code>{text}</code></td></tr></table>"
        f"<p><code>{text}</code></p>"
        f'<pre><code class="language-html">{text}\n  {text}\n</code></pre>'
    )


def _feed(directory: Path) -> Path:
    """An RSS feed by one author: the pandoc vectors, the directives, and hostile titles."""
    bodies = [*PANDOC_VECTORS, *(_directive_html(d) for d in DIRECTIVES)]
    titles = [f"Vector {n}" for n in range(len(bodies))]
    bodies += ["<p>title vector</p>"] * len(TITLE_VECTORS)
    titles += list(TITLE_VECTORS)
    items = [
        f"<item><title>{escape(title)}</title>"
        f"<link>https://ok.example/p{number}</link><guid>https://ok.example/p{number}</guid>"
        f"<author>x@ok.example ({escape(TITLE_VECTORS[number % len(TITLE_VECTORS)])})</author>"
        f"<category>{escape(TAGS[number % len(TAGS)])}</category>"
        f"<pubDate>Mon, 04 May 2026 10:{number % 60:02d}:00 GMT</pubDate>"
        f"<description>{escape(body)}</description></item>"
        for number, (title, body) in enumerate(zip(titles, bodies, strict=True))
    ]
    path = directory / "tools.rss"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Tools {{#include x}} `a`{=html}</title><link>https://ok.example/</link>"
        + "".join(items)
        + "</channel></rss>\n",
        "utf-8",
    )
    return path


def _markdown(tmp: Path, *extra: str, sources: list[str] | None = None) -> Run:
    feeds = sources if sources is not None else [str(_feed(tmp))]
    run = run_command("markdown", feeds, tmp / "out", "--group-by", "none", *extra)
    assert run.code == 0, run.stderr
    return run


# --- pandoc ----------------------------------------------------------------------------------


def _pandoc_html(path: Path) -> str:
    assert PANDOC is not None
    result = subprocess.run(
        [PANDOC, str(path), "-f", "markdown", "-t", "html", "--standalone"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


_URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "action", "formaction", "data", "poster"})


def _unsafe_html(html: str) -> list[str]:
    """Script, event handlers and script URLs anywhere in pandoc's HTML (head included)."""
    problems = ["<script in the HTML"] if "<script" in html.lower() else []
    for element in lxml.html.document_fromstring(html).iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in ("script", "iframe", "object", "embed", "base"):
            problems.append(f"element <{element.tag}>")
        for name, value in element.items():
            url = re.sub(r"[\x00-\x20]+", "", value).lower()
            if name.lower().startswith("on"):
                problems.append(f"event handler {name} on <{element.tag}>")
            elif name.lower() in _URL_ATTRIBUTES and url.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                problems.append(f"{name}={value!r} on <{element.tag}>")
    return problems


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
@pytest.mark.parametrize("title", TITLE_VECTORS)
def test_pandoc_renders_the_single_file_inert(tmp_path: Path, title: str) -> None:
    run = _markdown(tmp_path, "--single-file", "--title", title)
    (document,) = [path for path in run.files if path.suffix == ".md"]
    html = _pandoc_html(document)
    assert _unsafe_html(html) == []
    page = lxml.html.document_fromstring(html)
    assert page.findtext(".//title") == title  # the title is data: shown as written
    assert "{=html}" in page.text_content() and "onclick=alert(1)" in page.text_content()


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
def test_pandoc_renders_the_xss_corpus_single_files_inert(tmp_path: Path) -> None:
    sources = [str(path) for path in write_feeds(tmp_path)]
    run = _markdown(tmp_path, "--single-file", sources=sources)
    documents = [path for path in run.files if path.suffix == ".md"]
    assert documents
    problems = []
    for document in documents:
        problems += [f"{document.name}: {p}" for p in _unsafe_html(_pandoc_html(document))]
    assert problems == []


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
def test_pandoc_shows_pandoc_syntax_in_articles_as_text(tmp_path: Path) -> None:
    run = _markdown(tmp_path, "--single-file")
    (document,) = [path for path in run.files if path.suffix == ".md"]
    text = lxml.html.document_fromstring(_pandoc_html(document)).text_content()
    for curly, straight in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'")):
        text = text.replace(curly, straight)  # pandoc's smart quotes
    for shown in (
        "<script>alert(1)</script>{=html}",
        "Heading {#id onclick=alert(1)}",
        "::: {onmouseover=alert(1)}",
        "header-includes: '<script>alert(1)</script>'",
        "$x$ and \\input{/etc/passwd}",
        *DIRECTIVES,  # the single file is for pandoc: code keeps its exact characters
    ):
        assert shown in text, shown


# --- bundles: mdBook, Hugo, Jekyll -----------------------------------------------------------

_OPENERS = re.compile(r"\{\{|\{%|\{\s*\{")  # Liquid, Hugo, and mdBook's {{ #include }}


def _bundle(tmp: Path) -> Path:
    run = _markdown(tmp)
    (readme,) = [path for path in run.files if path.name == "README.md"]
    return readme.parent


def test_bundle_files_hold_no_directive_opener(tmp_path: Path) -> None:
    folder = _bundle(tmp_path)
    texts = {
        p.name: p.read_text("utf-8") for p in folder.rglob("*") if p.suffix in (".md", ".toml")
    }
    assert len(texts) > len(DIRECTIVES) + len(PANDOC_VECTORS)
    assert {
        name: _OPENERS.findall(text) for name, text in texts.items() if _OPENERS.search(text)
    } == {}


def test_bundle_front_matter_reads_back_exactly(tmp_path: Path) -> None:
    folder = _bundle(tmp_path)
    titles, tags = set(), set()
    for path in folder.glob("[0-9]*.md"):
        meta = yaml.safe_load(path.read_text("utf-8").split("---\n")[1])
        titles.add(meta["title"])
        tags.update(meta["tags"])
        assert "url" not in meta and meta["link"].startswith("https://ok.example/p")
        assert meta["feed"]["url"] is None  # a local file: its path is not written
    assert set(TITLE_VECTORS) <= titles
    assert tags == set(TAGS)


def _rendered_text(markdown: str) -> str:
    """The text a CommonMark tool (mdBook, Obsidian, GitHub) shows, zero-width spaces removed."""
    from tests.hostile.scan import render_markdown

    html = render_markdown(markdown)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    shown = [root.text_content()]
    shown += [value for element in root.iter() for name, value in element.items() if name != "src"]
    return "\n".join(shown).replace(ZWSP, "")


def test_bundle_directives_read_back_as_the_original_characters(tmp_path: Path) -> None:
    folder = _bundle(tmp_path)
    first = len(PANDOC_VECTORS) + 1
    for number, directive in enumerate(DIRECTIVES, start=first):
        (path,) = folder.glob(f"{number:02d}-*.md")
        markdown = path.read_text("utf-8")
        shown = _rendered_text(markdown)
        # text, heading, link text, link title, image alt and title, two cells, two code
        assert shown.count(directive) >= 10, (directive, shown)
        code = directive.replace("{{", "{" + ZWSP + "{").replace("{%", "{" + ZWSP + "%")
        assert f"{code}\n  {code}\n```" in markdown  # in code: a zero-width space, nothing else


@pytest.mark.skipif(HUGO is None, reason="hugo is not installed")
def test_hugo_builds_a_site_with_the_bundle_and_runs_no_shortcode(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "t"\n[params]\nx = "LEAKED"\n', "utf-8"
    )
    for layout in ("single.html", "list.html"):
        (site / "layouts" / "_default" / layout).write_text("{{ .Content }}", "utf-8")
    run = run_command("markdown", [str(_feed(tmp_path))], site / "content", "--group-by", "none")
    assert run.code == 0, run.stderr
    assert HUGO is not None
    result = subprocess.run(
        [HUGO, "--source", str(site), "--quiet"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    pages = list((site / "public").rglob("*.html"))
    assert len(pages) > len(DIRECTIVES)
    assert not [page for page in pages if "LEAKED" in page.read_text("utf-8")]
    (page,) = [p for p in pages if p.parent.name.startswith(f"{len(PANDOC_VECTORS) + 3:02d}-")]
    shown = lxml.html.fromstring(page.read_text("utf-8")).text_content().replace(ZWSP, "")
    shown = shown.replace("\u201c", '"').replace("\u201d", '"')  # Hugo's typographer
    assert shown.count('{{< param "x" >}}') >= 6  # text, heading, link, cells and code


def test_jsonl_markdown_keeps_code_exact(tmp_path: Path) -> None:
    run = run_command("jsonl", [str(_feed(tmp_path))])
    records = [json.loads(line) for line in run.stdout.decode().splitlines()]
    markdown = "\n".join(record["content_markdown"] for record in records)
    assert f"```html\n{DIRECTIVES[0]}\n  {DIRECTIVES[0]}\n```" in markdown
    assert ZWSP not in markdown


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
def test_pandoc_standalone_on_an_article_file_shows_title_once_and_author(tmp_path: Path) -> None:
    feed = tmp_path / "plain.rss"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>F</title>'
        "<link>https://ok.example/</link><item><title>A Plain Title</title>"
        "<link>https://ok.example/a</link><author>a@ok.example (Ada Writer)</author>"
        "<pubDate>Mon, 04 May 2026 10:00:00 GMT</pubDate>"
        "<description>&lt;p&gt;Body text.&lt;/p&gt;</description></item></channel></rss>\n",
        "utf-8",
    )
    run = _markdown(tmp_path, sources=[str(feed)])
    (article,) = [path for path in run.files if path.name.startswith("01-")]
    page = lxml.html.document_fromstring(_pandoc_html(article))
    assert page.text_content().count("A Plain Title") == 2  # <title> and the title block
    assert page.findtext(".//title") == "A Plain Title"
    assert [h.text_content() for h in page.iter("h1")] == ["A Plain Title"]
    assert page.xpath("string(//p[@class='author'])") == "Ada Writer"
    assert page.xpath("//meta[@name='author']/@content") == ["Ada Writer"]
