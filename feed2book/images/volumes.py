"""``--max-book-mb``: make a book fit a size limit, by smaller images first, then volumes.

``fit_book`` builds the book with the caller's ``build`` (``build_epub``, say). Over the limit,
images are re-encoded smaller, step by step (``SHRINK_STEPS``); still over, the articles are
split, in order, into volumes that each fit: "Title, Vol. 2", key ``<key>#vol2``, each carrying
only the images its articles show. Volumes are packed from size estimates, then every volume is
built and checked; one that is still too large is halved, and an article too large on its own
gets a volume of its own and a warning. Every step is deterministic.
"""

from __future__ import annotations

import dataclasses
import io
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from feed2book.images.options import format_size
from feed2book.images.rewrite import Resources, map_articles
from feed2book.models import Article, Book, Problem, Section, Severity
from feed2book.xhtml.content import XHTML_NS, parse_fragment, serialise_fragment

Build = Callable[[Book, Mapping[str, tuple[str, bytes]]], bytes]

# (JPEG quality, longest edge in px), tried in turn; grayscale is left as it is.
SHRINK_STEPS: Final = ((65, 1200), (50, 800))
_ARTICLE_OVERHEAD: Final = 1500  # bytes an article adds besides its text: page, OPF, nav, NCX
_PACKING_MARGIN: Final = 0.97  # pack to 97% of the limit: estimates are not exact
_X = "{" + XHTML_NS + "}"

_Indexed = list[tuple[int, Article]]  # (section index, article), in book order


def fit_book(
    book: Book,
    resources: Mapping[str, tuple[str, bytes]],
    limit_bytes: int,
    build: Build,
    *,
    on_problem: Callable[[Problem], None] | None = None,
) -> list[tuple[Book, bytes]]:
    """``[(book, its bytes)]``: the book itself when it fits (after shrinking images if need
    be), else its volumes in order."""
    current_book, current = book, dict(resources)
    built = build(current_book, current)
    for quality, max_px in SHRINK_STEPS:
        if len(built) <= limit_bytes:
            return [(current_book, built)]
        current_book, current = shrink_images(current_book, current, quality, max_px)
        built = build(current_book, current)
    if len(built) <= limit_bytes:
        return [(current_book, built)]
    return _volumes(current_book, current, limit_bytes, build, on_problem)


def shrink_images(
    book: Book, resources: Mapping[str, tuple[str, bytes]], quality: int, max_px: int
) -> tuple[Book, Resources]:
    """Raster images re-encoded at ``quality`` and at most ``max_px``, where that makes them
    smaller; names stay, and ``width``/``height`` in the articles follow the new sizes."""
    shrunk: Resources = {}
    sizes: dict[str, tuple[int, int]] = {}
    for name in sorted(resources):
        media_type, data = resources[name]
        smaller = _reencode(data, media_type, quality, max_px)
        if smaller is not None and len(smaller[0]) < len(data):
            shrunk[name] = (media_type, smaller[0])
            sizes[name] = smaller[1]
        else:
            shrunk[name] = (media_type, data)
    if not sizes:
        return book, shrunk
    return map_articles(book, lambda xhtml: _resize_references(xhtml, sizes)), shrunk


def _reencode(
    data: bytes, media_type: str, quality: int, max_px: int
) -> tuple[bytes, tuple[int, int]] | None:
    formats = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF"}
    if media_type not in formats:
        return None  # SVG: already as small as it gets
    from PIL import Image  # only a book over its size limit shrinks its images

    try:  # normally our own converted output, of bounded size; anything else is left alone
        with Image.open(io.BytesIO(data), formats=[formats[media_type]]) as opened:
            image = opened.copy()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    if media_type != "image/jpeg" and max(image.size) <= max_px:
        return None  # lossless formats only get smaller by getting smaller
    if max(image.size) > max_px:
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if media_type == "image/jpeg":
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    else:
        image.save(buffer, formats[media_type])
    return buffer.getvalue(), image.size


def _resize_references(xhtml: str, sizes: Mapping[str, tuple[int, int]]) -> str:
    if not any(name in xhtml for name in sizes):
        return xhtml
    root = parse_fragment(xhtml)
    for element in root.iter(_X + "img"):
        name = _resource_name(element.get("src") or "", sizes)
        if name is not None:
            width, height = sizes[name]
            element.set("width", str(width))
            element.set("height", str(height))
    return serialise_fragment(root)


def _resource_name(src: str, names: Mapping[str, object]) -> str | None:
    """The resource an ``src`` points at (it may carry a prefix such as ``../``)."""
    parts = src.split("/")
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in names:
            return candidate
    return None


def _volumes(
    book: Book,
    resources: Mapping[str, tuple[str, bytes]],
    limit: int,
    build: Build,
    on_problem: Callable[[Problem], None] | None,
) -> list[tuple[Book, bytes]]:
    indexed = [
        (number, article) for number, s in enumerate(book.sections) for article in s.articles
    ]
    uses = [_images_of(article, resources) for _, article in indexed]
    groups = _pack(book, resources, uses, limit, build)
    cache: dict[tuple[tuple[int, ...], int], tuple[Book, bytes]] = {}

    def volume(group: list[int], number: int) -> tuple[Book, bytes]:
        key = (tuple(group), number)
        if key not in cache:
            cache[key] = _build_volume(book, indexed, group, number, resources, uses, build)
        return cache[key]

    while True:  # verify by building; halve what does not fit, then build again
        built = [volume(group, n + 1) for n, group in enumerate(groups)]
        too_big = [
            n for n, (_, epub) in enumerate(built) if len(epub) > limit and len(groups[n]) > 1
        ]
        if not too_big:
            break
        for n in reversed(too_big):
            half = len(groups[n]) // 2
            groups[n : n + 1] = [groups[n][:half], groups[n][half:]]
    for group, (_, epub) in zip(groups, built, strict=True):
        if len(epub) > limit and on_problem is not None:
            article = indexed[group[0]][1]
            on_problem(
                Problem(
                    article.url or book.key,
                    f"this article alone makes a {format_size(len(epub))} book, over the "
                    f"{format_size(limit)} limit: it is a volume of its own",
                    Severity.WARNING,
                )
            )
    return built


def _pack(
    book: Book,
    resources: Mapping[str, tuple[str, bytes]],
    uses: Sequence[frozenset[str]],
    limit: int,
    build: Build,
) -> list[list[int]]:
    """Consecutive article indices per volume, from estimated sizes."""
    first = book.articles[0]
    bare = dataclasses.replace(first, content_html="<p></p>")
    base = len(build(dataclasses.replace(book, sections=(Section("", (bare,)),)), {}))
    groups: list[list[int]] = [[]]
    size, images_in = 0, set[str]()
    for index, article in enumerate(book.articles):
        cost = _cost(article, uses[index] - images_in, resources)
        if groups[-1] and base + size + cost > limit * _PACKING_MARGIN:
            groups.append([])
            size, images_in = 0, set()
            cost = _cost(article, uses[index], resources)
        groups[-1].append(index)
        size += cost
        images_in |= uses[index]
    return groups


def _cost(
    article: Article, new_images: Iterable[str], resources: Mapping[str, tuple[str, bytes]]
) -> int:
    text = len(zlib.compress(article.content_html.encode(), 6)) + _ARTICLE_OVERHEAD
    return text + sum(len(resources[name][1]) for name in new_images)


def _build_volume(
    book: Book,
    indexed: _Indexed,
    group: list[int],
    number: int,
    resources: Mapping[str, tuple[str, bytes]],
    uses: Sequence[frozenset[str]],
    build: Build,
) -> tuple[Book, bytes]:
    members = set(group)
    sections = tuple(
        dataclasses.replace(
            section,
            articles=tuple(a for i, (s, a) in enumerate(indexed) if s == number_ and i in members),
        )
        for number_, section in enumerate(book.sections)
    )
    volume = dataclasses.replace(
        book,
        key=f"{book.key}#vol{number}",
        title=f"{book.title}, Vol. {number}",
        slug=f"{book.slug}-vol-{number}" if book.slug else "",
        sections=tuple(section for section in sections if section.articles),
    )
    names = sorted(set().union(*(uses[index] for index in group)))
    return volume, build(volume, {name: resources[name] for name in names})


def _images_of(article: Article, resources: Mapping[str, object]) -> frozenset[str]:
    names = set()
    for element in parse_fragment(article.content_html).iter(_X + "img"):
        name = _resource_name(element.get("src") or "", resources)
        if name is not None:
            names.add(name)
    return frozenset(names)
