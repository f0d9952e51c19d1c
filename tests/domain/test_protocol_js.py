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
