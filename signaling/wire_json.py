"""The JSON module Socket.IO uses for its packets (``socketio.AsyncServer(json=...)``).

Encoding uses orjson: a late joiner's transcript snapshot is megabytes (5,000 entries with
their histories), and the standard library takes several times longer to encode it, while
the courtroom's lock is held. Decoding what clients send stays with engineio's standard-library
``loads`` (it refuses absurdly long integers), so input is read exactly as before.
"""

from __future__ import annotations

from typing import Any

import orjson
from engineio import json as _engineio_json

loads = _engineio_json.loads


def dumps(value: Any, **_options: Any) -> str:
    """Compact JSON text (the ``separators`` python-socketio passes are orjson's only form)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
