"""The engine's stages hold: import-linter's contracts (.importlinter) pass, and would catch a breach."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.fail("lint-imports is missing: pip install -r requirements-dev.txt")
    return subprocess.run([exe, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120)


def copy_of_the_code(tmp_path: Path) -> Path:
    for name in ("valuation", "ui", "views"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    text = module.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    module.write_text(head + sep + line + "\n" + rest if sep else line + "\n" + text, encoding="utf-8")


def test_the_engine_keeps_its_stages_and_never_imports_streamlit():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_model_module_importing_an_analysis_module_breaks_the_stages(tmp_path):
    root = copy_of_the_code(tmp_path)
    add_import(root / "valuation" / "model" / "tiers.py", "from valuation.analysis import insights  # noqa")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "Engine stages" in result.stdout and "BROKEN" in result.stdout
    assert "valuation.model.tiers -> valuation.analysis.insights" in result.stdout


def test_an_engine_module_importing_streamlit_breaks_the_headless_contract(tmp_path):
    root = copy_of_the_code(tmp_path)
    add_import(root / "valuation" / "data" / "store.py", "import streamlit  # noqa")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "The engine runs headless" in result.stdout and "BROKEN" in result.stdout
