"""``json_text.loads``: JSON whose strings can always be written back out as UTF-8."""

from __future__ import annotations

import json

import pytest

from feed2book.parse import json_text


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('"\\ud800"', "\ufffd"),
        ('"a\\udc00b\\udfff"', "a\ufffdb\ufffd"),
        ('"\\ud83d\\ude00"', "\U0001f600"),  # a pair is one character: kept
        ('"\\ude00\\ud83d"', "\ufffd\ufffd"),  # the wrong order is two lone halves
        ('"\\\\ud800"', "\\ud800"),  # an escaped backslash, then plain text
        (
            '{"k\\ud800": ["x", {"y": "\\udbff"}], "n": 1}',
            {"k\ufffd": ["x", {"y": "\ufffd"}], "n": 1},
        ),
        ("[1, 2.5, true, null]", [1, 2.5, True, None]),
    ],
)
def test_lone_surrogates_are_replaced_and_everything_else_kept(
    document: str, expected: object
) -> None:
    value = json_text.loads(document)
    assert value == expected
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # writable


def test_a_document_as_deep_as_json_accepts_is_walked_without_recursion() -> None:
    depth = 900
    value = json_text.loads("[" * depth + '"\\ud800"' + "]" * depth)
    for _ in range(depth):
        value = value[0]
    assert value == "\ufffd"


def test_what_json_rejects_is_still_rejected() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_text.loads('{"a": "\\ud800"')
