"""The command line: staff accounts, hearings with invitations, listing, dev certificates."""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from hearing_server.app import create_app
from hearing_server.settings import load_settings
from hearing_server.tls import server_ssl_context
from tests.support.processes import run_cli


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {"HEARING_DATA_DIR": str(tmp_path / "data"), "HEARING_PUBLIC_URL": "https://court.test"}


async def test_staff_and_hearing_commands(cli_env: dict[str, str], tmp_path: Path) -> None:
    added = await run_cli(
        "staff", "add", "--role", "judge", "--username", "wang", "--display-name", "王法官",
        env=cli_env, stdin="a-long-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "data" / "hearing.db").exists()
    short = await run_cli(
        "staff", "add", "--role", "clerk", "--username", "li", env=cli_env, stdin="short\n"
    )
    assert short.returncode == 2
    assert "password" in short.stderr
    await run_cli(
        "staff", "add", "--role", "clerk", "--username", "li", env=cli_env, stdin="clerk-pass-1\n"
    )
    created = await run_cli(
        "hearing", "create", "--case-number", "(2026)京0105民初1号", "--title", "合同纠纷",
        "--judge", "wang", "--clerk", "li", "--party", "plaintiff:张三",
        "--party", "defendant:Li Si", "--start", "2026-05-11T09:30:00+08:00", "--json",
        env=cli_env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    result = json.loads(created.stdout)
    assert result["hearing"]["scheduled_start"] == "2026-05-11T01:30:00.000Z"
    invitations = result["invitations"]
    assert [(i["role"], i["name"]) for i in invitations] == [
        ("plaintiff", "张三"),
        ("defendant", "Li Si"),
    ]
    assert invitations[0]["link"].startswith("https://court.test/j/")
    assert invitations[0]["access_code"] in invitations[0]["text"]["zh-CN"]
    listed = await run_cli("hearing", "list", "--json", env=cli_env)
    assert [h["case_number"] for h in json.loads(listed.stdout)] == ["(2026)京0105民初1号"]
    bad_party = await run_cli(
        "hearing", "create", "--case-number", "x", "--title", "y", "--judge", "wang",
        "--party", "king:Arthur", env=cli_env,
    )  # fmt: skip
    assert bad_party.returncode == 2
    assert "unknown role" in bad_party.stderr
    verify = await run_cli("events", "verify", str(result["hearing"]["id"]), env=cli_env)
    assert verify.returncode == 0


async def test_dev_cert_serves_https(cli_env: dict[str, str], tmp_path: Path) -> None:
    made = await run_cli("dev-cert", "--cert-host", "192.168.1.20", env=cli_env)
    assert made.returncode == 0, made.stderr
    cert = tmp_path / "data" / "tls" / "cert.pem"
    key = tmp_path / "data" / "tls" / "key.pem"
    assert key.stat().st_mode & 0o077 == 0
    text = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-text"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    assert "IP Address:192.168.1.20" in text
    assert "IP Address:127.0.0.1" in text

    settings = load_settings(
        environ={"HEARING_DATA_DIR": str(tmp_path / "data")},
        overrides={"tls_cert": cert, "tls_key": key, "port": 0},
    )
    context = server_ssl_context(settings)
    assert context is not None
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        trust = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as client:
            async with client.get(f"https://127.0.0.1:{port}/healthz", ssl=trust) as response:
                assert response.status == 200
                assert "max-age" in response.headers["Strict-Transport-Security"]
    finally:
        await runner.cleanup()


def test_settings_from_environment_and_flags(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"HEARING_PORT": "9443", "HEARING_HOST": "0.0.0.0", "HEARING_DATA_DIR": "/srv/h"},
        overrides={"port": 9000, "public_url": None},
    )
    assert settings.port == 9000
    assert settings.host == "0.0.0.0"
    assert settings.effective_database_url == "sqlite+aiosqlite:////srv/h/hearing.db"
    assert settings.effective_public_url == "http://0.0.0.0:9000"
    from hearing_server.domain.exceptions import ConfigError

    with pytest.raises(ConfigError, match="both a certificate and a key"):
        load_settings(environ={"HEARING_TLS_CERT": str(tmp_path / "c.pem")})
    with pytest.raises(ConfigError, match="HEARING_PORT"):
        load_settings(environ={"HEARING_PORT": "eighty"})
