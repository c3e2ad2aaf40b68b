"""The layers stay honest: the core never imports Textual; the CLI answers fast."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import retention_tui

CORE = [
    *sorted(
        f"retention_tui.{m.name}"
        for m in pkgutil.iter_modules(retention_tui.__path__)
        if m.name not in ("tui", "__main__")
    ),
    "retention_tui.db",
    "retention_tui.db.schema",
    "retention_tui.db.connection",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_help_and_a_report_answer_in_under_half_a_second(db_path: Path) -> None:
    exe = Path(sys.executable).with_name("retention-tui")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "retention_tui"]
    for args in (["--help"], ["--db", str(db_path), "report", "summary"]):
        best = 9.0
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(command + args, capture_output=True, check=True)
            best = min(best, time.perf_counter() - started)
        assert best < 0.5, (args, best)
