"""The import layers of docs/architecture.md hold over the real import graph.

``lint-imports`` (import-linter, configured in pyproject.toml) is what ``scripts/test`` runs; it
is run here too so that pytest alone fails on an import against the layers. Two things
import-linter cannot say are checked directly: that ``hearing_server.domain`` imports the
standard library only, and that every top-level module of ``hearing_server`` and ``signaling``
sits in some layer (a new one cannot slip past the contract unnamed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hearing_server", "signaling", "recording", "transcript")


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _layered_modules() -> set[str]:
    names: set[str] = set()
    for contract in _contracts():
        if contract["type"] == "layers":
            layers = contract["layers"]
            assert isinstance(layers, list)
            for layer in layers:
                for name in layer.replace("|", ":").split(":"):
                    names.add(name.strip().strip("()"))
    return names


def _project_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


def test_lint_imports_keeps_every_contract() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), "import-linter is in the test extra: pip install -e '.[test]'"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        env=_project_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_domain_imports_the_standard_library_only() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=True)
    outside = {
        (importer, imported)
        for importer in graph.find_descendants("hearing_server.domain") | {"hearing_server.domain"}
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.split(".")[0] not in PACKAGES
        and imported.split(".")[0] not in sys.stdlib_module_names
    }
    assert outside == set()


def test_every_top_level_module_is_in_a_layer() -> None:
    graph = grimp.build_graph(*PACKAGES)
    layered = _layered_modules()
    unplaced = {
        child
        for package in ("hearing_server", "signaling")
        for child in graph.find_children(package)
        if child not in layered
    }
    assert unplaced == set(), "name them in pyproject's [tool.importlinter] layers"
    assert {"recording", "transcript"} <= layered
