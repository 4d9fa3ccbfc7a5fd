"""The Kindle preflight: what makes Send-to-Kindle reject an EPUB (E999 and friends), found in
the book's own files, and fixed where a fix cannot change what the reader sees.

Checks (``Finding.code``):

- ``drm``: ``META-INF/encryption.xml`` encrypts content (Amazon refuses DRM); cannot be fixed.
- ``xml-declaration``: an XHTML, OPF or NCX file does not start with
  ``<?xml version="1.0" encoding="UTF-8"?>``; fixed by re-encoding the file as UTF-8.
- ``language``: ``dc:language`` missing or not a language code; fixed with ``--language`` or
  the language the content documents declare, else refused.
- ``img-src``: ``<img>`` without ``src`` or pointing at no file; replaced by its alt text.
- ``img-alt``: ``<img>`` without an ``alt`` attribute; ``alt=""`` added.
- ``body-id``: an ``id`` on ``<body>`` (links to it break Amazon's converter); removed, and
  links to it point at the file.
- ``link``: a link to a file the book lacks, or to an id its target file lacks; the link keeps
  its text and loses the address (or just the missing ``#id``).
- ``ncx-order``: NCX entries not in spine order, or ``playOrder`` not 1, 2, 3…; sorted and
  renumbered.
- ``css``: a stylesheet that does not parse (unbalanced braces; refused), a remote ``@import``
  or an ``@font-face`` whose font is not in the book (both removed).
- ``image-size``: an image over 5 MB; re-encoded smaller, or refused (SVG, unreadable image).

``run_preflight`` is pure: bytes in, a report and (with ``fix``) the fixed bytes out.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from lxml import etree
from PIL import Image

from feed2book.defaults import KINDLE_MAX_IMAGE_BYTES as MAX_IMAGE_BYTES
from feed2book.errors import Feed2BookError

UTF8_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>'
# Any spelling of a UTF-8 declaration at the very start (quotes and case as XML allows them).
_UTF8_DECLARED: Final = re.compile(
    rb"""<\?xml\s+version\s*=\s*["']1\.[01]["']\s+encoding\s*=\s*["']utf-8["']""", re.IGNORECASE
)
XHTML: Final = "http://www.w3.org/1999/xhtml"
OPF: Final = "http://www.idpf.org/2007/opf"
DC: Final = "http://purl.org/dc/elements/1.1/"
NCX: Final = "http://www.daisy.org/z3986/2005/ncx/"
X: Final = "{" + XHTML + "}"  # the XHTML namespace, as lxml spells tag names
_XML_TYPES: Final = frozenset(
    {"application/xhtml+xml", "application/oebps-package+xml", "application/x-dtbncx+xml"}
)
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_NOT_A_LANGUAGE: Final = frozenset({"und", "mul", "zxx", "mis"})
_FONT_OBFUSCATION: Final = frozenset(
    {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
)
_PARSER: Final = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
# Re-encoding steps for an oversized image: (JPEG quality, scale of each side).
_SHRINK_STEPS: Final = ((85, 1.0), (80, 0.8), (75, 0.6), (70, 0.45), (65, 0.3), (60, 0.2))


class BookReadError(Feed2BookError):
    """The file is not an EPUB the preflight can read (not a zip, no container, no OPF)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: what (``code``), where (a path inside the book) and whether it was fixed."""

    code: str
    path: str
    message: str
    fixed: bool
    fixable: bool = False  # without ``fix``: whether ``fix`` would fix it

    def line(self) -> str:
        status = "fixed" if self.fixed else "fixable" if self.fixable else "cannot be fixed"
        return f"{self.code}: {self.path}: {self.message} ({status})"


@dataclass(frozen=True, slots=True)
class Preflight:
    """The report; ``fixed`` holds the rewritten book when a fix changed something."""

    findings: tuple[Finding, ...]
    fixed: bytes | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def refused(self) -> tuple[Finding, ...]:
        """What cannot be fixed."""
        return tuple(f for f in self.findings if not f.fixed and not f.fixable)


@dataclass
class EpubFiles:
    """A book's zip entries, in their order, with the package document read: the working copy
    every check and fix reads and changes."""

    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]
    opf_path: str
    changed: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, epub: bytes) -> EpubFiles:
        try:
            with zipfile.ZipFile(io.BytesIO(epub)) as archive:
                infos = [info for info in archive.infolist() if not info.is_dir()]
                data = {info.filename: archive.read(info) for info in infos}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise BookReadError(f"not an EPUB (a zip archive): {error}") from None
        container = data.get("META-INF/container.xml")
        if container is None:
            raise BookReadError("not an EPUB: META-INF/container.xml is missing")
        rootfile = parse_xml(container).find(".//{*}rootfile")
        opf_path = rootfile.get("full-path", "") if rootfile is not None else ""
        if opf_path not in data:
            raise BookReadError(f"not an EPUB: the package document {opf_path!r} is missing")
        return cls(infos, data, opf_path)

    def write(self) -> bytes:
        """The zip again: same entries, order, dates and compression; changed data."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for info in self.infos:
                archive.writestr(info, self.data[info.filename])
        return buffer.getvalue()

    # -- the package document -----------------------------------------------------------------
    def opf(self) -> etree._Element:
        return parse_xml(self.data[self.opf_path])

    def resolve(self, base: str, href: str) -> str:
        """The zip path ``href`` (relative to the file ``base``) names."""
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href)))

    def manifest(self) -> dict[str, tuple[str, str]]:
        """``{id: (zip path, media type)}``."""
        items = {}
        for item in self.opf().iterfind(f".//{{{OPF}}}manifest/{{{OPF}}}item"):
            href = item.get("href", "")
            path = self.resolve(self.opf_path, href)
            items[item.get("id", "")] = (path, item.get("media-type", ""))
        return items

    def spine(self) -> list[str]:
        manifest = self.manifest()
        return [
            manifest[ref.get("idref", "")][0]
            for ref in self.opf().iterfind(f".//{{{OPF}}}spine/{{{OPF}}}itemref")
            if ref.get("idref", "") in manifest
        ]

    def of_type(self, *media_types: str) -> list[str]:
        items = self.manifest().values()
        return sorted(path for path, kind in items if kind in media_types and path in self.data)

    def documents(self) -> list[str]:
        return self.of_type("application/xhtml+xml")

    def put(self, path: str, data: bytes) -> None:
        self.data[path] = data
        self.changed.add(path)

    def put_xml(self, path: str, root: etree._Element) -> None:
        self.put(path, serialise(root))

    def add(self, path: str, data: bytes) -> None:
        """A new file at the end of the zip, dated and compressed like the container file."""
        model = next(info for info in self.infos if info.filename == "META-INF/container.xml")
        info = zipfile.ZipInfo(path, date_time=model.date_time)
        info.compress_type = model.compress_type
        info.external_attr = model.external_attr
        info.create_system = model.create_system
        self.infos.append(info)
        self.put(path, data)


def serialise(root: etree._Element) -> bytes:
    """An XML document with the UTF-8 declaration Amazon wants (double quotes) and its doctype."""
    body = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)
    return UTF8_DECLARATION + b"\n" + body + b"\n"


def parse_xml(data: bytes) -> etree._Element:
    """A file of the book, parsed (no entities resolved, nothing fetched)."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise BookReadError(f"a file of the book is not well-formed XML: {error}") from None


Check = Callable[[EpubFiles, bool], Iterator[Finding]]


def run_preflight(
    epub: bytes,
    *,
    fix: bool = False,
    language: str | None = None,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    extra: tuple[Check, ...] = (),
) -> Preflight:
    """Every check on ``epub``; with ``fix``, the fixable problems fixed in ``Preflight.fixed``.

    ``extra``: more checks of the same shape (a device profile's).
    """
    checks: tuple[Check, ...] = (
        check_drm,
        check_declarations,
        lambda f, x: check_language(f, x, language),
        check_images,
        check_links,
        check_ncx_order,
        check_css,
        lambda f, x: check_image_sizes(f, x, max_image_bytes),
        *extra,
    )
    return run_checks(epub, checks, fix=fix)


def run_checks(epub: bytes, checks: tuple[Check, ...], *, fix: bool = False) -> Preflight:
    """``checks`` on ``epub``, in order; with ``fix``, the book they fixed in
    ``Preflight.fixed``."""
    files = EpubFiles.read(epub)
    # Always fixed on the working copy, so that a report without ``fix`` tells what is fixable.
    findings = [finding for check in checks for finding in check(files, True)]
    if not fix:
        findings = [replace(f, fixed=False, fixable=f.fixed) for f in findings]
    fixed = files.write() if fix and files.changed else None
    return Preflight(tuple(findings), fixed)


# --- the checks -----------------------------------------------------------------------------


def check_drm(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    encryption = files.data.get("META-INF/encryption.xml")
    if encryption is None:
        return
    methods = [
        element.get("Algorithm", "")
        for element in parse_xml(encryption).iter("{*}EncryptionMethod")
    ]
    if any(method not in _FONT_OBFUSCATION for method in methods):
        yield Finding(
            "drm",
            "META-INF/encryption.xml",
            "the book is encrypted (DRM); Send to Kindle refuses it",
            False,
        )


def check_declarations(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    paths = {files.opf_path, *files.of_type(*_XML_TYPES)}
    for path in sorted(paths):
        data = files.data[path]
        if _UTF8_DECLARED.match(data):
            continue
        if fix:
            files.put_xml(path, parse_xml(data))
        yield Finding("xml-declaration", path, "no UTF-8 XML declaration", fix)


def check_language(files: EpubFiles, fix: bool, language: str | None) -> Iterator[Finding]:
    opf = files.opf()
    languages = opf.findall(f".//{{{DC}}}language")
    value = (languages[0].text or "").strip() if languages else ""
    if valid_language(value):
        return
    problem = f"dc:language {value!r} is not a language code" if value else "no dc:language"
    choice = language if language and valid_language(language) else _declared_language(files)
    if not fix or choice is None:
        yield Finding("language", files.opf_path, problem + "; give --language", False)
        return
    if languages:
        languages[0].text = choice
    else:
        metadata = opf.find(f"{{{OPF}}}metadata")
        if metadata is None:
            yield Finding("language", files.opf_path, problem + "; no <metadata>", False)
            return
        element = etree.SubElement(metadata, f"{{{DC}}}language")
        element.text = choice
    files.put_xml(files.opf_path, opf)
    yield Finding("language", files.opf_path, f"{problem}; set to {choice!r}", True)


def valid_language(value: str) -> bool:
    return bool(_LANGUAGE.match(value)) and value.split("-")[0].lower() not in _NOT_A_LANGUAGE


def _declared_language(files: EpubFiles) -> str | None:
    for path in files.spine():
        if path in files.data:
            root = parse_xml(files.data[path])
            declared = root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("lang")
            if declared and valid_language(declared):
                return declared
    return None


def check_images(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    for path in files.documents():
        root = parse_xml(files.data[path])
        changed = False
        for image in list(root.iter(X + "img")):
            src = (image.get("src") or "").strip()
            target = files.resolve(path, urlsplit(src).path) if src else ""
            if not src or (not urlsplit(src).scheme and target not in files.data):
                what = "an <img> without src" if not src else f"an <img> of a missing file {src!r}"
                yield Finding("img-src", path, what, fix)
                if fix:
                    _replace_with_text(image, image.get("alt") or "")
                    changed = True
                continue
            if image.get("alt") is None:
                yield Finding("img-alt", path, f"an <img> without alt ({src})", fix)
                if fix:
                    image.set("alt", "")
                    changed = True
        if changed:
            files.put_xml(path, root)


def check_links(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    ids: dict[str, set[str]] = {}
    body_ids: dict[str, str] = {}
    roots = {path: parse_xml(files.data[path]) for path in files.documents()}
    for path, root in roots.items():
        ids[path] = {str(element.get("id")) for element in root.iter() if element.get("id")}
        body = root.find(X + "body")
        if body is not None and body.get("id"):
            body_ids[path] = body.get("id", "")
    changed: set[str] = set()
    for path, identifier in sorted(body_ids.items()):
        yield Finding("body-id", path, f"<body id={identifier!r}>", fix)
        if fix:
            body = roots[path].find(X + "body")
            assert body is not None
            del body.attrib["id"]
            changed.add(path)
    for path, root in roots.items():
        for link in root.iter(X + "a"):
            href = link.get("href")
            if href is None or urlsplit(href).scheme or href.startswith("//"):
                continue
            file_part, _, fragment = href.partition("#")
            target = files.resolve(path, file_part) if file_part else path
            if target not in files.data:
                yield Finding("link", path, f"a link to a missing file {href!r}", fix)
                if fix:
                    del link.attrib["href"]
                    changed.add(path)
            elif (
                fragment
                and target in ids
                and (
                    unquote(fragment) not in ids[target]
                    or body_ids.get(target) == unquote(fragment)
                )
            ):
                at_body = body_ids.get(target) == unquote(fragment)
                what = "the <body> of" if at_body else "a missing id in"
                yield Finding("link", path, f"a link to {what} {href!r}", fix)
                if fix:
                    if file_part:
                        link.set("href", file_part)
                    else:
                        link.set("href", quote(posixpath.basename(path)))
                    changed.add(path)
    for path in sorted(changed):
        files.put_xml(path, roots[path])


def check_ncx_order(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    ncx_paths = files.of_type("application/x-dtbncx+xml")
    if not ncx_paths:
        return
    path = ncx_paths[0]
    root = parse_xml(files.data[path])
    order = {spine_path: number for number, spine_path in enumerate(files.spine())}

    def src(point: etree._Element) -> str:
        content = point.find(f"{{{NCX}}}content")
        return files.resolve(path, content.get("src", "")) if content is not None else ""

    def position(point: etree._Element) -> int:
        return order.get(src(point).partition("#")[0], -1)

    def play_orders(points: list[etree._Element]) -> list[str]:
        """1, 2, 3… by distinct target in document order (entries of one target share one)."""
        numbers: dict[str, str] = {}
        return [numbers.setdefault(src(point), str(len(numbers) + 1)) for point in points]

    def in_order() -> bool:
        points = list(root.iter(f"{{{NCX}}}navPoint"))
        positions = [p for p in map(position, points) if p >= 0]
        numbers = [point.get("playOrder") for point in points]
        unnumbered = [None] * len(points)
        return positions == sorted(positions) and numbers in (play_orders(points), unnumbered)

    if in_order():
        return
    if not fix:
        yield Finding("ncx-order", path, "the NCX is not in spine order", False)
        return
    for parent in [root, *root.iter(f"{{{NCX}}}navPoint", f"{{{NCX}}}navMap")]:
        points = [child for child in parent if child.tag == f"{{{NCX}}}navPoint"]
        if len(points) > 1:
            first = list(parent).index(points[0])
            for point in points:
                parent.remove(point)
            for offset, point in enumerate(sorted(points, key=position)):
                parent.insert(first + offset, point)
    points = list(root.iter(f"{{{NCX}}}navPoint"))
    for point, number in zip(points, play_orders(points), strict=True):
        point.set("playOrder", number)
    fixed = in_order()
    if fixed:
        files.put_xml(path, root)
    yield Finding("ncx-order", path, "the NCX is not in spine order", fixed)


_REMOTE_IMPORT: Final = re.compile(
    r"@import\s+(?:url\(\s*)?['\"]?(?:https?:)?//[^;]*;", re.IGNORECASE
)
_FONT_FACE: Final = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)
_URL: Final = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.IGNORECASE)
_COMMENT: Final = re.compile(r"/\*.*?\*/", re.DOTALL)


def check_css(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    for path in files.of_type("text/css"):
        text = files.data[path].decode("utf-8", "replace")
        bare = _COMMENT.sub("", text)
        if not _balanced(bare):
            yield Finding("css", path, "the stylesheet does not parse (unbalanced braces)", False)
            continue
        new = text
        for match in _REMOTE_IMPORT.finditer(bare):
            yield Finding("css", path, f"a remote {match.group(0).strip()!r}", fix)
            new = new.replace(match.group(0), "")
        for match in _FONT_FACE.finditer(bare):
            fonts = [files.resolve(path, url) for url in _URL.findall(match.group(0))]
            missing = [font for font in fonts if font not in files.data]
            if missing:
                yield Finding("css", path, f"an @font-face of a missing font {missing[0]!r}", fix)
                new = new.replace(match.group(0), "")
        if fix and new != text:
            files.put(path, new.encode("utf-8"))


def _balanced(css: str) -> bool:
    depth = 0
    for char in re.sub(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", "", css):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def check_image_sizes(files: EpubFiles, fix: bool, limit: int) -> Iterator[Finding]:
    for path in files.of_type("image/jpeg", "image/png", "image/gif", "image/svg+xml"):
        size = len(files.data[path])
        if size <= limit:
            continue
        message = f"an image of {size / 1_000_000:.1f} MB, over {limit / 1_000_000:.1f} MB"
        smaller = shrink_image(files.data[path], limit) if fix else None
        if smaller is not None:
            files.put(path, smaller)
        yield Finding("image-size", path, message, smaller is not None)


def shrink_image(data: bytes, limit: int) -> bytes | None:
    """The image re-encoded (same format) under ``limit`` bytes, or None when it cannot be."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "GIF"]) as opened:
            image_format = opened.format or "JPEG"
            image = opened.copy()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    for quality, scale in _SHRINK_STEPS:
        candidate = image.copy()
        if candidate.mode == "P" and image_format != "GIF":
            candidate = candidate.convert("RGBA")
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        candidate.thumbnail(size, Image.Resampling.LANCZOS)
        if image_format == "JPEG" and candidate.mode not in ("RGB", "L"):
            candidate = candidate.convert("RGB")
        buffer = io.BytesIO()
        if image_format == "JPEG":
            candidate.save(buffer, "JPEG", quality=quality, optimize=True)
        else:
            candidate.save(buffer, image_format, optimize=True)
        if buffer.tell() <= limit:
            return buffer.getvalue()
    return None


def _replace_with_text(element: etree._Element, text: str) -> None:
    """Put ``text`` (and the element's tail) where ``element`` was, then remove it."""
    parent = element.getparent()
    assert parent is not None
    joined = (text + (element.tail or "")) if text else (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(element)
