"""Every main screen at 80x24 in the test's language: it opens, shows a known label in that
language, and its lines fit the terminal (wide Chinese characters included)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from rich.cells import cell_len
from textual.pilot import Pilot

from retention_tui.i18n import _, current_language, pgettext
from retention_tui.tui.app import RetentionApp

SIZE = (80, 24)

# key(s) from the desktop -> the labels one of which that screen shows, in the language
SCREENS: dict[str, tuple[tuple[str, ...], list[tuple[str | None, str]]]] = {
    "desktop": ((), [(None, "Filter"), (None, "Search")]),
    "loyalty table": (("m",), [(None, "Active"), (None, "Lapsed")]),
    "customer card": (("enter",), [(None, "Last visit")]),
    "overview": (("o",), [(None, "Customers")]),
    "departed": (("D",), [(None, "Departed")]),
    "churn": (("L",), [(None, "Churn")]),
    "advisors": (("A",), [(None, "Retention per advisor"), (None, "Advisor")]),
    "reasons": (("R",), [(None, "Reasons")]),
    "campaigns": (("K",), [(None, "Members"), ("period", "From")]),
    "tag catalogue": (("T",), [(None, "Retire")]),
    "trade-in": (("I",), [(None, "Brand")]),
    "outbox": (("O",), [(None, "Retry")]),
    "help": (("f1",), [(None, "Filter"), (None, "Search")]),
    "command palette": (("ctrl+p",), [(None, "Search for commands…")]),
}


def screen_text(app: RetentionApp) -> list[str]:
    """The lines on the terminal, as the advisor reads them."""
    svg = app.export_screenshot()
    lines: dict[str, list[str]] = {}
    for y, text in re.findall(r'<text[^>]*y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        lines.setdefault(y, []).append(html.unescape(text).replace("\xa0", " "))
    return ["".join(parts) for _y, parts in sorted(lines.items(), key=lambda i: float(i[0]))]


async def settle(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_every_screen_speaks_the_language_at_80x24(desk_db: Path) -> None:
    app = RetentionApp(db_path=desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        desktop = app.screen
        for screen, (keys, labels) in SCREENS.items():
            wanted = [pgettext(context, text) if context else _(text) for context, text in labels]
            if current_language() != "en":  # the catalogue has it: some label reads otherwise
                assert any(w != text for w, (_c, text) in zip(wanted, labels, strict=True)), (
                    screen,
                    wanted,
                )
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            lines = screen_text(app)
            shown = "\n".join(lines)
            assert any(w.strip() and w.strip()[:12] in shown for w in wanted), (screen, shown)
            for line in lines:
                assert cell_len(line.rstrip()) <= SIZE[0], (screen, line)
            for _attempt in range(4):  # back to the desktop
                if app.screen is desktop:
                    break
                await pilot.press("escape")
                await settle(pilot)
            assert app.screen is desktop, screen
