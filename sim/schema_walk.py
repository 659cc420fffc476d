"""Walking a pydantic schema's keys: the dotted path of every value it accepts.

Used by the scenario schema itself (to suggest the key meant by a mistyped
one) and by the key reference generator (:mod:`sim.keyref`), so that both see
the same keys without either importing the other.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class SchemaKey:
    """One key of a schema.

    Attributes:
        key: Dotted path; ``[]`` marks an item of a list (``incidents.events[].week``).
        owner: The model class that declares the field.
        name: The field's name.
        field: The pydantic field.
        table_list: Whether the key holds a list of tables (its items' keys follow).
    """

    key: str
    owner: type[BaseModel]
    name: str
    field: FieldInfo
    table_list: bool = False


def strip_optional(tp: Any) -> Any:
    """``X`` for ``X | None``; any other type unchanged."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def model_of(tp: Any) -> type[BaseModel] | None:
    """The pydantic model class a field type is (through ``| None``), else None."""
    tp = strip_optional(tp)
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return tp
    return None


def list_item(tp: Any) -> Any:
    """The item type of a ``list[...]`` field type, else None."""
    tp = strip_optional(tp)
    if typing.get_origin(tp) is list:
        return typing.get_args(tp)[0]
    return None


def walk(cls: type[BaseModel], prefix: str = "") -> Iterator[SchemaKey]:
    """Every key of a schema, in declaration order.

    Nested tables are walked into (the table itself is not a key); a list of
    tables is a key, followed by its items' keys under ``key[].``.

    Args:
        cls: The model class.
        prefix: Path of ``cls`` followed by a dot (``""`` at the top).

    Yields:
        One entry per key.
    """
    for name, field in cls.model_fields.items():
        key = f"{prefix}{name}"
        sub = model_of(field.annotation)
        if sub is not None:
            yield from walk(sub, f"{key}.")
            continue
        item = list_item(field.annotation)
        item_model = model_of(item) if item is not None else None
        if item_model is not None:
            yield SchemaKey(key, cls, name, field, table_list=True)
            yield from walk(item_model, f"{key}[].")
            continue
        yield SchemaKey(key, cls, name, field)


def key_paths(cls: type[BaseModel]) -> list[str]:
    """Every dotted key of a schema, with ``[]`` for list items.

    Args:
        cls: The model class.

    Returns:
        The keys, in declaration order.
    """
    return [k.key for k in walk(cls)]
