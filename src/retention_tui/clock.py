"""The one place every date-dependent figure takes "today" from.

``--today YYYY-MM-DD`` on the command line, the ``RETENTION_TUI_TODAY`` environment variable,
tests and the screenshot script all set it here, so reports, demo data and screens agree.
"""

from __future__ import annotations

import datetime as _dt
import os

from .errors import RetentionError
from .i18n import _

_fixed_today: _dt.date | None = None
_fixed_time: _dt.time | None = None


def parse_iso_date(text: str) -> _dt.date:
    """Parse a strict ``YYYY-MM-DD`` date, or raise ``RetentionError`` saying what is wrong."""
    value = text.strip()
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise RetentionError(_("'{value}' is not a date in the form YYYY-MM-DD.").format(value=text))


def set_today(day: _dt.date | str | None) -> None:
    """Fix today's date for this process; ``None`` returns to the real calendar."""
    global _fixed_today
    _fixed_today = parse_iso_date(day) if isinstance(day, str) else day


def today() -> _dt.date:
    """Today's date as the whole product sees it."""
    if _fixed_today is not None:
        return _fixed_today
    env = os.environ.get("RETENTION_TUI_TODAY")
    if env:
        return parse_iso_date(env)
    return _dt.date.today()


def set_time_of_day(moment: _dt.time | None) -> None:
    """Fix the clock's time of day for this process (the screenshot script, so timestamps on
    screen do not change with the hour it runs at); ``None`` returns to the real clock."""
    global _fixed_time
    _fixed_time = moment


def now() -> _dt.datetime:
    """The current moment, on the same day as :func:`today` (for timestamps in records)."""
    if _fixed_time is not None:
        return _dt.datetime.combine(today(), _fixed_time)
    real = _dt.datetime.now().replace(microsecond=0)
    day = today()
    if day == real.date():
        return real
    return _dt.datetime.combine(day, real.time())
