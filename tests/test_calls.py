"""A callback time reads the same wherever it is typed: the card, the call session, the CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from retention_tui.calls import parse_callback
from retention_tui.errors import RetentionError

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("typed", "when"),
    [
        ("t", dt.datetime(2026, 11, 24, 9)),
        ("T", dt.datetime(2026, 11, 24, 9)),
        ("tomorrow", dt.datetime(2026, 11, 24, 9)),
        ("w", dt.datetime(2026, 11, 30, 9)),
        ("+2", dt.datetime(2026, 11, 25, 9)),
        (" +14 ", dt.datetime(2026, 12, 7, 9)),
        ("2026-12-01", dt.datetime(2026, 12, 1, 9)),
        ("2026-12-01 14:30", dt.datetime(2026, 12, 1, 14, 30)),
        ("2026-12-01T14:30", dt.datetime(2026, 12, 1, 14, 30)),
        ("2026-12-01  14:30", dt.datetime(2026, 12, 1, 14, 30)),
        ("2026-1-2T9:30", dt.datetime(2026, 1, 2, 9, 30)),  # as the CLI always took it
        ("2026-12-1t9:05", dt.datetime(2026, 12, 1, 9, 5)),
    ],
)
def test_every_form_of_a_callback_time(typed: str, when: dt.datetime) -> None:
    assert parse_callback(typed, TODAY) == when


@pytest.mark.parametrize(
    "typed",
    ["", "+", "+x", "-2", "+²", "+١", "tomorow", "2026-13-01", "2026-02-30", "2026-12-01 25:00",
     "01-12-2026", "2026-12-01 9"],
)  # fmt: skip
def test_anything_else_says_which_forms_it_takes(typed: str) -> None:
    with pytest.raises(RetentionError, match=r"is not a callback time; use t \(tomorrow\)"):
        parse_callback(typed, TODAY)
