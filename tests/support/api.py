"""A small HTTP client for the real server: JSON in, JSON out, cookies kept like a browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and "error" in self.body:
            return str(self.body["error"]["code"])
        return None


class ApiClient:
    """One browser-like caller: its own cookie jar, Origin header set to the server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[URL(self.base_url)])
        self.session = aiohttp.ClientSession(
            cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=20)
        )
        self.bearer: str | None = None

    async def close(self) -> None:
        await self.session.close()

    async def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | str | None = None,
    ) -> Reply:
        all_headers = {"Origin": self.base_url}
        if self.bearer:
            all_headers["Authorization"] = f"Bearer {self.bearer}"
        all_headers.update(headers or {})
        async with self.session.request(
            method, self.base_url + path, json=json, data=data, headers=all_headers
        ) as response:
            text = await response.text()
            try:
                body: Any = await response.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Reply(response.status, body, dict(response.headers))

    async def get(self, path: str) -> Reply:
        return await self.request("GET", path)

    async def post(self, path: str, json: Any = None) -> Reply:
        return await self.request("POST", path, json if json is not None else {})

    async def patch(self, path: str, json: Any) -> Reply:
        return await self.request("PATCH", path, json)

    async def delete(self, path: str) -> Reply:
        return await self.request("DELETE", path)

    def cookie(self, name: str) -> str | None:
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None
