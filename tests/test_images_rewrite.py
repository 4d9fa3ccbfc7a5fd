"""image_urls and localise: which images an article has, and what each mode makes of them.

Golden-style: the exact XHTML per mode for one fragment that has every case (resolved,
failed, inside a link, data: URI, tracking pixel, relative address). Hypothesis: whatever
clean_html produces, EMBED output is well-formed and never loads anything remote.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feed2book.clean.html import clean_html
from feed2book.images import (
    EmbeddedImage,
    ImageMode,
    ImageOptions,
    embed_book_images,
    image_urls,
    localise,
)
from feed2book.models import Book, Problem, Section
from feed2book.xhtml.content import XHTML_NS
from tests.factory import make_article

A = "https://img.example/a.png"
B = "https://img.example/b.jpg"
PIXEL = "https://img.example/open.png"
MISSING = "https://img.example/missing.png"
DATA = "data:image/png;base64,iVBORw0KGgo="

FRAGMENT = (
    f'<p>Look: <img src="{A}" alt="A &amp; cat" width="600"/> and '
    f'<a href="https://site.example/"><img src="{MISSING}" alt=""/></a>.</p>\n'
    f'<figure><img src="{DATA}" alt="Inline"/><figcaption>Cap</figcaption></figure>\n'
    f'<p>Text<img src="{PIXEL}" alt=""/> tail <img src="{MISSING}" alt="Chart"/>'
    f'<img src="relative.png" alt=""/></p>\n'
    f'<p><img src="{B}" alt="B"/><img src="{B}" alt="B again"/></p>'
)
IMAGE_A = EmbeddedImage("images/aaaaaaaaaaaaaaaa.png", "image/png", b"a", 300, 200)
IMAGE_B = EmbeddedImage("images/bbbbbbbbbbbbbbbb.jpg", "image/jpeg", b"b", 1600, 1067)
RESOLVED: dict[str, EmbeddedImage | None] = {
    A: IMAGE_A,
    MISSING: None,
    DATA: None,
    PIXEL: None,
    B: IMAGE_B,
}


def test_image_urls_in_order_once() -> None:
    assert image_urls(FRAGMENT) == [A, MISSING, DATA, PIXEL, B]
    assert image_urls("<p>No images</p>") == []


def test_localise_embed() -> None:
    assert localise(FRAGMENT, RESOLVED, ImageMode.EMBED, dropped={PIXEL}) == (
        '<p>Look: <img src="images/aaaaaaaaaaaaaaaa.png" alt="A &amp; cat" width="300" height="200"/> and '
        '<a href="https://site.example/">[Image unavailable (img.example)]</a>.</p>\n'
        "<figure>[Image unavailable: Inline]<figcaption>Cap</figcaption></figure>\n"
        f'<p>Text tail <a href="{MISSING}">[Image unavailable: Chart (img.example)]</a>'
        "[Image unavailable]</p>\n"
        '<p><img src="images/bbbbbbbbbbbbbbbb.jpg" alt="B" width="1600" height="1067"/>'
        '<img src="images/bbbbbbbbbbbbbbbb.jpg" alt="B again" width="1600" height="1067"/></p>'
    )


def test_localise_embed_with_prefix_is_idempotent() -> None:
    once = localise(FRAGMENT, RESOLVED, ImageMode.EMBED, prefix="../", dropped={PIXEL})
    assert 'src="../images/aaaaaaaaaaaaaaaa.png"' in once
    assert localise(once, RESOLVED, ImageMode.EMBED, prefix="../", dropped={PIXEL}) == once


def test_localise_link_changes_nothing() -> None:
    assert localise(FRAGMENT, RESOLVED, ImageMode.LINK) == FRAGMENT


def test_localise_none() -> None:
    assert localise(FRAGMENT, {}, ImageMode.NONE) == (
        '<p>Look: [Image: A &amp; cat] and <a href="https://site.example/">[Image]</a>.</p>\n'
        "<figure>[Image: Inline]<figcaption>Cap</figcaption></figure>\n"
        f'<p>Text<a href="{PIXEL}">Image</a> tail [Image: Chart][Image]</p>\n'
        "<p>[Image: B][Image: B again]</p>"
    )


def test_fragments_without_images_come_back_untouched() -> None:
    text = "<p>Plain <em>text</em> &amp; more</p>"
    for mode in ImageMode:
        assert localise(text, RESOLVED, mode) == text


def test_images_found_however_the_tag_is_spelt() -> None:
    """The no-image shortcut (no parse without an ``<img`` tag) must not miss a real one."""
    for tag in (f'<img src="{A}"/>', f'<IMG SRC="{A}">', f'<img\nsrc="{A}">'):
        assert image_urls(f"<p>{tag}</p>") == [A], tag
    prefixed = f'<h:p xmlns:h="{XHTML_NS}"><h:img src="{A}"/></h:p>'
    assert image_urls(prefixed) == [A]
    assert image_urls("<p>imgur &lt;img&gt; in text, <code>&lt;img src=x&gt;</code></p>") == []


_SOURCES = st.sampled_from(
    [A, B, MISSING, PIXEL, DATA, "//cdn.example/x.png", "relative.png", "javascript:alert(1)",
     "https://img.example/a.png?x=1&y=2", "http://other.example/Ω.png", ""]
)  # fmt: skip
_ALTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@st.composite
def _html(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        src, alt = draw(_SOURCES), draw(_ALTS)
        image = f'<img src="{src}" alt="{alt.replace(chr(34), "")}" srcset="{src} 2x">'
        shape = draw(st.sampled_from(["p", "a", "figure", "li", "bare"]))
        parts.append(
            {
                "p": f"<p>x {image} y</p>",
                "a": f'<p><a href="https://l.example/">{image}</a></p>',
                "figure": f"<figure>{image}<figcaption>c</figcaption></figure>",
                "li": f"<ul><li>{image}</li></ul>",
                "bare": image,
            }[shape]
        )
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(_html(), st.sampled_from(["", "../"]), st.data())
def test_embed_output_well_formed_and_never_remote(
    html: str, prefix: str, data: st.DataObject
) -> None:
    xhtml = clean_html(html, "https://blog.example/post")
    urls = image_urls(xhtml)
    outcomes = st.sampled_from([IMAGE_A, IMAGE_B, None, "dropped"])
    resolved = {url: data.draw(outcomes) for url in urls}
    dropped = {url for url, outcome in resolved.items() if outcome == "dropped"}
    images = {url: (o if isinstance(o, EmbeddedImage) else None) for url, o in resolved.items()}
    local = {prefix + IMAGE_A.name, prefix + IMAGE_B.name}
    for mode in ImageMode:
        out = localise(xhtml, images, mode, prefix=prefix, dropped=dropped)
        root = etree.fromstring(f'<div xmlns="{XHTML_NS}">{out}</div>')  # well-formed
        sources = [img.get("src") for img in root.iter(f"{{{XHTML_NS}}}img")]
        if mode is ImageMode.EMBED:
            assert set(sources) <= local, sources
            assert all(img.get("alt") is not None for img in root.iter(f"{{{XHTML_NS}}}img"))
            assert "srcset" not in out
        elif mode is ImageMode.NONE:
            assert sources == []
        else:
            assert out == xhtml


# --- every dropped image warns ------------------------------------------------------------


def test_clean_reports_images_it_drops() -> None:
    reported: list[str] = []
    html = (
        '<p><img src="javascript:alert(1)" alt="Sales chart"> <img alt="No address"></p>'
        '<p><img src="https://x.example/p.gif" width="1" height="1" alt="Counter"></p>'
        '<p><img src="https://x.example/q.gif" width="1" height="1" alt=""></p>'
    )
    clean_html(html, "https://x.example/", on_problem=reported.append)
    assert reported == [
        "an image dropped: no usable address",
        "an image dropped: no usable address",
        "a tracking pixel dropped with its alt text",
    ]  # the last pixel had no alt text: nothing of it is lost


def test_embedding_warns_for_images_that_cannot_be_fetched(tmp_path: Path) -> None:
    content = (
        '<p><img src="ftp://x.example/plan.png" alt="Floor plan"/> <img src="" alt="Blank"/></p>'
    )
    article = make_article(content=content)
    book = Book("author:test", "Posts", article.authors, "en", (Section("", (article,)),))
    options = ImageOptions(cache_dir=tmp_path / "cache")
    problems: list[Problem] = []
    embedded, _ = embed_book_images(book, None, options, on_problem=problems.append)
    assert [p.source for p in problems] == [article.url, article.url]
    assert "'ftp://x.example/plan.png' is not http(s) or data:image" in problems[0].message
    assert "shown as [Image unavailable: Floor plan]" in problems[0].message
    assert "no address" in problems[1].message
    assert "[Image unavailable: Floor plan]" in embedded.articles[0].content_html


def test_a_tracking_pixel_with_alt_text_warns(tmp_path: Path) -> None:
    pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
    content = f'<p><img src="{pixel}" alt="Visitor counter"/><img src="{pixel}" alt=""/></p>'
    article = make_article(content=content)
    book = Book("author:test", "Posts", article.authors, "en", (Section("", (article,)),))
    problems: list[Problem] = []
    options = ImageOptions(cache_dir=tmp_path / "cache")
    embed_book_images(book, None, options, on_problem=problems.append)
    assert [p.message for p in problems] == [
        "tracking pixel dropped with its alt text 'Visitor counter'"
    ]
