"""Markdown bundles: a book as a folder that works as it is in mdBook, Obsidian, Hugo, Jekyll
and on GitHub; or as one Markdown document for pandoc.

A bundle holds ``README.md`` (title, cover, authors, dates, a linked table of contents),
``SUMMARY.md`` and ``book.toml`` for mdBook, one ``NN-<slug>.md`` per article (YAML front matter,
then the article), ``images/`` and the cover. Pure functions: a ``Book`` in, ``{path: bytes}``
out, the same bytes for the same book; a book's articles are converted on every core
(``feed2book.parallel``), with the same result.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import chain, islice
from json.encoder import encode_basestring
from typing import Any

from lxml import etree

from feed2book import parallel
from feed2book.convert.markdown import escape_braces, tree_to_markdown, url_text
from feed2book.filenames import MAX_NAME_BYTES, safe_stem, unique_names
from feed2book.identity import slugify
from feed2book.lang.tags import normalise_language
from feed2book.models import Article, Book, book_identifier
from feed2book.parse import enclosures
from feed2book.xhtml.content import parse_fragment, url_key

MANIFEST = ".feed2book.json"
MDBOOK_BUILD_DIR = "book"
FRONT_MATTER_SCRIPT = "_mdbook/strip-front-matter.py"
_X = "{http://www.w3.org/1999/xhtml}"

Resources = Mapping[str, tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Cover:
    """The cover image: ``data`` in ``name`` (``cover.png``, or ``cover.jpg`` for a photo).
    ``data`` may be what gives the bytes: a cover still being drawn, asked for once the pages
    are made (the bundle needs only its name before them)."""

    name: str
    data: bytes | Callable[[], bytes]

    def content(self) -> bytes:
        return self.data if isinstance(self.data, bytes) else self.data()


# --- names ---------------------------------------------------------------------------------


def article_file_names(book: Book) -> dict[str, str]:
    """``NN-<slug>.md`` for every article of ``book``, by id: NN is the reading position, the
    slug comes from the title; safe on every OS, at most 80 bytes, unique within the book."""
    articles = book.articles
    width = max(2, len(str(len(articles))))
    stems = []
    for number, article in enumerate(articles, start=1):
        prefix = f"{number:0{width}d}-"
        slug = slugify(article.title, 60) or "article"
        stems.append(safe_stem(prefix + slug, MAX_NAME_BYTES - len(".md")))
    return dict(zip((a.id for a in articles), unique_names(stems, ".md"), strict=True))


# --- front matter --------------------------------------------------------------------------

# Characters YAML does not allow raw in a double-quoted scalar (or would fold as line breaks).
_YAML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def yaml_string(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that every YAML 1.1/1.2 parser reads back as-is."""
    # json.dumps(text, ensure_ascii=False) without its per-call work (a book calls this ~15
    # times per article).
    quoted = encode_basestring(text).replace("{", "\\u007b")  # no {{#include}}
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def pandoc_text(text: str) -> str:
    """``text`` as pandoc Markdown that reads back as exactly that text: pandoc parses string
    metadata (``title``, ``author``) as Markdown, so every ASCII punctuation mark is escaped."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def front_matter_fields(article: Article) -> dict[str, Any]:
    """The front matter as data, in order: the values of the JSON Lines record, except that
    its ``url`` is ``link`` here (Hugo reads ``url`` as the page's own address and rejects a
    site where it has a scheme), ``feed.url`` is null unless it is a web address (never a local
    path), and ``author`` is added for pandoc (the names as escaped Markdown)."""
    series = article.series
    feed_url = article.feed.url if article.feed.url.startswith(("https://", "http://")) else None
    return {
        "title": article.title,
        "authors": [{"name": a.name, "handle": a.handle} for a in article.authors],
        "author": [pandoc_text(a.name) for a in article.authors] or None,
        "date": _iso(article.published),
        "updated": _iso(article.updated),
        "link": article.url or None,
        "tags": list(article.tags),
        "series": series.name if series else None,
        "series_index": _number(series.index) if series else None,
        "feed": {"title": article.feed.title, "url": feed_url, "site": article.feed.site},
        "language": article.language,
        "reading_minutes": article.reading_minutes,
        "word_count": article.word_count,
        "id": article.id,
        "enclosures": enclosures.records(article.enclosures) or None,
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def front_matter(article: Article) -> str:
    """A YAML front matter block (``---`` … ``---``); strings always double-quoted."""
    lines = ["---"]
    for key, value in front_matter_fields(article).items():
        if value is None:
            continue
        if key == "authors":
            lines.append("authors:" if value else "authors: []")
            for author in value:
                lines.append(f"  - name: {yaml_string(author['name'])}")
                lines.append(f"    handle: {yaml_string(author['handle'])}")
        elif key == "feed":
            lines.append("feed:")
            lines += [
                f"  {name}: {'null' if text is None else yaml_string(text)}"
                for name, text in value.items()
            ]
        elif key == "enclosures":
            lines.append("enclosures:")
            for enclosure in value:
                first = "  - "
                for name, item in enclosure.items():
                    if item is not None:
                        text = yaml_string(item) if isinstance(item, str) else str(item)
                        lines.append(f"{first}{name}: {text}")
                        first = "    "
        elif key in ("tags", "author"):
            lines.append(f"{key}: [" + ", ".join(yaml_string(item) for item in value) + "]")
        elif isinstance(value, str):
            lines.append(f"{key}: {yaml_string(value)}")
        else:
            lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n"


# --- Markdown text helpers -----------------------------------------------------------------

_LINK_TEXT_SPECIALS = re.compile(r"([\\`*_\[\]<>!#|~$])")


def link_text(text: str) -> str:
    """``text`` safe inside ``[…]`` of a Markdown link (one line, specials escaped; no pandoc
    attribute, mdBook, Hugo or Liquid directive can start in it)."""
    one_line = " ".join(text.split()) or "Untitled"
    return escape_braces(_LINK_TEXT_SPECIALS.sub(r"\\\1", one_line))


def heading_text(text: str) -> str:
    return link_text(text)


_NEEDS_BRACKETS = re.compile(r"[\s()<>]")


def _link_target(name: str) -> str:
    return f"<{name}>" if _NEEDS_BRACKETS.search(name) else name


def _dates(book: Book) -> str:
    articles = book.articles
    first = min(a.published for a in articles)
    last = max(a.published for a in articles)
    if first.date() == last.date():
        return f"{first:%Y-%m-%d}"
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def _names(book: Book) -> str:
    return ", ".join(author.name for author in book.authors)


def _byline(article: Article) -> str:
    parts = [", ".join(a.name for a in article.authors)] if article.authors else []
    parts.append(f"{article.published:%Y-%m-%d}")
    parts.append(f"{article.reading_minutes} min read")
    line = " · ".join(link_text(part) for part in parts if part)
    if article.url:
        line += f" · [Original]({_link_target(url_text(article.url))})"
    return f"*{line}*" if line else ""


def _media_links(article: Article) -> str:
    """The Listen/Watch/Attachment links, as the EPUB's article header shows them."""
    return " · ".join(
        f"[{link_text(enclosures.label(enclosure))}]({_link_target(url_text(enclosure.url))})"
        for enclosure in enclosures.linked(article.enclosures)
    )


# --- article bodies ------------------------------------------------------------------------


def article_markdown(
    article: Article,
    links: Mapping[str, str],
    *,
    inline_images: Resources | None = None,
    heading_level: int = 1,
    anchor: str = "",
    break_directives: bool = False,
    heading: bool = True,
) -> str:
    """The article as Markdown: its heading (unless not ``heading``), a byline, then the body,
    with links to other articles of the book (keys from :func:`url_key`) pointed at ``links``'
    targets.
    ``break_directives``: no ``{{``/``{%`` in code either (bundles read by mdBook, Hugo, Jekyll)."""
    body = _body_tree(article.content_html, links, inline_images, url_key(article.url))
    markdown = "" if body is None else tree_to_markdown(body, break_directives=break_directives)
    markdown = markdown.strip()
    if heading_level > 1:
        markdown = _demote_headings(markdown, heading_level - 1)
    title = "#" * heading_level + " " + heading_text(article.title) if heading else ""
    if title and anchor:
        title += f" {{#{anchor}}}"  # pandoc's heading attributes
    parts = [title, _byline(article), _media_links(article), markdown]
    return "\n\n".join(part for part in parts if part) + "\n"


def _body_tree(
    xhtml: str, links: Mapping[str, str], inline_images: Resources | None, own_key: str = ""
) -> etree._Element | None:
    """The article's parsed XHTML with its links and images pointed where the output has them
    (converted to Markdown from this tree: never serialised and parsed again)."""
    if not xhtml.strip():
        return None
    root = parse_fragment(xhtml)
    for anchor in root.iter(_X + "a"):
        href = anchor.get("href")
        if href:
            key = url_key(href)
            target = links.get(key)
            if target is not None and not (own_key and key == own_key):  # no link to itself
                anchor.set("href", target)
    if inline_images is not None:
        for image in root.iter(_X + "img"):
            found = inline_images.get(image.get("src") or "")
            if found is not None:
                media_type, data = found
                encoded = base64.b64encode(data).decode("ascii")
                image.set("src", f"data:{media_type};base64,{encoded}")
    return root


_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})")
_ATX = re.compile(r"^(#{1,6})(?=\s|$)")


def _demote_headings(markdown: str, by: int) -> str:
    """Push every ATX heading outside code fences ``by`` levels down (at most h6)."""
    out = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if match:
            marker = match.group("fence")
            if fence is None:
                fence = marker[0] * len(marker)
            elif marker.startswith(fence):
                fence = None
        elif fence is None:
            line = _ATX.sub(lambda m: "#" * min(6, len(m.group(1)) + by), line)
        out.append(line)
    return "\n".join(out)


# --- the bundle ----------------------------------------------------------------------------


def build_bundle(
    book: Book, *, cover: Cover | None = None, resources: Resources | None = None
) -> dict[str, bytes]:
    """Every file of the bundle, by relative path (``/`` separated), in a stable order."""
    return dict(bundle_files(book, cover=cover, resources=resources))


def bundle_files(
    book: Book, *, cover: Cover | None = None, resources: Resources | None = None
) -> Iterator[tuple[str, bytes]]:
    """``build_bundle``'s files as ``(path, bytes)``, each given as soon as it is made, so
    they can be written while the next are made. The articles' pages are made in the process
    pool (``feed2book.parallel``), in reading order."""
    if not book.articles:
        raise ValueError("a book needs at least one article")
    resources = resources or {}
    articles = book.articles
    names = article_file_names(book)
    links = {url_key(a.url): names[a.id] for a in articles if url_key(a.url)}
    made = {
        "README.md": readme(book, names, cover).encode(),
        "SUMMARY.md": summary(book, names).encode(),
        "book.toml": book_toml(book).encode(),
        FRONT_MATTER_SCRIPT: STRIP_FRONT_MATTER.encode(),
    }
    after = [] if cover is None else [cover.name]
    after += sorted(resources)
    paths = dict.fromkeys([*made, *(names[a.id] for a in articles), *after, MANIFEST])
    listed = manifest(book, list(paths)).encode()
    pages = parallel.map_in_order(partial(bundle_page, links), articles)
    return chain(
        made.items(),
        ((names[article.id], page) for article, page in zip(articles, pages, strict=True)),
        _after_the_pages(cover, resources, listed),
    )


def _after_the_pages(
    cover: Cover | None, resources: Resources, listed: bytes
) -> Iterator[tuple[str, bytes]]:
    """The cover (its bytes asked for only now), the resources and the manifest."""
    if cover is not None:
        yield cover.name, cover.content()
    for name in sorted(resources):
        if cover is None or name != cover.name:
            yield name, resources[name][1]
    yield MANIFEST, listed


def bundle_page(links: Mapping[str, str], article: Article) -> bytes:
    """An article's file in the bundle: front matter, then the article (a module-level
    function: the process pool's helpers make the pages)."""
    # No title heading: Hugo, Jekyll and pandoc -s show the front matter's title, and
    # mdBook's preprocessor (STRIP_FRONT_MATTER) turns it into the page's heading.
    body = article_markdown(article, links, break_directives=True, heading=False)
    return (front_matter(article) + "\n" + body).encode()


def manifest(book: Book, paths: list[str]) -> str:
    """What feed2book wrote, so a rebuild knows which files are its own."""
    document = {
        "generator": "feed2book",
        "book": book.key,
        "identifier": book_identifier(book.key),
        "files": sorted(paths),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def readme(book: Book, names: Mapping[str, str], cover: Cover | None) -> str:
    lines = [f"# {heading_text(book.title)}", ""]
    if cover is not None:
        lines += [f"![Cover]({cover.name})", ""]
    facts = []
    if book.authors:
        facts.append(f"**By** {link_text(_names(book))}")
    facts.append(f"**Articles** {len(book.articles)} · {link_text(_dates(book))}")
    if book.subtitle:
        facts.append(link_text(book.subtitle))
    lines += ["  \n".join(facts), "", "## Contents", ""]
    for title, articles in _visible_sections(book):
        if title is not None:
            lines += [f"### {heading_text(title)}", ""]
        lines += [_toc_line(article, names[article.id]) for article in articles]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _toc_line(article: Article, name: str) -> str:
    return f"- [{link_text(article.title)}]({_link_target(name)}) · {article.published:%Y-%m-%d}"


def _visible_sections(book: Book) -> list[tuple[str | None, tuple[Article, ...]]]:
    """``(title, articles)`` per section, or ``(None, articles)`` for a book without sections."""
    if len(book.sections) == 1 and not book.sections[0].title:
        return [(None, book.sections[0].articles)]
    return [(s.title or "Articles", s.articles) for s in book.sections]


def _toc_line_plain(article: Article, name: str) -> str:
    return f"- [{link_text(article.title)}]({_link_target(name)})"


def summary(book: Book, names: Mapping[str, str]) -> str:
    """mdBook's ``SUMMARY.md``: the README as the introduction, then parts and chapters."""
    lines = ["# Summary", "", "[Introduction](README.md)", ""]
    for title, articles in _visible_sections(book):
        if title is not None:
            lines += [f"# {heading_text(title)}", ""]
        lines += [_toc_line_plain(article, names[article.id]) for article in articles]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _toml_string(text: str) -> str:
    # A JSON string with \\uXXXX escapes is TOML; no "{{" in any file of the bundle.
    return json.dumps(text, ensure_ascii=True).replace("{", "\\u007b")


def book_toml(book: Book) -> str:
    authors = ", ".join(_toml_string(author.name) for author in book.authors)
    language = normalise_language(book.language)
    return "\n".join(
        [
            "# mdBook configuration written by feed2book: `mdbook build` makes a web book.",
            "[book]",
            f"title = {_toml_string(book.title)}",
            f"authors = [{authors}]",
            f"language = {_toml_string(language)}",
            'src = "."',
            "",
            "[build]",
            f'build-dir = "{MDBOOK_BUILD_DIR}"',
            "create-missing = false",
            "",
            "# Hides each article's YAML front matter (kept for Hugo, Jekyll and Obsidian).",
            "[preprocessor.feed2book-front-matter]",
            f'command = "python3 {FRONT_MATTER_SCRIPT}"',
            "optional = true",
            "",
        ]
    )


STRIP_FRONT_MATTER = '''"""mdBook preprocessor by feed2book: replaces chapters' YAML front matter
by a heading with their title.

mdBook runs it as `python3 _mdbook/strip-front-matter.py` (see book.toml).
"""

import json
import re
import sys

FRONT_MATTER = re.compile(r"\\A---\\r?\\n(.*?)\\r?\\n---\\r?\\n", re.S)
TITLE = re.compile(r'^title: (".*")\\r?$', re.M)
PUNCTUATION = re.compile(r"([!-/:-@\\[-`{-~])")


def page(content):
    match = FRONT_MATTER.match(content)
    if not match:
        return content
    title = TITLE.search(match.group(1))
    heading = ""
    if title:
        text = " ".join(json.loads(title.group(1)).split())
        heading = "# " + PUNCTUATION.sub(r"\\\\\\1", text) + "\\n\\n"
    return heading + content[match.end() :].lstrip("\\r\\n")


def strip(items):
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if chapter:
            chapter["content"] = page(chapter.get("content", ""))
            strip(chapter.get("sub_items", []))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        sys.exit(0)
    context, book = json.load(sys.stdin)
    strip(book.get("items", book.get("sections", [])))
    json.dump(book, sys.stdout)
'''


# --- one document --------------------------------------------------------------------------


def build_single_file(book: Book, *, resources: Resources | None = None) -> bytes:
    """The whole book as one Markdown document: a pandoc metadata block, a linked table of
    contents, then every article; images are inlined as ``data:`` URIs."""
    if not book.articles:
        raise ValueError("a book needs at least one article")
    anchors = {a.id: "a-" + (slugify(a.id, 60) or "article") for a in book.articles}
    anchors = dict(zip(anchors, unique_names(list(anchors.values()), ""), strict=True))
    links = {url_key(a.url): "#" + anchors[a.id] for a in book.articles if url_key(a.url)}
    # pandoc reads string metadata as Markdown: written as escaped Markdown, shown as written.
    meta = ["---", f"title: {yaml_string(pandoc_text(book.title))}"]
    if book.authors:
        names = ", ".join(yaml_string(pandoc_text(a.name)) for a in book.authors)
        meta.append(f"author: [{names}]")
    meta += [
        f"date: {yaml_string(pandoc_text(_dates(book)))}",
        f"lang: {yaml_string(normalise_language(book.language))}",
        f"identifier: {yaml_string(book_identifier(book.key))}",
        "---",
        "",
        f"# {heading_text(book.title)}",
        "",
        "## Contents",
        "",
    ]
    nested = _visible_sections(book)
    for title, articles in nested:
        if title is not None:
            meta += [f"- {link_text(title)}"]
        indent = "  " if title is not None else ""
        meta += [f"{indent}- [{link_text(a.title)}](#{anchors[a.id]})" for a in articles]
    parts = ["\n".join(meta) + "\n"]
    level = 3 if any(title is not None for title, _ in nested) else 2
    resources = resources or {}
    texts = parallel.map_in_order(
        partial(_document_part, links, level),
        [(a, anchors[a.id], _images_of(a, resources)) for _, articles in nested for a in articles],
    )
    for title, articles in nested:
        if title is not None:
            parts.append(f"## {heading_text(title)}\n")
        parts += islice(texts, len(articles))
    return "\n".join(parts).encode()


def _document_part(
    links: Mapping[str, str], level: int, part: tuple[Article, str, Resources]
) -> str:
    """An article under its heading in the one document (made in the process pool)."""
    article, anchor, images = part
    return article_markdown(
        article, links, inline_images=images, heading_level=level, anchor=anchor
    )


_IMG = re.compile("img", re.I)  # in every spelling of an <img> element's name


def _images_of(article: Article, resources: Resources) -> Resources:
    """The ``resources`` the article's images show: what a helper needs of them (not every
    image of the book with every article)."""
    xhtml = article.content_html
    if not resources or not _IMG.search(xhtml):
        return {}
    sources = (image.get("src") or "" for image in parse_fragment(xhtml).iter(_X + "img"))
    return {src: resources[src] for src in sources if src in resources}
