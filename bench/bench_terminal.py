"""Over SSH as it really is: the bytes the desktop sends per keystroke, per terminal type.

Builds (or reuses) a demo database of 20,000 customers, runs the real app in a
pseudo-terminal for TERM=xterm-256color, xterm, screen, linux and xterm-256color with
NO_COLOR=1, at 80x24 and 120x40, and types what an advisor types on the desktop: cursor
down and up through the rows, a page down, a column to the right and back, / and a few
letters of a search, leaving the box, a column filter with f, removing the filters, opening a
card with enter and closing it. After each keystroke it waits until the app has been quiet
for 300 ms and prints the bytes written (and how many times the busiest line was written),
then the median and maximum per keystroke, one full-screen paint for comparison, and the
bytes per second written when nobody types (on the desktop, in the search box, on the
outbox screen). The screen is read back with a terminal emulator (pyte) to check that it is
readable: the desktop's labels, no escape sequences shown as text, the match count changing.

    python bench/bench_terminal.py [--customers 20000] [--dir bench/.data] [--quick]

"merged" is what the same bytes would be if runs of one style were written once (Textual
writes "reset, style" before every segment, and the table's cells are segments).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pty_app import (
    ALT_SCREEN_OFF,
    GARBAGE,
    PtyApp,
    app_command,
    colour_system,
    desktop_ready,
    merged_size,
    one_frame,
    paints,
    shown_count,
    terminal_env,
)

TODAY = dt.date(2026, 11, 23)
SETTINGS: list[tuple[str, bool]] = [
    ("xterm-256color", False),
    ("xterm", False),
    ("screen", False),
    ("linux", False),
    ("xterm-256color", True),
]
SIZES = [(80, 24), (120, 40)]
LABELS = ("Search name, number", "customers · sorted by", "Name", "Search", "Filter")

# (what the advisor does, the key); cursor keys first, then search, filter and card.
ACTIONS: list[tuple[str, str]] = [
    *[("cursor down", "down")] * 5,
    *[("cursor up", "up")] * 3,
    ("page down", "pagedown"),
    ("column right", "right"),
    ("column left", "left"),
    ("/ (to the search box)", "/"),
    ("search: type a letter", "v"),
    ("search: type a letter", "i"),
    ("search: type a letter", "s"),
    ("escape (leave the box)", "escape"),
    ("f (filter Name)", "f"),
    ("filter: type a letter", "e"),
    ("filter: type a letter", "r"),
    ("enter (filter done)", "enter"),
    ("escape (remove filter)", "escape"),
    ("escape (remove search)", "escape"),
    ("enter (open the card)", "enter"),
    ("escape (close the card)", "escape"),
    ("cursor down", "down"),
]
CURSOR = ("cursor down", "cursor up")


def setting_name(term: str, no_color: bool) -> str:
    return f"{term}{' NO_COLOR=1' if no_color else ''}"


def demo_db(folder: Path, customers: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"demo-{customers}.db"
    subprocess.run(
        [*app_command(), "--db", str(db), "demo", "--customers", str(customers), "--no-open"],
        check=True,
        env={**terminal_env("xterm-256color"), "RETENTION_TUI_TODAY": TODAY.isoformat()},
        stdout=subprocess.DEVNULL,
    )
    return db


def palette(data: bytes) -> str:
    """How many distinct colours the bytes use, and whether they are all greys."""
    import re

    codes = set()
    for params in re.findall(rb"\x1b\[([0-9;]*)m", data):
        parts = params.split(b";")
        i = 0
        while i < len(parts):
            if parts[i] in (b"38", b"48") and i + 2 < len(parts) and parts[i + 1] == b"5":
                codes.add(("256", int(parts[i + 2])))
                i += 3
                continue
            if parts[i] in (b"38", b"48") and i + 4 < len(parts) and parts[i + 1] == b"2":
                codes.add(("rgb", tuple(int(p) for p in parts[i + 2 : i + 5])))
                i += 5
                continue
            n = int(parts[i] or 0)
            if 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
                codes.add(("16", n % 10 + (8 if n >= 90 else 0)))
            i += 1

    def grey(code: tuple) -> bool:
        kind, value = code
        if kind == "256":
            if value >= 232 or value in (0, 7, 8, 15, 16, 231):
                return True
            if 16 <= value <= 231:
                v = value - 16
                return v // 36 == (v // 6) % 6 == v % 6
            return False
        if kind == "rgb":
            return len(set(value)) == 1
        return value in (0, 7, 8, 15)

    distinct = {value for value in codes}
    greys = all(grey(code) for code in distinct)
    return f"{len(distinct)} distinct{' (greys only)' if greys else ''}"


def idle_rate(app: PtyApp, seconds: float) -> float:
    before = app.total
    time.sleep(seconds)
    return (app.total - before) / seconds


def one_run(db: Path, term: str, no_color: bool, size: tuple[int, int], quick: bool) -> dict:
    env = terminal_env(term, no_color, RETENTION_TUI_TODAY=TODAY.isoformat())
    cols, rows = size
    result: dict = {"problems": []}
    with PtyApp([*app_command(), "--db", str(db)], env, cols, rows) as app:
        started = time.monotonic()
        text = app.wait_for(desktop_ready, 120)
        app.wait_quiet(1.0, 60)
        result["startup_s"] = time.monotonic() - started
        result["startup_bytes"] = app.total
        text = app.text()
        missing = [label for label in LABELS if label not in text]
        if missing:
            result["problems"].append(f"labels missing at startup: {missing}")
        if GARBAGE.search(text):
            result["problems"].append("escape sequences shown as text")
        result["colours"] = colour_system(app.output)
        # The startup paints every line at least once: its largest write per line is a paint.
        result["full_paint"] = one_frame(app.output)
        result["full_paint_merged"] = (
            merged_size(app.output) * result["full_paint"] // max(1, app.total)
        )
        result["palette"] = palette(app.output)
        result["idle_desktop"] = idle_rate(app, 2.0 if quick else 5.0)

        count_before = shown_count(app.text())
        per_key: list[tuple[str, int, int, int]] = []
        for label, key in ACTIONS:
            before = app.total
            app.key(key, quiet=0.3, timeout=60)
            data = app.output[before:]
            per_key.append((label, len(data), paints(data), merged_size(data)))
            if label.startswith("search: type") and key == "s":
                text = app.wait_for(lambda t: shown_count(t) not in (None, count_before), 60)
                result["count_change"] = f"{count_before} -> {shown_count(text)}"
            if key == "/":
                result["idle_search"] = idle_rate(app, 2.0 if quick else 3.0)
        result["keys"] = per_key

        # A window resize (one line less, then back) repaints everything, more than once.
        before = app.total
        app.full_paint()
        result["resize"] = app.total - before
        result["after_resize"] = app.key("down", quiet=0.3, timeout=60)

        app.key("O", timeout=60)  # the outbox screen reads its list every 2 s
        app.wait_quiet(0.5, 30)
        result["idle_outbox"] = idle_rate(app, 4.0 if quick else 6.0)
        app.key("escape", timeout=60)

        app.send("ctrl+q")
        result["exit"] = app.wait_exit(30)
        tail = app.output[-200:]
        result["alt_screen_left"] = ALT_SCREEN_OFF in tail
    return result


def report(name: str, size: tuple[int, int], r: dict) -> list[int]:
    cols, rows = size
    print(f"\n== TERM={name} at {cols}x{rows}: colours {r['colours']}, "
          f"desktop ready in {r['startup_s']:.1f} s ({r['startup_bytes']:,} bytes), "
          f"exit {r['exit']}, alternate screen left: {r['alt_screen_left']}")  # fmt: skip
    for problem in r["problems"]:
        print(f"   PROBLEM: {problem}")
    print(f"   search count {r.get('count_change', '?')}")
    print(f"   {'action':<28}{'bytes':>8}{'paints':>8}{'merged':>8}")
    for label, size_, times, merged in r["keys"]:
        print(f"   {label:<28}{size_:>8,}{times:>8}{merged:>8,}")
    sizes = [k[1] for k in r["keys"]]
    cursor = [k[1] for k in r["keys"] if k[0] in CURSOR]
    line = f"   per keystroke: median {statistics.median(sizes):,.0f}  max {max(sizes):,}   "
    line += f"cursor up/down: median {statistics.median(cursor):,.0f}  max {max(cursor):,}"
    print(line)
    print(f"   one full-screen paint {r['full_paint']:,} bytes"
          f" (merged runs: ~{r['full_paint_merged']:,})")  # fmt: skip
    print(f"   resize (a line less and back): {r['resize']:,} bytes; the next cursor down "
          f"{r['after_resize']:,}")  # fmt: skip
    print(f"   colours used: {r['palette']}")
    print(f"   idle: desktop {r['idle_desktop']:,.0f} B/s, search box focused "
          f"{r['idle_search']:,.0f} B/s, outbox screen {r['idle_outbox']:,.0f} B/s")  # fmt: skip
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--quick", action="store_true", help="80x24 only, shorter idle")
    args = parser.parse_args()
    started = time.perf_counter()
    db = demo_db(args.dir, args.customers)
    print(f"{args.customers:,} customers at {db} (ready in {time.perf_counter() - started:.0f} s)")
    summary = []
    for size in SIZES[:1] if args.quick else SIZES:
        for term, no_color in SETTINGS:
            name = setting_name(term, no_color)
            result = one_run(db, term, no_color, size, args.quick)
            sizes = report(name, size, result)
            cursor = [k[1] for k in result["keys"] if k[0] in CURSOR]
            summary.append((name, size, statistics.median(cursor), statistics.median(sizes),
                            max(sizes), result["full_paint"], result["idle_desktop"]))  # fmt: skip
    print(f"\n{'TERM':<28}{'size':>8}{'cursor':>8}{'median':>8}{'max':>8}{'full':>8}{'idle':>8}")
    for name, (cols, rows), cursor, median, largest, full, idle in summary:
        print(f"{name:<28}{f'{cols}x{rows}':>8}{cursor:>8,.0f}{median:>8,.0f}{largest:>8,}"
              f"{full:>8,}{idle:>8,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
