"""Regenerate screenshots/*.svg from the demo data (fixed seed, fixed today, stable path).

python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from retention_tui import clock, i18n
from retention_tui.demo import build_demo

TODAY = dt.date(2026, 11, 23)
SEED = 1
CUSTOMERS = 20_000
SIZE = (120, 36)
OUT = Path(__file__).resolve().parent.parent / "screenshots"


# The README shows the app in two more languages: the desktop and the loyalty table.
LANGUAGES = ("nl", "zh")


async def shoot_language(db: Path, language: str) -> list[Path]:
    """The desktop and the loyalty table in ``language`` (set before the app is imported)."""
    from retention_tui.tui.app import RetentionApp

    saved: list[Path] = []
    app = RetentionApp(db_path=db)
    async with app.run_test(size=SIZE) as pilot:

        async def save(name: str) -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.2)
            saved.append(Path(app.save_screenshot(f"{name}-{language}.svg", str(OUT))))

        await pilot.pause(0.2)
        await save("desktop")
        await pilot.press("m")
        await save("loyalty")
    return saved


async def shoot(db: Path) -> list[Path]:
    """Drive the app like a user and save one SVG per screen state."""
    from retention_tui.tui.app import RetentionApp

    saved: list[Path] = []
    app = RetentionApp(db_path=db)
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.2)

        async def save(name: str) -> None:
            await settle()
            saved.append(Path(app.save_screenshot(f"{name}.svg", str(OUT))))

        await pilot.pause(0.2)
        await save("desktop")
        await pilot.press("slash", *"jansen", "enter")
        for _ in range(6):  # to the 'Away' column
            await pilot.press("right")
        await pilot.press("f", *">12", "enter")
        await pilot.pause(0.2)
        await save("desktop-filtered")
        await pilot.press("down", "down", "enter")
        await pilot.pause(0.2)
        await save("customer-card")
        await pilot.press("q", "C")
        await pilot.pause(0.2)
        await pilot.press("question_mark")
        await save("help")
        await pilot.press("escape")
        await pilot.press("o")
        await save("overview")
        await pilot.press("q")
        await pilot.press("m")
        await pilot.pause(0.3)
        await save("loyalty")
        for _ in range(3):  # 2026-08, the lapsed column
            await pilot.press("down")
        await pilot.press("right", "right", "right", "enter")
        await pilot.pause(0.3)
        await save("drilldown")
        await pilot.press("q", "q")
        await pilot.press("R")
        await pilot.pause(0.3)
        await pilot.press("c")
        await save("reasons")
        await pilot.press("q")
        await pilot.press("D")
        await pilot.pause(0.3)
        await save("departed")
        await pilot.press("q")
        await pilot.press("L")
        await pilot.pause(0.3)
        await save("churn")
        await pilot.press("q")
        await pilot.press("A")
        await pilot.pause(0.3)
        await save("retention")
        await pilot.press("q", "enter")  # the first customer's card
        await pilot.pause(0.3)
        await pilot.press("d", *"too expnsive")
        await pilot.pause(0.3)
        await save("departure-form")
        await pilot.press("escape", "q")
        await pilot.press("K")
        await settle()
        await save("campaigns")
        await pilot.press("down", "e")  # Win back: its effect
        await settle()
        await save("campaign-effect")
        await pilot.press("q", "enter")
        await settle()
        await save("call-session")
        await pilot.press("escape", "q")
        await pilot.press("T")
        await settle()
        await save("tag-catalogue")
        await pilot.press("down", "down", "down", "enter")  # the inspection customers
        await settle()
        await pilot.press("enter")
        await settle()
        await pilot.press(*["right"] * 7)  # the card's Tags tab
        await save("card-tags")
        await pilot.press("escape", "q", "q")
        await pilot.press("I")
        await settle()
        await pilot.press(*"BMW Motorrad", "enter", *"R 1250 GS", "enter", *"2023", "enter")
        await pilot.press(*"24000", "enter", *"14500", "enter")
        await save("trade-in")
        await pilot.press("escape")
        await pilot.press("slash", *"jansen", "escape")
        await settle()
        await pilot.press("M")
        await settle()
        form = app.screen
        form.query_one("#send-template").highlighted = next(  # type: ignore[attr-defined]
            i
            for i, t in enumerate(form.found)
            if t.key == "miss-you-sms"  # type: ignore[attr-defined]
        )
        await pilot.press("tab", *"a free winter check")
        await save("send-form")
        await pilot.press("ctrl+s")
        await settle()
        await pilot.press("O")
        await save("outbox")
        await pilot.press("escape", "C")
        await pilot.press("ctrl+p")
        await pilot.press(*"help")
        await save("command-palette")
    return saved


def main() -> None:
    clock.set_today(TODAY)
    clock.set_time_of_day(dt.time(9, 30))  # timestamps on screen: the same at any hour
    OUT.mkdir(exist_ok=True)
    if len(sys.argv) == 3 and sys.argv[1] == "--language":
        # A fresh interpreter per language: key labels are translated at import.
        i18n.set_language(sys.argv[2])
        for path in asyncio.run(shoot_language(Path("demo.db"), sys.argv[2])):
            print(f"wrote {path.relative_to(OUT.parent)}")
        return
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        os.chdir(tmp)  # the app shows the path: keep it short and stable
        build_demo(Path(tmp) / "demo.db", customers=CUSTOMERS, seed=SEED)
        for path in asyncio.run(shoot(Path("demo.db"))):
            print(f"wrote {path.relative_to(OUT.parent)}")
        for language in LANGUAGES:
            subprocess.run([sys.executable, __file__, "--language", language], check=True)


if __name__ == "__main__":
    main()
