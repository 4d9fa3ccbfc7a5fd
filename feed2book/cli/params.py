"""A command's options as one typed, frozen dataclass.

typer wants a function whose parameters are the options; feed2book's commands instead take one
dataclass (``EpubOptions``…) whose fields are those options, declared with the ``Annotated``
aliases of ``cli.options``. ``command`` makes the function typer wants: the dataclass's
fields, nested dataclasses flattened in place (a group of options declared once and shared,
such as ``SelectionOptions``), become its parameters in order; a call builds the dataclass and
hands it to the command. So ``--help`` lists the options as before, and a command is also
called from Python with a value (``sync --send`` runs ``epub`` so).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_type_hints

import typer

from feed2book.cli.console import Environment

Options = TypeVar("Options")


def _is_group(hint: object) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _parameters(cls: type[Any]) -> list[inspect.Parameter]:
    """The options of ``cls`` (its groups' options in their place), as typer parameters."""
    hints = get_type_hints(cls, include_extras=True)
    found: list[inspect.Parameter] = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if _is_group(hint):
            found += _parameters(hint)
            continue
        if field.default is dataclasses.MISSING:
            default: object = inspect.Parameter.empty
        else:
            default = field.default
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        found.append(inspect.Parameter(field.name, kind, default=default, annotation=hint))
    return found


def build(cls: type[Options], values: Mapping[str, Any]) -> Options:
    """The dataclass ``cls`` made of the flat option ``values`` (by parameter name)."""
    hints = get_type_hints(cls, include_extras=True)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        hint = hints[field.name]
        if _is_group(hint):
            fields[field.name] = build(hint, values)
        elif field.name in values:
            fields[field.name] = values[field.name]
    return cls(**fields)


def command(function: Callable[[Environment, Options], None]) -> Callable[..., None]:
    """The typer command for ``function``, which takes the ``Environment`` it runs in
    (``Environment.of``) and one options dataclass (its second parameter's annotation)."""
    _, name = inspect.signature(function).parameters
    cls = get_type_hints(function)[name]
    parameters = _parameters(cls)
    names = [parameter.name for parameter in parameters]
    if len(set(names)) != len(names) or "ctx" in names:
        raise TypeError(f"{cls.__name__}: two options share a name: {sorted(names)}")
    context = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )

    @functools.wraps(function)
    def typer_command(ctx: typer.Context, **values: Any) -> None:
        function(Environment.of(ctx), build(cls, values))

    del typer_command.__wrapped__  # typer must see the flat signature, not the dataclass
    signature = inspect.Signature([context, *parameters])
    typer_command.__signature__ = signature  # type: ignore[attr-defined]
    typer_command.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return typer_command
