"""The house rules of the layout: persona_lab never imports streamlit (nor the app), the app's
cached calls live in ui/runs.py, its session keys are declared in ui/state.py."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = sorted([ROOT / "app.py", *(ROOT / "ui").rglob("*.py")])


def _modules() -> list[str]:
    package = ROOT / "persona_lab"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_no_persona_lab_module_imports_streamlit_or_the_app():
    modules = _modules()
    assert len(modules) > 50 and "persona_lab.cli" in modules and "persona_lab.personas.edits" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'ui', 'app'))))\n"
    )
    # A fresh interpreter: this test process has imported streamlit already.
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _cache_decorated(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                    found.append(node.name)
    return found


def test_every_cached_call_of_the_app_is_in_ui_runs():
    cached = {str(p.relative_to(ROOT)): names for p in UI_FILES if (names := _cache_decorated(ast.parse(p.read_text())))}
    assert list(cached) == ["ui/runs.py"] and len(cached["ui/runs.py"]) >= 20


def _state_setdefaults(tree: ast.AST) -> list[int]:
    """Lines calling ``st.session_state.setdefault``: a key created outside ui/state.py."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault"
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session_state"]


def test_session_keys_are_declared_in_ui_state_only():
    offenders = {str(p.relative_to(ROOT)): lines for p in UI_FILES
                 if p.name != "state.py" and (lines := _state_setdefaults(ast.parse(p.read_text())))}
    assert offenders == {}


def test_the_app_is_not_a_top_level_pages_folder():
    # Streamlit 1.67 switches a process with a pages/ folder beside the entry file to legacy
    # multipage mode until a session runs st.navigation: the first deep link after a restart fails.
    assert not (ROOT / "pages").exists() and (ROOT / "ui" / "pages").is_dir()
