"""Device profiles for ``--device``: what each device gets, decided here once (``PROFILES``).

Every profile is a set of build defaults (the longest image edge) and passes over the built
EPUB, all through ``apply_device``:

- ``kindle``: the preflight (``feed2book.delivery.preflight``) with its fixes; images at most
  5 MB (re-encoded smaller); the CSS features Kindle's renderer drops removed
  (``position: fixed|absolute``, ``display: flex|grid``), so the page falls back to the plain
  flow it shows anyway; footnotes as pop-ups; with ``--series-in-title``, the series in the
  title (Kindle ignores series metadata).
- ``kobo``: footnotes as pop-ups, then the kepub markup (``feed2book.delivery.kepub``); the file
  is named ``.kepub.epub``.
- ``koreader``: footnotes as pop-ups; KOReader renders the stylesheet as it is.
- ``apple``: images up to 2000 px (Apple's 4-megapixel cap for book images), footnotes as
  pop-ups, and ``META-INF/com.apple.ibooks.display-options.xml`` asking Apple Books to use
  the book's fonts (serif text, monospace code) until the reader picks another.
- ``generic``: the book as feed2book builds it, for any EPUB reader.

No profile turns images grey: colour e-ink (Kindle Colorsoft, Kobo Libra Colour), KOReader on
tablets and Apple devices show colour, and black-and-white screens convert by themselves;
``--grayscale`` stays the user's choice.

Footnotes as pop-ups: the reference link gets ``epub:type="noteref"`` and each note becomes an
``<aside epub:type="footnote">``. A note is an ordered-list item with an id that an in-page
link points at, and that sits in a footnotes block (class, id or ARIA role), links back to its
reference (the "↩" of Hugo, Jekyll, Pandoc, WordPress), or is pointed at by a superscript
number or dagger.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Final

from lxml import etree

from feed2book.defaults import APPLE_IMAGE_MAX_PX, IMAGE_MAX_PX
from feed2book.delivery.kepub import kobo_spans
from feed2book.delivery.options import Device
from feed2book.delivery.preflight import (
    Check,
    EpubFiles,
    Finding,
    Preflight,
    X,
    parse_xml,
    run_checks,
    run_preflight,
)
from feed2book.i18n import plural
from feed2book.models import Book

OPS: Final = "http://www.idpf.org/2007/ops"
_TYPE: Final = f"{{{OPS}}}type"
_DROPPED_CSS: Final = re.compile(
    r"(?P<lead>[;{\s])\s*(?:position\s*:\s*(?:fixed|absolute)|"
    r"display\s*:\s*(?:inline-)?(?:flex|grid))\s*(?:!\s*important)?\s*(?:;|(?=\}))",
    re.IGNORECASE,
)
_NOTES_BLOCK: Final = re.compile(r"footnote|endnote", re.IGNORECASE)
_MARKER: Final = re.compile(r"^\[?(?:\d{1,3}|[*†‡§])\]?$")
_NOTE_ROLES: Final = frozenset({"doc-endnote", "doc-footnote"})
_NOTES_ROLES: Final = frozenset({"doc-endnotes", "doc-footnotes"})
APPLE_OPTIONS_PATH: Final = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_OPTIONS: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<display_options>
  <platform name="*">
    <option name="specified-fonts">true</option>
  </platform>
</display_options>
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Profile:
    """What ``--device`` changes: the longest image edge when ``--image-max-px`` is not
    given, whether the Kindle preflight runs, and the passes over the built book."""

    image_max_px: int = IMAGE_MAX_PX
    preflight: bool = False
    passes: tuple[Check, ...] = ()


def apply_device(epub: bytes, device: Device) -> Preflight:
    """``epub`` made for ``device``: the report, and the rewritten book in ``fixed`` (or None
    when it needed no change)."""
    profile = PROFILES[device]
    if profile.preflight:
        return run_preflight(epub, fix=True, extra=profile.passes)
    return run_checks(epub, profile.passes, fix=True)


def for_device(epub: bytes, device: Device) -> bytes:
    """The book ``--device`` would write (``for_device(epub, Device.KOBO)``: its kepub); pure,
    for programs that serve books (an OPDS catalogue offering kepubs)."""
    return apply_device(epub, device).fixed or epub


def series_in_title(book: Book) -> Book:
    """The title Kindle shows and sorts by: the series and this book's part of it.

    A series book's title is the series name: the range (its subtitle) is added. Another
    book in a series gets "Series #N: Title".
    """
    series = book.series
    if series is None:
        return book
    if series.name.casefold() in book.title.casefold():
        title = f"{book.title} ({book.subtitle})" if book.subtitle else book.title
    else:
        title = f"{series.name} #{series.index_label}: {book.title}"
    return dataclasses.replace(book, title=title)


def drop_unsupported_css(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    for path in files.of_type("text/css"):
        text = files.data[path].decode("utf-8", "replace")
        new, count = _DROPPED_CSS.subn(lambda match: match.group("lead"), text)
        if count:
            yield Finding(
                "css-dropped",
                path,
                f"{plural(count, 'declaration', 'declarations')} Kindle ignores",
                fix,
            )
            if fix:
                files.put(path, new.encode("utf-8"))


def popup_footnotes(reader: str) -> Check:
    """The pass that makes footnotes pop-ups, its findings naming ``reader``."""

    def footnotes(files: EpubFiles, fix: bool) -> Iterator[Finding]:
        for path in files.documents():
            data = files.data[path]
            if b"xmlns:epub=" not in data:  # so that new attributes read epub:type, not ns0:
                declared = b'<html xmlns:epub="' + OPS.encode() + b'"'
                data = re.sub(rb"<html\b", declared, data, count=1)
            root = parse_xml(data)
            notes = _footnote_items(root)
            if not notes:
                continue
            yield Finding(
                "footnotes",
                path,
                f"{plural(len(notes), 'footnote', 'footnotes')} made {reader} pop-ups",
                fix,
            )
            if fix:
                _as_popups(root, notes)
                files.put_xml(path, root)

    return footnotes


def apple_display_options(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    """Apple Books shows the book's own fonts only when this file asks for them."""
    if APPLE_OPTIONS_PATH not in files.data and fix:
        files.add(APPLE_OPTIONS_PATH, APPLE_OPTIONS)
    yield from ()


def _footnote_items(root: etree._Element) -> dict[str, etree._Element]:
    """``{id: <li>}`` for each list item of a footnotes block that an in-page link points at."""
    linked = {
        (link.get("href") or "")[1:]
        for link in root.iter(X + "a")
        if (link.get("href") or "").startswith("#")
    }
    notes: dict[str, etree._Element] = {}
    for item in root.iter(X + "li"):
        identifier = item.get("id")
        if not identifier or identifier not in linked or item.get(_TYPE):
            continue
        parent = item.getparent()
        if parent is None or parent.tag != X + "ol":
            continue
        marked = item.get("role") in _NOTE_ROLES or _in_notes_block(parent)
        if marked or _links_back(item, root) or _marker_links(root, identifier):
            notes[identifier] = item
    return notes


def _links_back(item: etree._Element, root: etree._Element) -> bool:
    """The item links back to a reference to it (a footnote's "↩", with classes cleaned away)."""
    identifier = item.get("id")
    for back in item.iter(X + "a"):
        href = back.get("href") or ""
        if not href.startswith("#"):
            continue
        for element in root.iter():
            if element.get("id") == href[1:]:
                references = [element, *element.iter(X + "a")]
                if any(a.get("href") == f"#{identifier}" for a in references):
                    return True
    return False


def _marker_links(root: etree._Element, identifier: str) -> bool:
    """A link to the item that reads like a note marker: a number or a dagger, superscript."""
    for link in root.iter(X + "a"):
        if link.get("href") != f"#{identifier}":
            continue
        parent = link.getparent()
        in_sup = link.tag == X + "sup" or (parent is not None and parent.tag == X + "sup")
        text = etree.tostring(link, method="text", encoding="unicode", with_tail=False)
        if in_sup and _MARKER.match(str(text).strip()):
            return True
    return False


def _in_notes_block(element: etree._Element) -> bool:
    for ancestor in element.iterancestors():
        marks = f"{ancestor.get('class', '')} {ancestor.get('id', '')}"
        if ancestor.get("role") in _NOTES_ROLES or _NOTES_BLOCK.search(marks):
            return True
        if ancestor.tag == X + "body":
            return False
    return False


def _as_popups(root: etree._Element, notes: dict[str, etree._Element]) -> None:
    for link in root.iter(X + "a"):
        href = link.get("href") or ""
        if href.startswith("#") and href[1:] in notes and link.getparent() is not None:
            inside_note = any(a.get("id") in notes for a in link.iterancestors())
            if not inside_note:
                link.set(_TYPE, "noteref")
    lists = {id(item.getparent()): item.getparent() for item in notes.values()}
    for ordered in lists.values():
        assert ordered is not None
        holder = ordered.getparent()
        assert holder is not None
        place = holder.index(ordered)
        for number, item in enumerate(list(ordered), start=1):
            if item.get("id") not in notes:
                continue  # an item nothing points at stays in the list
            aside = etree.Element(X + "aside")
            aside.set("id", item.get("id", ""))
            aside.set(_TYPE, "footnote")
            paragraph_like = len(item) and item[0].tag in (X + "p", X + "div")
            if not paragraph_like:
                block = etree.SubElement(aside, X + "p")
                block.text = f"{number}. " + (item.text or "")
                for child in list(item):
                    block.append(child)
            else:
                aside.text = None
                first = item[0]
                first.text = f"{number}. " + (first.text or "")
                for child in list(item):
                    aside.append(child)
            ordered.remove(item)
            place += 1
            holder.insert(place, aside)
        if not len(ordered):
            holder.remove(ordered)


PROFILES: Final[Mapping[Device, Profile]] = MappingProxyType(
    {
        Device.KINDLE: Profile(
            preflight=True, passes=(drop_unsupported_css, popup_footnotes("Kindle"))
        ),
        Device.KOBO: Profile(passes=(popup_footnotes("Kobo"), kobo_spans)),
        Device.KOREADER: Profile(passes=(popup_footnotes("KOReader"),)),
        Device.APPLE: Profile(
            image_max_px=APPLE_IMAGE_MAX_PX,
            passes=(popup_footnotes("Apple Books"), apple_display_options),
        ),
        Device.GENERIC: Profile(),
    }
)
