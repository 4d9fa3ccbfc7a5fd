"""Article XHTML and images brought together: which images an article has, and where they are.

``localise`` is the only function that changes ``<img>`` elements, in one of three ways:

- ``embed``: a resolved image's ``src`` becomes its file in the book (``prefix`` + name) with
  its real ``width``/``height``; a tracking pixel vanishes; a failed image becomes a visible
  link to its address reading "[Image unavailable: <alt> (<host>)]" (the reader can still
  look it up), or that text alone when there is no address to give (a ``data:`` URI, or
  inside a link).
  No ``<img>`` keeps a remote ``src``.
- ``link``: nothing changes; remote addresses stay (the EPUB writer turns them into links).
- ``none``: every image becomes "[Image: <alt>]"; one without alt text becomes a link to its
  address reading "Image" (or "[Image]" when there is no address to give, or inside a link).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from feed2book.images.options import IMAGES_FOLDER, EmbeddedImage, ImageMode, ImageOptions
from feed2book.models import Article, Book, Problem
from feed2book.xhtml.content import XHTML_NS, parse_fragment, serialise_fragment
from feed2book.xhtml.sink import remove_keep_tail

if TYPE_CHECKING:  # the resolver brings HTTP (httpx); books without embedded images need neither
    from feed2book.images.resolver import ImageResolver

_X = "{" + XHTML_NS + "}"
_IMAGE_LABEL = "Image"

Resources = dict[str, tuple[str, bytes]]
# An <img> start tag, prefixed or not: articles without one are not parsed at all (the
# common case; parsing every article again for nothing cost a quarter of a rebuild).
_IMG_TAG = re.compile(r"<(?:[\w.-]+:)?img[\s/>]", re.I)


def image_urls(xhtml: str) -> list[str]:
    """The ``src`` of every image that can be fetched (http(s) or ``data:image``), in document
    order, each once."""
    return list(dict.fromkeys(src for src, _ in _image_sources(xhtml) if _fetchable(src)))


def _image_sources(xhtml: str) -> list[tuple[str, str]]:
    """``(src, alt)`` of every ``<img>``, in document order."""
    if not _has_images(xhtml):
        return []
    return [
        ((image.get("src") or "").strip(), " ".join((image.get("alt") or "").split()))
        for image in parse_fragment(xhtml).iter(_X + "img")
    ]


def _fetchable(src: str) -> bool:
    return _is_http(src) or src[:11].lower() == "data:image/"


def _has_images(xhtml: str) -> bool:
    return _IMG_TAG.search(xhtml) is not None


def localise(
    xhtml: str,
    images: Mapping[str, EmbeddedImage | None],
    mode: ImageMode,
    *,
    prefix: str = "",
    dropped: Collection[str] = (),
) -> str:
    """``xhtml`` with every ``<img>`` handled per ``mode`` (see the module docstring).

    ``images`` maps an image's ``src`` to what ``ImageResolver.resolve`` made of it;
    ``dropped`` are the URLs that turned out to be tracking pixels (``ImageResolver.dropped``).
    """
    if mode is ImageMode.LINK or not _has_images(xhtml):
        return xhtml
    root = parse_fragment(xhtml)
    images_here = list(root.iter(_X + "img"))
    if not images_here:
        return xhtml
    local_names = {prefix + image.name for image in images.values() if image is not None}
    for element in images_here:
        src = (element.get("src") or "").strip()
        alt = " ".join((element.get("alt") or "").split())
        image = images.get(src)
        if mode is ImageMode.NONE:
            if not alt and _is_http(src) and not _inside_link(element):
                _replace_with_link(element, src, _IMAGE_LABEL)  # no words: at least its address
            else:
                _replace_with_text(element, f"[{_label(alt)}]")
        elif image is not None:
            _point_at(element, prefix + image.name, image.width, image.height)
        elif src in local_names:
            _point_at(element, src, None, None)  # localised already: idempotent
        elif src in dropped:
            remove_keep_tail(element)
        elif _is_http(src) and not _inside_link(element):
            _replace_with_link(element, src, unavailable_label(alt, src))
        else:
            _replace_with_text(element, unavailable_label(alt, src))
    return serialise_fragment(root)


def embed_book_images(
    book: Book,
    resolver: ImageResolver | None,
    options: ImageOptions,
    *,
    prefix: str = "",
    on_progress: Callable[[str], None] | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> tuple[Book, Resources]:
    """``book`` with every article localised, and the image files its articles now reference,
    in the form ``build_epub(resources=...)`` takes, sorted by name.

    Only ``embed`` needs a resolver; without one, a temporary one is made from ``options``.
    """
    if options.mode is not ImageMode.EMBED:
        return map_articles(book, unembedded(options.mode)), {}
    from feed2book.images.resolver import ImageResolver

    own = resolver is None
    active = ImageResolver(options) if resolver is None else resolver
    report = on_problem or (lambda problem: None)
    urls: list[str] = []
    alts: dict[str, str] = {}  # a URL -> alt text it was shown with, for messages
    internal_ok: set[str] = set()  # images of articles whose source is local or internal
    for article in book.articles:
        found = []
        for src, alt in _image_sources(article.content_html):
            if _fetchable(src):
                found.append(src)
                alts[src] = alts.get(src) or alt
            elif not src.startswith(prefix + IMAGES_FOLDER + "/"):  # not localised already
                shown = unavailable_label(alt, src)
                why = f"its address {src!r} is not http(s) or data:image" if src else "no address"
                report(Problem(article.url, f"image not included ({why}); shown as {shown}"))
        urls += found
        if found and active.source_is_internal(article.feed.url):
            internal_ok.update(found)
    try:
        images = active.resolve(
            urls, on_progress=on_progress, on_problem=on_problem, internal_ok=internal_ok
        )
        dropped = active.dropped
    finally:
        if own:
            active.close()
    for url in sorted(dropped & alts.keys()):
        if alts[url]:  # a tracking pixel takes its alt text with it: say so
            report(Problem(url, f"tracking pixel dropped with its alt text {alts[url]!r}"))
    localised = map_articles(
        book,
        lambda xhtml: localise(xhtml, images, ImageMode.EMBED, prefix=prefix, dropped=dropped),
    )
    used = {image.name: image for image in images.values() if image is not None}
    return localised, {name: (used[name].media_type, used[name].data) for name in sorted(used)}


def unembedded(mode: ImageMode) -> Callable[[str], str]:
    """What ``embed_book_images`` does to an article's content in a mode other than embed: no
    image is fetched, so it can be done to each article on its own, when its page is made (in a
    helper process too: it pickles)."""
    return functools.partial(localise, images={}, mode=mode)


def map_articles(book: Book, change: Callable[[str], str]) -> Book:
    """``book`` with ``change`` applied to every article's ``content_html``. An article whose
    content stays the same is kept as it is, not copied (the caller still holds the original
    book: copies of 380,000 unchanged articles doubled their memory)."""

    def changed(article: Article) -> Article:
        content = change(article.content_html)
        if content == article.content_html:
            return article
        return dataclasses.replace(article, content_html=content)

    return book.with_each_article(changed)


def _point_at(element: etree._Element, src: str, width: int | None, height: int | None) -> None:
    element.set("src", src)
    if width and height:
        element.set("width", str(width))
        element.set("height", str(height))
    if "srcset" in element.attrib:
        del element.attrib["srcset"]
    if element.get("alt") is None:
        element.set("alt", "")


def _label(alt: str) -> str:
    return f"{_IMAGE_LABEL}: {alt}" if alt else _IMAGE_LABEL


def unavailable_label(alt: str, src: str) -> str:
    """What stands for an image that could not be included: "[Image unavailable: A chart
    (example.com)]", the host saying where it was; "[Image unavailable]" with neither."""
    host = urlsplit(src).hostname if _is_http(src) else None
    where = f" ({host})" if host else ""
    return f"[Image unavailable: {alt}{where}]" if alt else f"[Image unavailable{where}]"


def _is_http(url: str) -> bool:
    return url[:7].lower() == "http://" or url[:8].lower() == "https://"


def _inside_link(element: etree._Element) -> bool:
    return any(ancestor.tag == _X + "a" for ancestor in element.iterancestors())


def _replace_with_link(element: etree._Element, url: str, label: str) -> None:
    link = etree.Element(_X + "a", href=url)
    link.text = label
    link.tail = element.tail
    parent = element.getparent()
    if parent is not None:
        parent.replace(element, link)


def _replace_with_text(element: etree._Element, text: str) -> None:
    element.tail = text + (element.tail or "")
    remove_keep_tail(element)
