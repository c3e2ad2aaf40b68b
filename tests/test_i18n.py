"""The advisor's language: which one is chosen, how numbers, amounts and dates are written in
it, and the filter language's dates and decimals typed the language's way."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator

import pytest

from retention_tui import customer_list, i18n
from retention_tui.customer_list import COLUMN_BY_KEY, FilterError


@pytest.fixture
def speaking() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"LANG": "nl_NL.UTF-8"}, "nl"),
        ({"LANG": "de_AT.UTF-8"}, "de"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "de_DE.UTF-8"}, "zh"),
        ({"LANGUAGE": "fr:it", "LANG": "de_DE.UTF-8"}, "it"),
        ({"LC_MESSAGES": "lv_LV.UTF-8"}, "lv"),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "fr_FR.UTF-8"}, None),
        ({}, None),
    ],
)
def test_the_locale_names_the_language(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str | None
) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert i18n.language_from_environment() == expected


@pytest.mark.usefixtures("speaking")
def test_lang_beats_the_advisors_choice_which_beats_the_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANGUAGE", "de")
    assert i18n.choose_language() == "de"
    i18n.save_language("it")
    assert i18n.choose_language() == "it"
    assert i18n.choose_language("zh_CN") == "zh"
    i18n.save_language(None)
    assert i18n.choose_language("xx") == "de"  # an unknown --lang is refused by the CLI


@pytest.mark.usefixtures("speaking")
@pytest.mark.parametrize(
    ("language", "amount", "count", "day"),
    [
        ("en", "€1,234.50", "1,234,567", "2026-11-03"),
        ("nl", "€\xa01.234,50", "1.234.567", "03-11-2026"),
        ("de", "1.234,50\xa0€", "1.234.567", "03.11.2026"),
        ("it", "1.234,50\xa0€", "1.234.567", "03/11/2026"),
        ("lv", "1\xa0234,50\xa0€", "1\xa0234\xa0567", "03.11.2026"),
        ("zh", "€1,234.50", "1,234,567", "2026/11/03"),
    ],
)
def test_amounts_numbers_and_dates_per_language(
    language: str, amount: str, count: str, day: str
) -> None:
    i18n.set_language(language)
    assert i18n.money(1234.5) == amount
    assert i18n.number(1234567) == count
    assert i18n.date(dt.date(2026, 11, 3)) == day
    assert i18n._("{n:,} customers").format(n=1234567).startswith(count)


@pytest.mark.usefixtures("speaking")
@pytest.mark.parametrize(
    ("language", "typed", "first", "last"),
    [
        ("nl", "23-11-2026", "2026-11-23", "2026-11-23"),
        ("de", "23.11.2026", "2026-11-23", "2026-11-23"),
        ("it", "23/11/2026", "2026-11-23", "2026-11-23"),
        ("lv", "11.2026", "2026-11-01", "2026-11-30"),
        ("zh", "2026/11/23", "2026-11-23", "2026-11-23"),
        ("zh", "2026年2月", "2026-02-01", "2026-02-28"),
        ("de", "2026-11-23", "2026-11-23", "2026-11-23"),  # ISO always
        ("en", "2026-11", "2026-11-01", "2026-11-30"),
    ],
)
def test_a_date_typed_the_languages_way(language: str, typed: str, first: str, last: str) -> None:
    i18n.set_language(language)
    span = customer_list._date_span(typed, COLUMN_BY_KEY["last_visit"])
    assert (span[0].isoformat(), span[1].isoformat()) == (first, last)


@pytest.mark.usefixtures("speaking")
def test_english_keeps_to_iso_dates_and_a_bad_day_is_a_sentence() -> None:
    with pytest.raises(FilterError, match="is not a date"):
        customer_list._date_span("23/11/2026", COLUMN_BY_KEY["last_visit"])
    i18n.set_language("de")
    with pytest.raises(FilterError):
        customer_list._date_span("31.02.2026", COLUMN_BY_KEY["last_visit"])


def test_a_decimal_comma_is_a_number() -> None:
    assert customer_list._number("2,5", COLUMN_BY_KEY["months_away"]) == 2.5


def test_the_command_line_speaks_the_chosen_language() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "retention_tui", "--lang", "nl", "language"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Nederlands (nl)" in done.stdout
