"""The JSON Lines output against its documented JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from feed2book.cli.commands import app
from tests.conftest import EXAMPLES, REPO

SCHEMA = json.loads((REPO / "feed2book" / "schema" / "article.schema.json").read_text())


def records(*sources: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["jsonl", *sources, "--content", "all"])
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_examples_match_the_schema_in_key_order() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    found = records(str(EXAMPLES))
    assert found
    for record in found:
        validator.validate(record)
        assert list(record) == list(SCHEMA["properties"])


def test_seeds_match_the_schema_and_carry_series(seeds: list[Path]) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    found = records(*map(str, seeds))
    for record in found:
        validator.validate(record)
    series = {r["series"]["index"] for r in found if r["series"]}  # type: ignore[index]
    assert series == {19, 20, 21, 22, 23, 24, 25, 28, 29, 30, 31, 32, 33, 45, 46, 47, 48, 49}


def test_non_ascii_is_written_as_is() -> None:
    line = CliRunner().invoke(app, ["jsonl", str(EXAMPLES), "--author", "tomas_ferreira"]).stdout
    assert "Tomás Ferreira" in line


@pytest.mark.parametrize("field", ["published", "updated"])
def test_dates_are_utc_with_z(field: str) -> None:
    for record in records(str(EXAMPLES)):
        value = record[field]
        assert value is None or str(value).endswith("Z")
