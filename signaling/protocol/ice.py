"""ICE servers handed to clients, with time-limited TURN credentials (coturn's REST scheme)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any


def turn_credentials(secret: str, user: str, *, now_s: int, ttl_s: int) -> tuple[str, str]:
    """username = "<expiry unix time>:<user>", credential = base64(HMAC-SHA1(secret, username))."""
    username = f"{now_s + ttl_s}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(
    urls: tuple[str, ...], *, turn_secret: str, user: str, now_s: int, ttl_s: int
) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    stun = [u for u in urls if u.startswith(("stun:", "stuns:"))]
    turn = [u for u in urls if u.startswith(("turn:", "turns:"))]
    if stun:
        servers.append({"urls": stun})
    if turn and turn_secret:
        username, credential = turn_credentials(turn_secret, user, now_s=now_s, ttl_s=ttl_s)
        servers.append({"urls": turn, "username": username, "credential": credential})
    return servers
