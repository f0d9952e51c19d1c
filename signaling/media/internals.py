"""One check for the aiortc/aioice internals the media engine hooks into.

Each hooking module lists the signatures it calls and the source fragments that show the data
flow it relies on; ``moved`` names every one that an upgrade changed, so start-up fails loudly
instead of forwarding media wrongly.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

Signature = tuple[object, str, tuple[str, ...]]  # (owner, attribute, parameter names)
Fragment = tuple[object, str, str]  # (owner, attribute, a line of its source)


def private(owner: object, cls: type, name: str) -> Any:
    """``owner``'s name-mangled ``__name`` attribute of class ``cls`` (aiortc's privates)."""
    return getattr(owner, f"_{cls.__name__}__{name}")


def _missing(owner: object, name: str) -> str:
    return f"{getattr(owner, '__name__', owner)}.{name} is gone"


def moved(signatures: Iterable[Signature], fragments: Iterable[Fragment]) -> list[str]:
    problems = []
    for owner, name, expected in signatures:
        target = getattr(owner, name, None)
        if target is None:
            problems.append(_missing(owner, name))
            continue
        parameters = tuple(inspect.signature(target).parameters)
        if parameters != expected:
            problems.append(f"{name}{parameters} is not {name}{expected}")
    for owner, name, fragment in fragments:
        function = getattr(owner, name, None)
        if function is None:
            problems.append(_missing(owner, name))
        elif fragment not in inspect.getsource(function):
            problems.append(f"{function.__qualname__} no longer contains {fragment!r}")
    return problems


def require_unmoved(problems: list[str]) -> None:
    if problems:
        raise RuntimeError("aiortc internals moved: " + "; ".join(problems))
