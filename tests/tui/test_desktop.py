"""The operator desktop driven by Pilot: every key, every filter form, views, export, safety."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from retention_tui import customer_list
from retention_tui.customer_list import COLUMNS, CustomerQuery
from retention_tui.db import open_database, write
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.customer_card import CustomerCardScreen
from retention_tui.tui.screens.desktop import DesktopScreen
from retention_tui.tui.screens.export import ExportScreen
from retention_tui.tui.screens.home import HomeScreen
from retention_tui.tui.screens.views import ViewsScreen
from retention_tui.tui.widgets.customer_table import CustomerTable
from retention_tui.tui.widgets.footer import KeysFooter

SIZE = (150, 36)
EVERYONE = ["C003", "C004", "C002", "C001", "C005", "C006"]  # by name
OFFSETS = {}
_x = 0
for _c in COLUMNS:
    OFFSETS[_c.key] = (_x, _c.width)
    _x += _c.width + 1


async def settle(pilot: Pilot) -> None:
    """Wait for the typing pause, the query workers and the repaint."""
    await pilot.pause(0.08)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def table(pilot: Pilot) -> CustomerTable:
    return pilot.app.screen.query_one(CustomerTable)


def cell(line: str, key: str) -> str:
    start, width = OFFSETS[key]
    return line[start : start + width].strip()


def after_cells(line: str, cells: int) -> str:
    """The text of ``line`` from terminal column ``cells`` on."""
    for index in range(len(line) + 1):
        # Measured as a whole: an emoji with a variation selector is wider than its parts.
        if cell_len(line[:index]) >= cells:
            return line[index:]
    return ""


def shown(pilot: Pilot, key: str = "customer_no") -> list[str]:
    """One column of the rows on screen, as the advisor reads it."""
    lines = table(pilot).visible_text()[1:]
    return [cell(line, key) for line in lines if line.strip()]


def count_line(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#desktop-count", Static).content)


def error_line(pilot: Pilot) -> str:
    error = pilot.app.screen.query_one("#filter-error", Static)
    return str(error.content) if error.has_class("-shown") else ""


async def filter_column(pilot: Pilot, key: str, text: str) -> None:
    """Put the cursor on ``key``'s column, press f, type the filter, press enter."""
    grid = table(pilot)
    target = [c.key for c in COLUMNS].index(key)
    while grid.cursor_column != target:
        await pilot.press("right" if grid.cursor_column < target else "left")
    await pilot.press("f", *text, "enter")
    await settle(pilot)


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


async def test_everyone_with_badges_as_letters(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DesktopScreen)
        assert shown(pilot) == EVERYONE
        assert count_line(pilot) == "6 customers · sorted by Name ▲"
        jan = table(pilot).visible_text()[3]
        assert cell(jan, "name") == "Jan de Vries"
        assert (cell(jan, "light"), cell(jan, "nps"), cell(jan, "caring")) == ("●R", "3", "C")
        assert cell(jan, "status") == "long-term lapsed"
        assert cell(jan, "vehicle") == "Opel Corsa (XY-99-ZZ)"
        assert cell(jan, "phone") == "+31 6 9876 5…"


async def test_search_ignores_accents_and_shows_a_chip(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"muller")
        await settle(pilot)
        assert shown(pilot) == ["C001", "C005"]
        assert count_line(pilot).startswith("2 of 6 customers")
        chips = [str(c.content) for c in app.screen.query(".chip").results(Static)]
        assert chips == ["Search: muller ✕"]
        await pilot.press("enter")  # back to the table
        assert table(pilot).has_focus


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("name", "jose", ["C001"]),
        ("city", "=utrecht", ["C003", "C001"]),
        ("city", "!utrecht", ["C004", "C002", "C005", "C006"]),
        ("name", "^mu", ["C005"]),
        ("advisor", '""', ["C004"]),
        ("months_away", ">12", ["C002", "C005"]),
        ("months_away", "6..17", ["C003", "C002"]),
        ("last_visit", "<=2025-06", ["C002", "C005"]),
        ("last_visit", "2024-01..2025-06", ["C002", "C005"]),
        ("light", "red", ["C002"]),
        ("nps", "<7", ["C002"]),
        ("retention", "on", ["C001"]),
        ("caring", "on", ["C002"]),
        ("status", "lapsed", ["C003", "C002"]),
    ],
)
async def test_every_filter_form(
    app: RetentionApp, key: str, text: str, expected: list[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_column(pilot, key, text)
        assert shown(pilot) == expected
        assert error_line(pilot) == ""
        assert table(pilot).has_focus


async def test_filters_combine_and_clear_one_by_one_or_all(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_column(pilot, "city", "utrecht")
        await filter_column(pilot, "months_away", ">3")
        assert shown(pilot) == ["C003"]
        header = table(pilot).visible_text()[0]
        assert "⚑City" in header and "⚑Away" in header
        await pilot.press("escape")  # the last filter goes first
        await settle(pilot)
        assert shown(pilot) == ["C003", "C001"]
        await filter_column(pilot, "light", "green")
        await pilot.press("slash", *"jose", "enter")
        await settle(pilot)
        assert shown(pilot) == ["C001"]
        await pilot.press("C")
        await settle(pilot)
        assert shown(pilot) == EVERYONE
        assert app.screen.customer_query == CustomerQuery()


async def test_an_unreadable_filter_says_why_and_keeps_the_last_result(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_column(pilot, "city", "utrecht")
        grid = table(pilot)
        grid.cursor_column = [c.key for c in COLUMNS].index("months_away")
        await pilot.press("f", *">abc")
        await settle(pilot)
        assert "'abc' is not a number" in error_line(pilot)
        assert shown(pilot) == ["C003", "C001"]
        await pilot.press("backspace", "backspace", "backspace", *"5")
        await settle(pilot)
        assert error_line(pilot) == ""
        assert shown(pilot) == ["C003"]
        await pilot.press("f", *"x", "enter")  # unreadable, then enter: the last good one stays
        await settle(pilot)
        assert shown(pilot) == ["C003"]
        assert error_line(pilot) == ""  # the chip shows what is in force; no stale error


async def test_sort_keys_use_the_column_under_the_cursor(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table(pilot).cursor_column = [c.key for c in COLUMNS].index("months_away")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert shown(pilot) == ["C001", "C006", "C003", "C002", "C005", "C004"]
        assert count_line(pilot).endswith("sorted by Away ▲")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert shown(pilot) == ["C004", "C005", "C002", "C003", "C006", "C001"]
        assert "Away ▼" in table(pilot).visible_text()[0]
        table(pilot).cursor_column = [c.key for c in COLUMNS].index("last_visit")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        # "Last visit ▼" is wider than the column: the title gives way, the arrow stays.
        assert cell(table(pilot).visible_text()[0], "last_visit") == "Last vi… ▼"


async def test_movement_keys(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(pilot)
        for keys, row in [
            (["down"], 1),
            (["j", "j"], 3),
            (["up"], 2),
            (["k"], 1),
            (["end"], 5),
            (["home"], 0),
            (["G"], 5),
            (["home"], 0),
            (["pagedown"], 5),
            (["pageup"], 0),
        ]:
            await pilot.press(*keys)
            assert grid.cursor_row == row, keys
        start = grid.cursor_column
        await pilot.press("right", "l")
        assert grid.cursor_column == start + 2
        await pilot.press("left", "h", "h")
        assert grid.cursor_column == start - 1


async def test_enter_opens_the_card_and_q_comes_back(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert app.screen.customer_id == 2
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, DesktopScreen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DesktopScreen)


async def test_mouse_selects_opens_and_removes_chips(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(pilot)
        await pilot.click(CustomerTable, offset=(OFFSETS["city"][0] + 1, 3))
        assert grid.cursor_row == 2
        assert grid.current_column.key == "city"
        await pilot.double_click(CustomerTable, offset=(OFFSETS["name"][0] + 1, 4))
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen) and app.screen.customer_id == 1
        await pilot.press("q")
        await filter_column(pilot, "city", "utrecht")
        await pilot.click(".chip")
        await settle(pilot)
        assert shown(pilot) == EVERYONE


async def test_export_writes_the_filtered_sorted_list(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_column(pilot, "city", "utrecht")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        box = app.screen.query_one("#export-path")
        box.value = str(desk_db.parent / "utrecht.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DesktopScreen)
        rows = list(csv.DictReader((desk_db.parent / "utrecht.csv").open(encoding="utf-8")))
        assert [r["customer_no"] for r in rows] == ["C003", "C001"]
        assert any("Exported 2 customers" in n.message for n in app._notifications)


async def test_export_to_a_bad_path_says_so_and_stays_open(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#export-path").value = "/no/such/folder/x.csv"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert "does not exist" in str(app.screen.query_one(".form-error", Static).content)
        await pilot.press("escape")
        assert isinstance(app.screen, DesktopScreen)


async def test_save_a_view_and_recall_it(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_column(pilot, "months_away", ">12")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        saved = app.screen.customer_query
        assert shown(pilot) == ["C005", "C002"]
        await pilot.press("s", *"Long gone", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DesktopScreen)
        await pilot.press("C")  # clears the filters, keeps the sort
        await settle(pilot)
        assert shown(pilot) == ["C004", "C005", "C002", "C003", "C006", "C001"]
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewsScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.customer_query == saved
        assert shown(pilot) == ["C005", "C002"]


async def test_reload_shows_another_advisors_change(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        other = open_database(desk_db)
        with write(other):
            other.execute("UPDATE customers SET traffic_light = 'red' WHERE id = 1")
        other.close()
        await pilot.press("r")
        await settle(pilot)
        jose = table(pilot).visible_text()[4]
        assert cell(jose, "name") == "José Müller" and cell(jose, "light") == "●R"


async def test_overview_from_the_desktop(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")
        assert isinstance(app.screen, DesktopScreen)


HOSTILE = [
    "[bold]Kees[/bold] Jansen",
    "Closing [/] tag",
    "[link=https://evil.example]click[/link]",
    "Escape \x1b[31mred\x1b[0m \x07bell",
    "Emoji 🚗🏍️ Rossi",
    "王小明 汽车维修",
    "x" * 500,
    "Line\nbreak\ttab",
]


async def test_hostile_names_render_literally_and_aligned(tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    conn = open_database(db)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (customer_no, name, city, created_at, updated_at)"
            " VALUES (?, ?, ?, '', '')",
            [(f"H{i}", name, name[:20]) for i, name in enumerate(HOSTILE)],
        )
        from retention_tui import search_index

        search_index.refresh(conn)
    conn.close()
    app = RetentionApp(db_path=db)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        lines = [line for line in table(pilot).visible_text() if line.strip()]
        assert len(lines) == len(HOSTILE) + 1
        names = [cell(line, "name") for line in lines[1:]]
        assert "[bold]Kees[/bold] Jan…" in names
        assert "Closing [/] tag" in names
        assert "[link=https://evil.ex…" in names
        assert any(n.startswith("Escape ␛[31mred␛[0m") for n in names)
        assert "王小明 汽车维修" in names
        assert "Line break tab" in names
        assert "x" * 21 + "…" in names
        # Every row keeps the columns where the header has them (counted in cells: a
        # Chinese character takes two).
        city = OFFSETS["city"][0]
        name_at = OFFSETS["name"][0]
        for line in lines[1:]:
            assert cell_len(line) == cell_len(lines[0])
            # The city holds the start of the name: both columns start where they should.
            assert after_cells(line, city)[:3] == after_cells(line, name_at)[:3]
        await pilot.press("slash", *"[/]")
        await settle(pilot)
        assert [cell(line, "name") for line in table(pilot).visible_text()[1:2]] == [
            "Closing [/] tag"
        ]


async def test_scrolling_a_long_list_fetches_pages(tmp_path: Path) -> None:
    db = tmp_path / "long.db"
    conn = open_database(db)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, '', '')",
            [(f"L{i:04d}", f"Customer {i:04d}") for i in range(1000)],
        )
        from retention_tui import search_index

        search_index.refresh(conn)
    conn.close()
    app = RetentionApp(db_path=db)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert shown(pilot)[0] == "L0000"
        await pilot.press("end")
        await settle(pilot)
        grid = table(pilot)
        assert grid.cursor_row == 999
        assert shown(pilot)[-1] == "L0999"
        await pilot.press("pageup")
        await settle(pilot)
        assert not [line for line in grid.visible_text() if line.startswith("…")]  # all read
        await pilot.press("home")
        await settle(pilot)
        assert shown(pilot)[0] == "L0000"


async def test_a_value_cut_by_the_right_edge_ends_in_an_ellipsis(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(pilot)
        phones = {cell(line, "customer_no"): cell(line, "phone")
                  for line in grid.visible_text()[1:] if line.strip()}  # fmt: skip
        await pilot.resize_terminal(OFFSETS["phone"][0] + 7, 20)  # seven cells of the phones
        await settle(pilot)
        lines = [line for line in grid.visible_text() if line.strip()]
        assert lines[0].endswith("Phone  ")  # the heading fits: nothing cut
        for line in lines[1:]:
            value = phones[cell(line, "customer_no")]
            if len(value) > 7:
                assert line.endswith(value[:6] + "…")
            else:
                assert not line.endswith("…")
        assert any(len(v) > 7 for v in phones.values()) and any(
            len(v) <= 7 for v in phones.values()
        )


async def test_a_wide_character_split_by_the_edge_counts_as_cut(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start, width = OFFSETS["city"]
        line = Strip([Segment(" " * start + "北京朝阳".ljust(width - 4))])  # 8 cells of 12
        grid = table(pilot)
        assert grid._cut_at(line, start + 7)  # the edge halves 阳: it would show as a blank
        assert grid._cut_at(line, start + 5)  # 阳 still to come
        assert not grid._cut_at(line, start + 8)  # the edge right after the value


async def test_empty_database_says_how_to_start(empty_db: Path) -> None:
    app = RetentionApp(db_path=empty_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "retention-tui import customers FILE" in count_line(pilot)


async def test_every_desktop_key_is_a_palette_command(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [c.title for c in app.get_system_commands(app.screen)]
        assert "desktop: Export  (x)" in names and "desktop: Filter  (f)" in names
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"desktop: views")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ViewsScreen)


async def test_reload_keeps_the_cursor_row(tmp_path: Path) -> None:
    db = tmp_path / "long.db"
    conn = open_database(db)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, '', '')",
            [(f"L{i:04d}", f"Customer {i:04d}") for i in range(400)],
        )
        from retention_tui import search_index

        search_index.refresh(conn)
    conn.close()
    app = RetentionApp(db_path=db)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down")
        await pilot.press("r")
        await settle(pilot)
        assert table(pilot).cursor_row == 3
        await pilot.press("end", "up")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        grid = table(pilot)
        assert grid.cursor_row == 398
        assert grid.current_row is not None and grid.current_row.values["customer_no"] == "L0398"


async def test_palette_opens_a_customer_by_name(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"piet vaak")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen) and app.screen.customer_id == 6


async def test_the_footer_is_rebuilt_only_when_its_keys_change(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        keys = list(footer.query(FooterKey))
        assert keys
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert list(footer.query(FooterKey)) == keys  # the same widgets: not rebuilt
        await pilot.press("f")  # the filter box has keys of its own
        await settle(pilot)
        typing = list(footer.query(FooterKey))
        assert typing != keys
        assert {key.action for key in typing} != {key.action for key in keys}
        await pilot.press("escape")
        await settle(pilot)
        assert {key.action for key in footer.query(FooterKey)} == {key.action for key in keys}


async def test_a_count_quicker_than_its_first_page_is_shown_with_it(
    app: RetentionApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count runs beside the first page; when it comes first it waits for the page."""
    slow_page = customer_list.first_page

    def first_page(*args: object, **kwargs: object) -> list[int]:
        time.sleep(0.3)  # the first page, slower than the count (which starts after 50 ms)
        return slow_page(*args, **kwargs)  # type: ignore[arg-type]

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(pilot)
        painting = grid._painted
        counted_when_painted: list[bool] = []

        def painted(generation: int) -> None:
            counted_when_painted.append(grid.counted_generation == generation)
            painting(generation)

        grid._painted = painted  # type: ignore[method-assign]
        monkeypatch.setattr(customer_list, "first_page", first_page)
        await filter_column(pilot, "city", "utrecht")
        await settle(pilot)
        assert counted_when_painted[-1]  # the count was there when the page was painted
        assert grid.counted_generation == grid.painted_generation == grid.generation
        assert count_line(pilot) == "2 of 6 customers · sorted by Name ▲"
        assert shown(pilot) == ["C003", "C001"]
