"""One "today", and the Month value type."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_tui import clock
from retention_tui.errors import RetentionError
from retention_tui.months import Month


def test_today_is_fixed_by_tests_env_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert clock.today() == dt.date(2026, 11, 23)
    assert clock.now().date() == dt.date(2026, 11, 23)
    clock.set_today(None)
    monkeypatch.setenv("RETENTION_TUI_TODAY", "2020-02-29")
    assert clock.today() == dt.date(2020, 2, 29)
    clock.set_today("2021-01-31")
    assert clock.today() == dt.date(2021, 1, 31)


def test_a_fixed_time_of_day_keeps_the_fixed_day() -> None:
    clock.set_time_of_day(dt.time(9, 30))
    try:
        assert clock.now() == dt.datetime(2026, 11, 23, 9, 30)
    finally:
        clock.set_time_of_day(None)
    assert clock.now().date() == dt.date(2026, 11, 23)
    assert clock.now().microsecond == 0


@pytest.mark.parametrize("text", ["2026-13-01", "26-01-01", "2026/01/01", "", "today"])
def test_bad_dates_are_sentences(text: str) -> None:
    with pytest.raises(RetentionError, match="YYYY-MM-DD"):
        clock.parse_iso_date(text)


def test_month_arithmetic() -> None:
    may = Month(2025, 5)
    assert may - 5 == Month(2024, 12)
    assert may + 8 == Month(2026, 1)
    assert str(may) == "2025-05"
    assert Month.parse("2025-05") == may
    assert may.last_day == dt.date(2025, 5, 31)
    assert Month(2024, 2).last_day == dt.date(2024, 2, 29)
    assert Month.of(dt.date(2025, 5, 17)) == may
    assert may.months_until(Month(2026, 5)) == 12
    with pytest.raises(RetentionError):
        Month.parse("2025-5")


@given(st.dates(), st.integers(min_value=-600, max_value=600))
def test_month_add_then_subtract_is_identity(day: dt.date, n: int) -> None:
    month = Month.of(day)
    if 1 <= (month + n).year <= 9999:
        assert (month + n) - n == month
        assert month.months_until(month + n) == n
        assert (month + n).first_day <= (month + n).last_day
