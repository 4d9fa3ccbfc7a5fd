"""JSON from strangers, decoded into strings Python can always write back out.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"``): ``json.loads`` returns it as is, and the
first UTF-8 encode of that string (stdout, a file, SQLite) raises. ``loads`` replaces every lone
surrogate with U+FFFD at parse time, in keys and values at any depth; a pair that spells one
character (``"\\ud83d\\ude00"``) is decoded as that character by ``json`` and never changes.
"""

from __future__ import annotations

import json
import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: str) -> Any:
    """``json.loads`` with every lone surrogate of the decoded strings replaced by U+FFFD.

    Raises what ``json.loads`` raises (``JSONDecodeError``, ``RecursionError``).
    """
    value = json.loads(text)
    if not _may_hold_surrogates(text):
        return value  # the common case: nothing to replace, nothing walked
    return _replaced(value)


def _may_hold_surrogates(text: str) -> bool:
    """Whether decoding ``text`` can have given a lone surrogate: it holds one already, or
    spells one as an escape (``\\ud…``, a few false alarms included). Searched in the UTF-8
    bytes: much faster than a search of the text or a regular expression."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return b"\\ud" in data or b"\\uD" in data


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, value)
    return value


def _replaced(value: Any) -> Any:
    """``value`` with its strings' surrogates replaced; walked without recursion, so a document
    as deep as ``json`` accepts never overflows the stack here."""
    if isinstance(value, str):
        return _text(value)
    if not isinstance(value, dict | list):
        return value
    stack: list[dict[str, Any] | list[Any]] = [value]
    while stack:
        container = stack.pop()
        if isinstance(container, list):
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = _text(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
            continue
        items = []
        for key, item in container.items():
            if isinstance(item, str):
                item = _text(item)
            elif isinstance(item, dict | list):
                stack.append(item)
            items.append((_text(key), item))
        container.clear()  # rebuilt in order: a key may have changed too
        container.update(items)
    return value
