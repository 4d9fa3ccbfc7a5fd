"""Names and identities: article ids, author handles, slugs and revision keys.

Pure string functions. The rules:

- An article's ``id`` comes from its guid (when it is a URL, normalised) or its link. On dev.to
  and other Forem sites the id is ``forem:<handle>/<slug>``, so the same post seen on dev.to and
  forem.com is one article.
- An author's ``handle`` is the first path segment of a Forem article link (``matt_frank_usa``),
  otherwise a slug of the display name.
- Within one feed an id must tell its items apart (``feed_ids``): when items share an id but differ
  (title, own date or body), the guid's or link's fragment is kept (``entries.php#111``), and
  when even that is shared a short digest of the item's own date and title (then body) is added.
- A ``revision_key`` is the author handle plus the normalised title: items with the same key and
  different ids are *candidates* for one article republished (``select`` asks for more evidence).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

FOREM_HOSTS = frozenset({"dev.to", "forem.com", "community.forem.com"})
_TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref_src|source)$", re.I)
_FOREM_HANDLE_IN_DESCRIPTION = re.compile(r"\(@([A-Za-z0-9_.-]+)\)")


def normalise_url(url: str, *, keep_fragment: bool = False) -> str:
    """A canonical form for comparing URLs: https, lower-case host without ``www.``, no default
    port, no fragment (unless ``keep_fragment``), no tracking parameters, no trailing slash."""
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
    return urlunsplit(("https", host, path, query, parts.fragment if keep_fragment else ""))


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


def article_id(
    guid: str,
    link: str,
    forem: tuple[str, str] | None,
    fallback: str,
    *,
    keep_fragment: bool = False,
) -> str:
    """The stable id of an article; ``fallback`` (a hash of feed, title and date) when the feed
    gives neither a guid nor a link. ``keep_fragment``: the form ``feed_ids`` falls back on
    when the fragment is what tells a feed's items apart."""
    if forem is not None:
        return f"forem:{forem[0]}/{forem[1]}"
    guid = guid.strip()
    if guid:
        if urlsplit(guid).scheme in ("http", "https"):
            return normalise_url(guid, keep_fragment=keep_fragment)
        return guid
    if link.strip():
        return normalise_url(link, keep_fragment=keep_fragment)
    return FALLBACK_PREFIX + hashlib.sha1(fallback.encode("utf-8")).hexdigest()


FALLBACK_PREFIX = "urn:feed2book:"


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What one feed item says about itself, for ``feed_ids``."""

    id: str  # ``article_id``: the item's id when no other item of its feed shares it
    exact: str  # ``article_id(..., keep_fragment=True)``
    date: str  # the item's own date (ISO), "" when it gives none (never a fallback)
    title: str
    body: str  # a digest of the body as the feed gives it

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.date, self.title, self.body)


def digest(text: str, length: int = 12) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:length]


def feed_ids(items: Sequence[ItemFacts]) -> list[str]:
    """The id of each item of one feed, in order.

    An item keeps its ``id`` unless another item of the feed has the same id and differs from it
    in its own date, title or body (items equal in all three are one article listed twice and
    keep one shared id). When fragments tell such items apart, every id of the feed keeps its
    fragment (so a day page's first anchor is named the same before and after a second one
    appears). Items that still share an id get a digest of their own date and title, then of
    their date, title and body. Only intrinsic facts go in, so an item's id does not depend on
    the order of the feed or on fallback dates.
    """
    # Only ids given more than once need a closer look: a feed of 380,000 items with their own
    # ids builds no group, set or triple per item (counts are small ints, shared).
    ids = [item.id for item in items]
    given = Counter(ids)
    groups: dict[str, list[int]] = {}
    for position, item in enumerate(items):
        if given[item.id] > 1:
            groups.setdefault(item.id, []).append(position)
    fragments_matter = any(
        len({items[p].exact for p in members}) > 1 and len({items[p].triple for p in members}) > 1
        for members in groups.values()
    )
    if fragments_matter:  # a lone item keeps its fragment too
        for position, item in enumerate(items):
            if given[item.id] == 1:
                ids[position] = item.exact
    del given
    for members in groups.values():
        _tell_apart([items[p] for p in members], members, ids, fragments_matter)
    # An id made above may still meet another item's (an opaque guid that looks like one).
    made = Counter(ids)
    seen: dict[str, set[tuple[str, str, str]]] = {}
    for position, item in enumerate(items):
        if made[ids[position]] > 1:
            seen.setdefault(ids[position], set()).add(item.triple)
    for position, item in enumerate(items):
        if made[ids[position]] > 1 and len(seen[ids[position]]) > 1:
            ids[position] = _suffixed(ids[position], digest("|".join(item.triple)))
    return ids


def _tell_apart(
    group: list[ItemFacts], positions: list[int], ids: list[str], fragments_matter: bool
) -> None:
    """Give the items of ``group`` (one shared id) one id per distinct (date, title, body)."""
    clusters: dict[tuple[str, str, str], list[int]] = {}
    for index, item in enumerate(group):
        clusters.setdefault(item.triple, []).append(index)
    if len(clusters) < 2 and not fragments_matter:
        return
    firsts = [group[indexes[0]] for indexes in clusters.values()]
    by_exact: dict[str, list[ItemFacts]] = {}
    for first in firsts:
        by_exact.setdefault(first.exact, []).append(first)
    for indexes, first in zip(clusters.values(), firsts, strict=True):
        sharing = by_exact[first.exact]
        name = first.exact
        if len(sharing) > 1:
            short = {(other.date, other.title) for other in sharing}
            if len(short) == len(sharing):
                name = _suffixed(first.exact, digest(first.date + "|" + first.title))
            else:
                name = _suffixed(first.exact, digest("|".join(first.triple)))
        for index in indexes:
            ids[positions[index]] = name


def _suffixed(key: str, suffix: str) -> str:
    return f"{key}{'-' if '#' in key else '#'}item-{suffix}"


_FOREM_ID_SUFFIX = re.compile(r"-[0-9a-z]{1,8}$")


def forem_slug_stem(article_id: str) -> str:
    """``forem:<handle>/<slug>`` without the id Forem appends to every slug (``-3ef2``): the part
    the author's title gave, the same in a post republished under a new URL. "" elsewhere."""
    if not article_id.startswith("forem:") or "#" in article_id:
        return ""
    stem = _FOREM_ID_SUFFIX.sub("", article_id)
    return stem if stem != article_id else ""


def id_evidence(article_id: str, url: str) -> str:
    """What an id was made from, as a reason two items with that id are one article."""
    if article_id.startswith("forem:"):
        return "same dev.to/Forem post"
    if article_id.startswith(FALLBACK_PREFIX):
        return "same feed, title and date"
    if url:
        try:
            link = normalise_url(url)
        except ValueError:
            link = ""
        if link and (article_id == link or article_id.startswith(link + "#")):
            return "same link"
    return "same guid"


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
