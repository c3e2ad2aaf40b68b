"""The real app over a real terminal, as an SSH session runs it (tests/pty_app.py).

For TERM=xterm-256color, xterm, screen, linux and NO_COLOR=1 at 80x24 (and one at 120x40):
the desktop is readable on a terminal emulator (pyte) - its labels, no escape sequences shown
as text -, a search changes the count shown, a cursor key costs a line or two and not a
full-screen paint, and ctrl+q leaves with exit code 0 and the terminal restored.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pyte")

from pty_app import (
    ALT_SCREEN_OFF,
    ALT_SCREEN_ON,
    GARBAGE,
    PtyApp,
    app_command,
    desktop_ready,
    one_frame,
    shown_count,
    terminal_env,
)

TODAY = "2026-11-23"
LABELS = ("Search name, number", "300 customers · sorted by Name", "Phone", "City", "Search")
FOOTER = ("Filter", "Clear")
# Cursor down repaints the row left and the row reached: ~540 bytes each at 80 columns in
# 256 colours, ~320 in 16. A whole screen is 10-20 KB; the table alone 7-12 KB.
CURSOR_CEILING = 3_000

SETTINGS = [
    pytest.param("xterm-256color", False, (80, 24), id="xterm-256color"),
    pytest.param("xterm", False, (80, 24), id="xterm"),
    pytest.param("screen", False, (80, 24), id="screen"),
    pytest.param("linux", False, (80, 24), id="linux"),
    pytest.param("xterm-256color", True, (80, 24), id="NO_COLOR"),
    pytest.param("xterm-256color", False, (120, 40), id="xterm-256color-120x40"),
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 demo customers (the same every time), built once by the real command line."""
    folder = tmp_path_factory.mktemp("terminals")
    db = folder / "demo.db"
    env = terminal_env("xterm-256color", RETENTION_TUI_TODAY=TODAY, XDG_DATA_HOME=str(folder))
    subprocess.run(
        [*app_command(), "--db", str(db), "demo", "--customers", "300", "--no-open"],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return db


@pytest.fixture
def run_app(demo_db: Path) -> Iterator:
    started: list[PtyApp] = []

    def run(term: str, no_color: bool, size: tuple[int, int]) -> PtyApp:
        env = terminal_env(term, no_color, RETENTION_TUI_TODAY=TODAY)
        app = PtyApp([*app_command(), "--db", str(demo_db)], env, *size)
        started.append(app)
        return app

    yield run
    for app in started:
        app.close()


@pytest.mark.timeout(90)
@pytest.mark.parametrize(("term", "no_color", "size"), SETTINGS)
def test_readable_and_light_on_the_line(run_app, term: str, no_color: bool, size) -> None:
    app = run_app(term, no_color, size)
    text = app.wait_for(lambda t: desktop_ready(t) and all(f in t for f in FOOTER), 60)
    app.wait_quiet(0.5, 30)
    text = app.text()
    for label in LABELS:
        assert label in text, f"{label!r} not on screen:\n{text}"
    assert not GARBAGE.search(text), f"escape sequences shown as text:\n{text}"
    assert shown_count(text) == "300"
    lines = text.splitlines()
    assert len(lines) == size[1] and lines[-1].strip(), "the footer is on the last line"

    # A cursor key repaints a line or two, never the screen (a full paint is many KB).
    before_keys = app.total
    costs = [app.key("down", quiet=0.25, timeout=30) for _ in range(3)]
    assert all(0 < cost <= CURSOR_CEILING for cost in costs), costs
    if (term, no_color, size) == ("xterm-256color", False, (80, 24)):
        full = one_frame(app.output[:before_keys])  # the startup paints every line
        assert max(costs) * 5 < full, (costs, full)
        idle = app.total
        time.sleep(1.0)
        assert app.total == idle, "the desktop writes while nobody types"

    # A search: the count shown changes to "N of 300".
    app.send("/")
    app.send("kok")
    text = app.wait_for(lambda t: " of 300" in (shown_count(t) or ""), 30)
    assert "Kok" in text
    assert not GARBAGE.search(text), text

    # Leave the box, quit: exit code 0, the alternate screen left, the cursor shown again.
    app.key("escape", quiet=0.2, timeout=30)
    app.send("ctrl+q")
    assert app.wait_exit(30) == 0
    output = app.output
    assert output.rfind(ALT_SCREEN_OFF) > output.rfind(ALT_SCREEN_ON) >= 0
    assert output.rfind(b"\x1b[?25h") > output.rfind(ALT_SCREEN_ON)
