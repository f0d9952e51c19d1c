"""The web client's generated vocabulary (static/js/protocol.js, the i18n keys) is up to date,
and the client's scripts take roles, stages and pause reasons from it instead of copies."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from hearing_server.domain.roles import Role
from hearing_server.domain.stages import PauseReason, Stage

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "web_client" / "static" / "js"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_protocol", ROOT / "scripts" / "gen_protocol.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_files_match_the_python_definitions() -> None:
    files = generator().generated(ROOT)
    assert SCRIPTS / "protocol.js" in files
    stale = [
        str(path.relative_to(ROOT))
        for path, text in files.items()
        if path.read_text("utf-8") != text
    ]
    assert stale == [], f"run scripts/gen_protocol.py: {stale} are out of date"


def test_check_mode_finds_a_stale_file_and_writing_fixes_it(tmp_path: Path) -> None:
    module = generator()
    (tmp_path / "web_client" / "static" / "js").mkdir(parents=True)
    (tmp_path / "web_client" / "i18n").mkdir(parents=True)
    for tag in ("zh-CN", "en"):
        source = ROOT / "web_client" / "i18n" / f"{tag}.json"
        stale = source.read_text("utf-8").replace('"role.judge"', '"role.judge.old"')
        (tmp_path / "web_client" / "i18n" / f"{tag}.json").write_text(stale, "utf-8")
    assert module.main(["--check"], root=tmp_path) == 1
    assert not (tmp_path / "web_client" / "static" / "js" / "protocol.js").exists()
    assert module.main([], root=tmp_path) == 0
    assert module.main(["--check"], root=tmp_path) == 0
    written = (tmp_path / "web_client" / "static" / "js" / "protocol.js").read_text("utf-8")
    assert written == (SCRIPTS / "protocol.js").read_text("utf-8")


def test_the_script_runs_from_a_checkout() -> None:
    script = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protocol.py"), "--check"],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert script.returncode == 0, script.stderr


def test_protocol_js_holds_every_value() -> None:
    text = (SCRIPTS / "protocol.js").read_text("utf-8")
    for value in [*Role, *Stage, *PauseReason]:
        assert f'"{value.value}"' in text


def test_scripts_do_not_keep_their_own_lists() -> None:
    # A quoted list of two or more roles or stages in a script is a copy that will drift.
    values = "|".join(v.value for v in [*Role, *Stage, *PauseReason])
    copy = re.compile(rf'\[\s*"(?:{values})"\s*,\s*"(?:{values})"')
    copies = [
        script.name
        for script in SCRIPTS.glob("*.js")
        if script.name != "protocol.js" and copy.search(script.read_text("utf-8"))
    ]
    assert copies == []


# Event names: the server sends only ServerEvent names, scripts use only generated ones. ----

_SENDERS = {  # a call that sends an event -> the position of the event's name
    "to_room": 1, "to_member": 2, "to_admitted": 1, "to_staff": 1, "to_hearing": 1,
    "to_connection": 1, "notify_staff": 2, "_tell": 2, "emit": 0,
}  # fmt: skip


def _sent_event_names() -> set[str]:
    import ast

    names: set[str] = set()
    for folder in ("hearing_server", "signaling"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not isinstance(node, ast.Call) or not isinstance(
                    node.func, ast.Attribute | ast.Name
                ):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                position = _SENDERS.get(name)
                if position is None or len(node.args) <= position:
                    continue
                argument = node.args[position]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    names.add(argument.value)
    return names


def test_the_server_sends_only_named_events() -> None:
    from hearing_server.domain.events import ServerEvent

    sent = _sent_event_names()
    assert {"room_update", "admitted", "transcript_delta", "signing", "track_map"} <= sent
    assert sent - set(ServerEvent) == set(), "add them to hearing_server/domain/events.py"


def test_scripts_use_only_generated_event_names() -> None:
    from hearing_server.domain.events import ServerEvent
    from signaling.protocol.messages import PARSERS

    scripts = {path.name: path.read_text("utf-8") for path in SCRIPTS.glob("*.js")}
    listened = {
        (name, event)
        for name, text in scripts.items()
        for event in re.findall(r'socket\??\.on\("([a-z_]+)"', text)
    }
    assert {event for _, event in listened} <= {"connect", "disconnect", "connect_error"}
    constants = {
        m for text in scripts.values() for m in re.findall(r"SERVER_EVENT\.([A-Z_]+)", text)
    }
    assert constants and constants <= {event.name for event in ServerEvent}
    sent = {
        (name, event)
        for name, text in scripts.items()
        for event in re.findall(r'(?:\.call|emitWithAck)\("([a-z_]+)"', text)
    }
    assert {"join", "offer", "transcript_sync"} <= {event for _, event in sent}
    unknown = {(name, event) for name, event in sent if event not in PARSERS}
    assert unknown == set(), "events the server does not take"
