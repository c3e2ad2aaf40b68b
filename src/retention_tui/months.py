"""``Month``: a calendar month as a small value type (months are never strings here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import RetentionError
from .i18n import _


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month; ``Month(2025, 6) - 1 == Month(2025, 5)``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")

    @classmethod
    def of(cls, day: dt.date) -> Month:
        """The month that contains ``day``."""
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``, or raise ``RetentionError`` saying what is wrong."""
        value = text.strip()
        try:
            year, month = value.split("-")
            if len(year) == 4 and len(month) == 2:
                return cls(int(year), int(month))
        except ValueError:
            pass
        raise RetentionError(_("'{value}' is not a month in the form YYYY-MM.").format(value=text))

    @property
    def index(self) -> int:
        """Months since year 0, for arithmetic."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def __add__(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __sub__(self, other: int) -> Month:
        return Month.from_index(self.index - other)

    def months_until(self, other: Month) -> int:
        """How many months from ``self`` to ``other`` (negative if ``other`` is earlier)."""
        return other.index - self.index

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return (self + 1).first_day - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
