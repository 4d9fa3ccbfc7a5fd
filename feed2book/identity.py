"""Names and identities: article ids, author handles, slugs and revision keys.

Pure string functions. The rules:

- An article's ``id`` comes from its guid (when it is a URL, normalised) or its link. On dev.to
  and other Forem sites the id is ``forem:<handle>/<slug>``, so the same post seen on dev.to and
  forem.com is one article.
- An author's ``handle`` is the first path segment of a Forem article link (``matt_frank_usa``),
  otherwise a slug of the display name.
- A ``revision_key`` is the author handle plus the normalised title: two items with the same key
  and different ids are one article republished.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

FOREM_HOSTS = frozenset({"dev.to", "forem.com", "community.forem.com"})
_TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref_src|source)$", re.I)
_FOREM_HANDLE_IN_DESCRIPTION = re.compile(r"\(@([A-Za-z0-9_.-]+)\)")


def normalise_url(url: str) -> str:
    """A canonical form for comparing URLs: https, lower-case host without ``www.``, no default
    port, no fragment, no tracking parameters, no trailing slash."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        ]
    )
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, query, ""))


def forem_handle_and_slug(
    url: str, forem_hosts: frozenset[str] = FOREM_HOSTS
) -> tuple[str, str] | None:
    """``(handle, slug)`` for a Forem article URL such as ``https://dev.to/alice/my-post-1a2b``."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host not in forem_hosts:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) < 2:
        return None
    return segments[0].lower(), segments[1].lower()


def forem_handle_from_feed(description: str) -> str | None:
    """The handle a Forem feed's description names: "... by Matt Frank (@matt_frank_usa)."."""
    match = _FOREM_HANDLE_IN_DESCRIPTION.search(description or "")
    return match.group(1).lower() if match else None


def article_id(guid: str, link: str, forem: tuple[str, str] | None, fallback: str) -> str:
    """The stable id of an article; ``fallback`` (a hash of feed, title and date) when the feed
    gives neither a guid nor a link."""
    if forem is not None:
        return f"forem:{forem[0]}/{forem[1]}"
    guid = guid.strip()
    if guid:
        return normalise_url(guid) if urlsplit(guid).scheme in ("http", "https") else guid
    if link.strip():
        return normalise_url(link)
    return "urn:feed2book:" + hashlib.sha1(fallback.encode("utf-8")).hexdigest()


def slugify(text: str, max_length: int = 60) -> str:
    """A lower-case ASCII-ish slug; non-Latin scripts keep their letters (``"東京"`` stays)."""
    normalised = unicodedata.normalize("NFKD", text)
    kept = []
    for char in normalised:
        if unicodedata.combining(char):
            continue
        kept.append(char.lower() if char.isalnum() else "-")
    slug = re.sub(r"-+", "-", "".join(kept)).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def author_handle(name: str) -> str:
    """A handle for an author outside Forem: a slug of the name with underscores."""
    return slugify(name).replace("-", "_") or "unknown"


def normalise_title(title: str) -> str:
    """Case, punctuation and spacing folded away: what makes two titles "the same"."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.findall(r"\w+", folded))


def revision_key(handles: tuple[str, ...], title: str) -> str:
    return "/".join(handles) + "|" + normalise_title(title)
