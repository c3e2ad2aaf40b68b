"""The advisor's language: gettext catalogues for every user-facing string, and Babel for how
numbers, amounts, dates and months are written.

Catalogues live in ``retention_tui/locale/<lang>/LC_MESSAGES/retention_tui.po`` (compiled to
``.mo`` beside them by ``make translations``). The language is, in this order: ``--lang``, the
advisor's own choice (``retention-tui language CODE``, kept in their config folder), the
locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), English.

Many strings are translated when a module is imported (key bindings, command-line help), so
the language is chosen before the command line and the screens are imported
(:mod:`retention_tui.launch`).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import os
import re
import string
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "retention_tui"

# Each language in its own words, as the advisor looks for it.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "nl": "Nederlands",
    "de": "Deutsch",
    "it": "Italiano",
    "lv": "Latviešu",
    "zh": "中文（简体）",
}
# The country whose conventions a language's numbers and dates follow here.
_BABEL_LOCALES = {
    "en": "en_GB",
    "nl": "nl_NL",
    "de": "de_DE",
    "it": "it_IT",
    "lv": "lv_LV",
    "zh": "zh_Hans_CN",
}
_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_language = "en"
_translation: gettext.NullTranslations = gettext.NullTranslations()
_locale: Locale | None = None


def language_code(text: str | None) -> str | None:
    """The supported language a locale name or code stands for (``nl_BE.UTF-8`` → ``nl``,
    ``zh_CN`` → ``zh``), or None."""
    if not text:
        return None
    code = text.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def chosen_language(value: str) -> str:
    """The code of a language the advisor typed (``--lang``, ``language CODE``); anything
    else is a sentence naming the languages."""
    from .errors import RetentionError

    code = language_code(value)
    if code is None:
        raise RetentionError(
            _("'{value}' is not one of the languages: {codes}.").format(
                value=value, codes=", ".join(LANGUAGES)
            )
        )
    return code


def language_from_environment() -> str | None:
    """The first supported language the locale variables name (``LANGUAGE`` may list
    several, separated by colons); None when they name none (``C``, ``POSIX``, unset)."""
    for variable in _ENVIRONMENT:
        value = os.environ.get(variable)
        if not value:
            continue
        for part in value.split(":"):
            found = language_code(part)
            if found:
                return found
        if variable != "LANGUAGE":
            return None  # the first set variable decides, as gettext does
    return None


def _choice_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path("retention-tui", appauthor=False) / "language"


def saved_language() -> str | None:
    """The advisor's own choice (``retention-tui language CODE``), if any."""
    try:
        return language_code(_choice_file().read_text(encoding="utf-8"))
    except OSError:
        return None


def save_language(code: str | None) -> Path:
    """Keep (or, with None, forget) the advisor's own choice; returns the file."""
    path = _choice_file()
    if code is None:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code + "\n", encoding="utf-8")
    return path


def choose_language(explicit: str | None = None) -> str:
    """Set the language by the rules above and return its code."""
    code = language_code(explicit) or saved_language() or language_from_environment() or "en"
    set_language(code)
    return code


def set_language(language: str | None) -> None:
    """Switch to ``language`` (a code of :data:`LANGUAGES`; None or unknown: English)."""
    global _language, _translation, _locale
    code = language_code(language) or "en"
    _language = code
    _locale = None
    if code == "en":
        _translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def current_language() -> str:
    return _language


class _LocaleFormatter(string.Formatter):
    """``str.format`` that writes numbers as the language does: ``{n:,}`` groups with the
    language's separator, ``{x:.1f}`` uses its decimal mark, ``{share:.0%}`` its percent."""

    def format_field(self, value: object, format_spec: str) -> str:
        if (
            format_spec
            and isinstance(value, (int, float, Decimal))
            and not isinstance(value, bool)
            and (found := _NUMBER_SPEC.fullmatch(format_spec))
        ):
            grouped, digits, kind = found[1], found[2], found[3]
            if kind == "%":
                return percent(float(value), int(digits or 0))
            if digits is not None or kind == "f":
                return decimal(
                    value, int(digits) if digits is not None else 6, grouped=bool(grouped)
                )
            if grouped:
                return number(int(value))
        return super().format_field(value, format_spec)


_NUMBER_SPEC = re.compile(r"(,)?(?:\.(\d+))?([fd%]?)")
_FORMATTER = _LocaleFormatter()


class Translated(str):
    """A translated message; its ``format`` writes numbers the language's way."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
        if _language == "en":
            return str.format(self, *args, **kwargs)
        return _FORMATTER.vformat(str(self), args, kwargs)


def _(message: str) -> str:
    """Translate ``message`` into the current language (an empty text stays empty: gettext
    would answer it with the catalogue's header)."""
    if not message:
        return message
    return Translated(_translation.gettext(message))


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it now (it is translated
    where it is shown, with ``_(value)``)."""
    return message


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` in ``context``, for a word whose translation depends on where it
    stands ("New" as a key that creates something, "To" as the end of a period)."""
    if not message:
        return message
    return Translated(_translation.pgettext(context, message))


def NP_(context: str, message: str) -> str:
    """Mark ``message`` in ``context`` for the catalogues without translating it now."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on ``n``."""
    return Translated(_translation.ngettext(singular, plural, n))


# -- numbers, amounts, dates ---------------------------------------------------------------


def babel_locale() -> Locale:
    """The Babel locale of the current language (its numbers and dates)."""
    global _locale
    if _locale is None:
        from babel import Locale

        _locale = Locale.parse(_BABEL_LOCALES[_language])
    return _locale


def number(value: int) -> str:
    """A whole number with the language's grouping: 1,234 / 1.234 / 1 234."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale())


def decimal(value: float | Decimal, digits: int = 1, *, grouped: bool = True) -> str:
    """A number with ``digits`` decimals and the language's decimal mark."""
    from babel.numbers import format_decimal

    pattern = ("#,##0" if grouped else "0") + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale())


def percent(share: float, digits: int = 0) -> str:
    """A share (0.25) as a percentage in the language's form: 25% / 25 %."""
    from babel.numbers import format_percent

    pattern = babel_locale().percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(share, format=pattern, locale=babel_locale())


def money(amount: float | Decimal, currency: str = "EUR") -> str:
    """An amount of money: €1,234.50 in English, 1.234,50 € in German."""
    from babel.numbers import format_currency

    return format_currency(amount, currency, locale=babel_locale())


def date(day: dt.date) -> str:
    """A day in the language's numeric form: 23-11-2026, 23.11.2026, 2026/11/23; English
    keeps the unambiguous ISO form 2026-11-23 (an English UI is read in many countries)."""
    if _language == "en":
        return day.isoformat()
    from babel.dates import format_date

    return format_date(day, format=_numeric_date_pattern(), locale=babel_locale())


def shown_date(value: str | dt.date | None) -> str:
    """A stored ISO day (or the day of an ISO timestamp) as the language writes it; text that
    is not a date is returned as it is."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return date(value)
    return _shown_day(_language, str(value))


@functools.lru_cache(maxsize=8192)
def _shown_day(language: str, text: str) -> str:
    """:func:`shown_date` of a stored text, remembered: a report of a million customers
    writes a few thousand distinct days (``language`` is part of the key)."""
    try:
        return date(dt.date.fromisoformat(text[:10]))
    except ValueError:
        return text


def shown_moment(value: str | None) -> str:
    """A stored ISO timestamp (``2026-11-23 10:30:00``) as the language writes the day,
    then the time to the minute; a day alone, or other text, as :func:`shown_date` does."""
    if not value:
        return ""
    text = str(value)
    if len(text) >= 16 and text[10] in " T":
        return f"{shown_date(text[:10])} {text[11:16]}"
    return shown_date(text)


def month_label(year: int, month: int) -> str:
    """A month in a table: 2026-11 in English, "nov 2026", "Nov. 2026", "2026年11月" ..."""
    if _language == "en":
        return f"{year:04d}-{month:02d}"
    return month_name(year, month, short=True)


def _numeric_date_pattern() -> str:
    """The language's short date with four-digit years and two-digit days and months, so
    that dates line up in a column."""
    pattern = babel_locale().date_formats["short"].pattern
    for wide, narrow in (("yyyy", "y"), ("yy", "y"), ("dd", "d"), ("MM", "M")):
        pattern = pattern.replace(wide, narrow)
    return pattern.replace("y", "yyyy").replace("d", "dd").replace("M", "MM")


def month_name(year: int, month: int, *, short: bool = False) -> str:
    """A month as the language writes it standing alone: "Nov 2026", "nov. 2026", "2026年11月"."""
    from babel.dates import format_skeleton

    skeleton = "yMMM" if short else "yMMMM"
    return format_skeleton(skeleton, dt.date(year, month, 1), locale=babel_locale())


def date_order() -> str:
    """The order the language writes a numeric date in: ``dmy``, ``mdy`` or ``ymd``."""
    pattern = babel_locale().date_formats["short"].pattern.lower()
    positions = sorted((pattern.find(c), c) for c in "dmy" if c in pattern)
    return "".join(c for _pos, c in positions)


def decimal_mark() -> str:
    """The language's decimal mark: "." or ","."""
    return babel_locale().number_symbols["latn"]["decimal"]
