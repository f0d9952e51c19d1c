"""Every REST request schema is a declaration the one validation mechanism can read."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import hearing_server.web
from hearing_server.domain.validation import Schema, declarations


def _schemas() -> set[type[Schema]]:
    found: set[type[Schema]] = set()
    for module_info in pkgutil.iter_modules(hearing_server.web.__path__):
        module = importlib.import_module(f"hearing_server.web.{module_info.name}")
        found |= {
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Schema) and value is not Schema
        }
    return found


def test_every_request_schema_declares_a_rule_for_each_field() -> None:
    schemas = _schemas()
    assert len(schemas) >= 15
    for schema in schemas:
        declared = [field.name for field in declarations(schema)]
        assert sorted(declared) == sorted(f.name for f in dataclasses.fields(schema)), schema
