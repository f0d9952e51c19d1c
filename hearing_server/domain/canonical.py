"""Canonical JSON: one byte form per value, so hashes and signatures are stable.

The form follows RFC 8785 (JSON Canonicalization Scheme) for the values this
project uses: objects with keys sorted by UTF-16 code units, no insignificant
whitespace, strings as UTF-8 with only the escapes JSON requires, integers as
plain decimals. Floats are refused: every number we sign is an integer
(milliseconds, counts), which keeps the form exact across platforms.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any


class CanonicalJSONError(ValueError):
    """A value that has no canonical JSON form here (float, NaN, bytes, ...)."""


def _utf16_key(key: str) -> list[int]:
    encoded = key.encode("utf-16-be")
    return [int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2)]


def _check(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise CanonicalJSONError(f"{path}: floats are not allowed in canonical JSON")
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{path}: object keys must be strings")
            items.append((key, _check(item, f"{path}.{key}")))
        items.sort(key=lambda pair: _utf16_key(pair[0]))
        return dict(items)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_check(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise CanonicalJSONError(f"{path}: {type(value).__name__} has no JSON form")


def canonical_json(value: Any) -> bytes:
    """Return the canonical UTF-8 bytes of ``value``."""
    checked = _check(value, "$")
    return json.dumps(checked, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of the canonical form of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
