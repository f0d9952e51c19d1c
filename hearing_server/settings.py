"""One typed settings object, read once from ``HEARING_*`` variables and CLI flags."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hearing_server.domain.exceptions import ConfigError

ENV_PREFIX = "HEARING_"


@dataclass(frozen=True)
class Settings:
    """Everything the server and its CLI need to know about their environment."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    database_url: str = ""
    public_url: str = ""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    court_name: str = "Hearing Server Court"
    invitation_early_minutes: int = 30
    staff_session_hours: int = 12
    login_failures_per_window: int = 5
    login_window_seconds: int = 60
    login_source_failures_per_window: int = 50
    login_account_failures_per_window: int = 20
    login_max_lockout_seconds: int = 3600
    max_request_bytes: int = 64 * 1024
    ice_servers: tuple[str, ...] = field(default_factory=tuple)
    turn_secret: str = ""
    turn_ttl_seconds: int = 3600
    reconnect_grace_seconds: int = 60
    recording_segment_seconds: int = 60
    recording_queue_frames: int = 2000
    time_zone: str = "Asia/Shanghai"
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hearing.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        """The configured public URL, else (on loopback) the bind address and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return local_url(self.host, self.port, tls=self.tls_enabled)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def local_url(host: str, port: int, *, tls: bool) -> str:
    """``scheme://host:port`` for an address the server is bound to (IPv6 in brackets)."""
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_public_url(settings: Settings) -> None:
    """Off loopback, links and allowed origins need a configured public URL: the Host header
    a caller sends is never trusted for them (it could say evil.example)."""
    if not settings.public_url and not is_loopback(settings.host):
        raise ConfigError(
            f"--host {settings.host} is reachable from other machines, so set the public URL "
            "people open (HEARING_PUBLIC_URL or --public-url, e.g. https://hearing.example.court"
            "): invitation links and the allowed origins come only from it"
        )


def _convert(name: str, raw: str, annotation: str) -> Any:
    try:
        if annotation == "int":
            return int(raw)
        if annotation == "Path":
            return Path(raw)
        if annotation == "Path | None":
            return Path(raw) if raw else None
        if annotation.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: {exc}") from None
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from the environment, then apply CLI overrides (``None`` = unset)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for fld in dataclasses.fields(Settings):
        raw = env.get(ENV_PREFIX + fld.name.upper())
        if raw is not None:
            values[fld.name] = _convert(fld.name, raw, str(fld.type))
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    settings = Settings(**values)
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise ConfigError("TLS needs both a certificate and a key (--tls-cert and --tls-key)")
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port out of range: {settings.port}")
    return settings
