"""Is an entry's body only a summary? Pure functions over the entry's fields and its feed.

An entry is taken for a summary when the feed gave no full-content field for it (RSS
``content:encoded``, Atom ``content``, JSON Feed ``content_html``/``content_text``) and

- its body is empty (a title and a link: Google Alerts, link blogs), or
- its text ends the way a teaser does ("[…]", "Read more", "Continue reading"; a bare "…"
  only in a text of at most ``ELLIPSIS_TEASER_WORDS`` words), or
- it is plain prose (no code block, list, heading, table, quote, nor three paragraphs: a short
  post with those is whole) and the feed's plain summary-only items are short as a rule
  (median at most ``SHORT_FEED_WORDS`` words: Hugo's default 70-word summaries, news teasers),
  or this one is very short (``SHORT_ITEM_WORDS``) while the feed's others are long.

A feed that puts whole posts in ``description`` (dev.to, most WordPress RSS) has long bodies
there: its items stay full text. Only an item with a web link can be completed from its page.
"""

from __future__ import annotations

import html
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

SHORT_FEED_WORDS: Final = 100  # median words of a feed's items at or under which all are teasers
SHORT_ITEM_WORDS: Final = 25  # one item this short, with no content field, is a teaser anyway

_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"<(?:pre|ul|ol|h[1-6]|table|blockquote|figure|dl)\b", re.IGNORECASE)
_PARAGRAPH = re.compile(r"<[pP][\s>/]")
LONG_BODY_CHARS: Final = 8_000  # HTML this long is no teaser by length: counted roughly
ELLIPSIS_TEASER_WORDS: Final = 300  # a longer text ending in a bare "…" is a whole post

# How teasers end: a bracketed ellipsis or a "read on" link's words (whatever the length) ...
_BRACKETED_ENDS = ("[…]", "[...]", "(more…)", "(more...)", "(more)", "[more]")
_READ_ON_END = re.compile(
    r"(?:read\s+(?:the\s+)?(?:full\s+|whole\s+|entire\s+)?(?:more|on|article|story|post)"
    r"|continue\s+reading(?:\s+on\s+\S+)?|keep\s+reading|full\s+story)\Z",
    re.IGNORECASE,
)
_APPEARED_FIRST = re.compile(r"appeared\s+first\s+on\s+[^\n]{1,200}\Z", re.IGNORECASE)  # WordPress
_TRAILING = " \t\r\n.!:;»>→›)]}\"'”’-–—"
# ... or a bare ellipsis, which only a short text ends with as a teaser (posts end in "…" too).


def teaser_ending(text: str, words: int) -> bool:
    """Whether ``text`` ends the way a teaser does (see the module's docstring)."""
    tail = text[-300:].rstrip()
    compact = "".join(tail[-16:].split())
    if compact.endswith(_BRACKETED_ENDS) or _APPEARED_FIRST.search(tail):
        return True
    if _READ_ON_END.search(tail.rstrip(_TRAILING)[-60:]):
        return True
    bare = tail.rstrip(" \t\r\n)]}\"'”’»")
    return words <= ELLIPSIS_TEASER_WORDS and bare.endswith(("...", "…"))


class ContentSource(StrEnum):
    """Where an article's body came from: the feed's full text, the article's page, or a
    summary that stayed one (``content_source`` in JSON Lines)."""

    FEED = "feed"
    PAGE = "page"
    SUMMARY = "summary"


class FullTextMode(StrEnum):
    """``auto``: fetch the pages of summaries; ``always``: every article's page; ``never``."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class ItemSignals:
    """What detection needs of one entry: whether the feed gave a full-content field, the
    words of the body it gave, whether it ends like a teaser, and whether it links a page."""

    has_content: bool
    words: int
    teaser_ending: bool
    linked: bool
    structured: bool = False  # code blocks, lists, headings, tables, quotes or 3+ paragraphs


def text_of_html(fragment: str) -> str:
    """The text of an HTML fragment, cheaply (tags dropped, references decoded)."""
    return html.unescape(_TAG.sub(" ", fragment))


def signals(body_html: str, *, has_content: bool, link: str) -> ItemSignals:
    linked = link.startswith(("http://", "https://"))
    if has_content or not linked:  # never a summary: nothing more to read
        return ItemSignals(has_content, 0, False, linked)
    if len(body_html) > LONG_BODY_CHARS:  # surely no teaser by length: only its end is read
        text = text_of_html(body_html[-1000:]).strip()
        words = len(body_html) // 6
    else:
        text = text_of_html(body_html).strip()
        words = len(text.split())
    teaser = teaser_ending(text, words)
    return ItemSignals(
        has_content=has_content,
        words=words,
        teaser_ending=bool(text) and teaser,
        linked=linked,
        structured=_BLOCK.search(body_html) is not None
        or _paragraphs(body_html) >= 3,
    )


def _paragraphs(body_html: str) -> int:
    return sum(1 for _ in zip(range(3), _PARAGRAPH.finditer(body_html), strict=False))


def entry_signals(entry: Mapping[str, Any], link: str) -> ItemSignals:
    """Signals of a feedparser entry (RSS or Atom): ``content`` holds ``content:encoded`` or
    Atom content; ``summary`` the description or Atom summary."""
    contents = [str(d.get("value") or "") for d in entry.get("content") or ()]
    has_content = any(value and not value.isspace() for value in contents)
    body = max([*contents, str(entry.get("summary") or "")], key=len)
    return signals(body, has_content=has_content, link=link)


def json_item_signals(item: Mapping[str, Any], link: str) -> ItemSignals:
    """Signals of a JSON Feed item: full content is ``content_html`` or ``content_text``."""
    body = next(
        (v for k in ("content_html", "content_text") if isinstance(v := item.get(k), str) and v),
        "",
    )
    summary = item.get("summary") if isinstance(item.get("summary"), str) else ""
    return signals(body or str(summary), has_content=bool(body.strip()), link=link)


def summary_flags(items: Sequence[ItemSignals]) -> list[bool]:
    """For each item of one feed, whether its body is a summary of a linked page."""
    bare = [i.words for i in items if not i.has_content and not i.structured and i.words]
    short_feed = bool(bare) and statistics.median(bare) <= SHORT_FEED_WORDS
    return [_is_summary(item, short_feed) for item in items]


def _is_summary(item: ItemSignals, short_feed: bool) -> bool:
    if item.has_content or not item.linked:
        return False
    if item.words == 0 or item.teaser_ending:
        return True
    # Length alone speaks only for plain text: a short post with code, a list or headings is
    # whole, whereas teasers are a paragraph or two of prose.
    return not item.structured and (short_feed or item.words <= SHORT_ITEM_WORDS)
