"""JSON-safe values and strict readers for them (deltas and snapshots arrive from the wire)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from transcript.exceptions import InvalidDelta

JsonValue: TypeAlias = bool | int | str | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]


def as_object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise InvalidDelta(f"{where}: expected a JSON object")
    return value


def read_str(obj: Mapping[str, object], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise InvalidDelta(f"{where}.{key}: expected a string")
    return value


def read_optional_str(obj: Mapping[str, object], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidDelta(f"{where}.{key}: expected a string or null")
    return value


def read_int(obj: Mapping[str, object], key: str, where: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidDelta(f"{where}.{key}: expected an integer")
    return value


def read_optional_int(obj: Mapping[str, object], key: str, where: str) -> int | None:
    if obj.get(key) is None:
        return None
    return read_int(obj, key, where)


def read_list(obj: Mapping[str, object], key: str, where: str) -> list[object]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise InvalidDelta(f"{where}.{key}: expected a list")
    return value
