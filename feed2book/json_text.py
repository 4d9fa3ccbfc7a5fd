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
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # in the JSON text: only escapes make them
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: str) -> Any:
    """``json.loads`` with every lone surrogate of the decoded strings replaced by U+FFFD.

    Raises what ``json.loads`` raises (``JSONDecodeError``, ``RecursionError``).
    """
    value = json.loads(text)
    if not _ESCAPED_SURROGATE.search(text) and not _SURROGATE.search(text):
        return value  # the common case: nothing to replace, nothing walked
    return _replaced(value)


def _text(value: str) -> str:
    return _SURROGATE.sub(REPLACEMENT, value)


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
