"""Departures: that a customer left, when and why, recorded after contact.

A reason is stored once per normalised text (``reasons.normalize_reason``): typing "Too
expensive!" where "too expensive" exists records the existing reason, never a second one.
The fuzzy suggestions and merging of variants build on this (see ``reasons``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from . import audit, clock
from .customers import RECORDED_STATUSES
from .db import write
from .errors import RetentionError
from .i18n import _
from .months import Month
from .reasons import normalize_reason


def reason_id(conn: sqlite3.Connection, text: str) -> int:
    """The id of the reason ``text`` (created if new), inside the caller's write."""
    label = " ".join(text.split())
    key = normalize_reason(label)
    if not key:
        raise RetentionError(_("Give a reason (a few words)."))
    row = conn.execute(
        "SELECT id, merged_into FROM churn_reasons WHERE normalized = ?", (key,)
    ).fetchone()
    if row is not None:
        return int(row[1] or row[0])
    alias = conn.execute(
        "SELECT reason_id FROM churn_reason_aliases WHERE normalized = ?", (key,)
    ).fetchone()
    if alias is not None:
        return int(alias[0])
    cursor = conn.execute(
        "INSERT INTO churn_reasons (label, normalized, created_by, created_at) VALUES (?, ?, ?, ?)",
        (label, key, audit.current_operator(), clock.now().isoformat(sep=" ")),
    )
    new_id = int(cursor.lastrowid or 0)
    audit.record(conn, "add reason", "churn_reasons", new_id, new=label)
    return new_id


def record_departure(
    conn: sqlite3.Connection,
    customer_id: int,
    departed_on: dt.date,
    reason: str,
    note: str = "",
    status: str | None = "confirmed lost",
) -> int:
    """Record that the customer left; sets the recorded status (default confirmed lost)."""
    if departed_on > clock.today():
        raise RetentionError(_("A departure cannot lie in the future ({date}).").format(
            date=departed_on.isoformat()))  # fmt: skip
    if status is not None and status not in RECORDED_STATUSES:
        raise RetentionError(_("'{status}' is not a status that can be recorded.").format(
            status=status))  # fmt: skip
    with write(conn):
        found = conn.execute(
            "SELECT recorded_status FROM customers WHERE id = ?", (customer_id,)
        ).fetchone()
        if found is None:
            raise RetentionError(
                _("Customer {id} does not exist (deleted meanwhile?).").format(id=customer_id)
            )
        rid = reason_id(conn, reason)
        try:
            cursor = conn.execute(
                "INSERT INTO departures (customer_id, departed_on, reason_id, note, operator,"
                " recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                (customer_id, departed_on.isoformat(), rid, note.strip() or None,
                 audit.current_operator(), clock.now().isoformat(sep=" ")),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            raise RetentionError(
                _("A departure on {date} is already recorded for this customer.").format(
                    date=departed_on.isoformat()
                )
            ) from None
        departure_id = int(cursor.lastrowid or 0)
        audit.record(
            conn,
            "record departure",
            "departures",
            departure_id,
            customer_id=customer_id,
            new={"date": departed_on.isoformat(), "reason": reason.strip(), "note": note.strip()},
        )
        if status is not None and found[0] != status:
            conn.execute(
                "UPDATE customers SET recorded_status = ?, recorded_status_on = ? WHERE id = ?",
                (status, departed_on.isoformat(), customer_id),
            )
            audit.record(conn, "set status", "customers", customer_id,
                         customer_id=customer_id, old=found[0], new=status)  # fmt: skip
    return departure_id


# -- the departed report ----------------------------------------------------------------------

DEPARTED_BY = {
    "reason": "coalesce(r.label, '')",
    "advisor": "coalesce(c.advisor, '')",
    "brand": "coalesce(v.brand, '')",
    "model": "trim(coalesce(v.brand, '') || ' ' || coalesce(v.model, ''))",
    "month": "substr(d.departed_on, 1, 7)",
    "quarter": "substr(d.departed_on, 1, 4) || '-Q' || ((CAST(substr(d.departed_on, 6, 2)"
    " AS INTEGER) + 2) / 3)",
}


@dataclass(frozen=True, slots=True)
class DepartedRow:
    group: str
    departures: int
    share: float
    """Of all departures in the report, 0-1."""


def _departed_where(
    first: Month | None,
    last: Month | None,
    advisor: str | None = None,
    brand: str | None = None,
    model: str | None = None,
) -> tuple[list[str], list[object]]:
    where = ["1"]
    params: list[object] = []
    if first is not None:
        where.append("d.departed_on >= ?")
        params.append(first.first_day.isoformat())
    if last is not None:
        where.append("d.departed_on <= ?")
        params.append(last.last_day.isoformat())
    for column, value in (("c.advisor", advisor), ("v.brand", brand), ("v.model", model)):
        if value:
            where.append(f"fold({column}) = fold(?)")
            params.append(value)
    return where, params


_DEPARTED_FROM = (
    "departures d JOIN customers c ON c.id = d.customer_id"
    " LEFT JOIN vehicles v ON v.id = c.main_vehicle_id"
    " LEFT JOIN churn_reasons r ON r.id = d.reason_id"
)


def departed_scope(
    by: str, group: str, first: Month | None, last: Month | None
) -> tuple[str, list[object]]:
    """SQL (on ``customers c``) for the customers behind one row of the departed report."""
    where, params = _departed_where(first, last)
    # Inside the subquery its own alias c (the departed customer) shadows the outer one.
    return (
        f"c.id IN (SELECT d.customer_id FROM {_DEPARTED_FROM}"
        f" WHERE {' AND '.join(where)} AND {DEPARTED_BY[by]} = ?)",
        [*params, group],
    )


def departed_report(
    conn: sqlite3.Connection,
    first: Month | None = None,
    last: Month | None = None,
    by: str = "reason",
    *,
    advisor: str | None = None,
    brand: str | None = None,
    model: str | None = None,
) -> list[DepartedRow]:
    """Departures per reason (or advisor, brand, model, month, quarter) with their share,
    largest first (periods in time order)."""
    if by not in DEPARTED_BY:
        raise RetentionError(
            _("'{by}' is not one of {known}.").format(by=by, known=", ".join(DEPARTED_BY))
        )
    where, params = _departed_where(first, last, advisor, brand, model)
    rows = conn.execute(
        f"SELECT {DEPARTED_BY[by]} AS grp, count(*) FROM {_DEPARTED_FROM}"
        f" WHERE {' AND '.join(where)} GROUP BY grp",
        params,
    ).fetchall()
    total = sum(n for _g, n in rows) or 1
    report = [DepartedRow(str(g), int(n), n / total) for g, n in rows]
    if by in ("month", "quarter"):
        return sorted(report, key=lambda r: r.group)
    return sorted(report, key=lambda r: (-r.departures, r.group))


# -- churn statistics -------------------------------------------------------------------------

CHURN_BY = ("brand", "series", "model", "vehicle-age", "advisor", "month", "outcome")
REACHED = ("reached", "appointment booked", "not interested", "callback")
NOT_REACHABLE = ("no answer", "voicemail", "wrong number")


@dataclass(frozen=True, slots=True)
class ChurnRow:
    group: str
    customers: int
    """Customers with at least one visit in the segment."""
    lapsed: int
    """Of them: away S months or more (short- or long-term lapsed), or confirmed lost."""
    value_lost: float
    """What the lapsed spent in the twelve months up to their last visit."""

    @property
    def share(self) -> float:
        return self.lapsed / self.customers if self.customers else 0.0


def churn_statistics(
    conn: sqlite3.Connection, by: str, short_months: int | None = None
) -> list[ChurnRow]:
    """Lapsed customers, their share and the yearly value they took, per segment.

    Segments: the main vehicle's brand, series, model or age band (0-3, 4-7, 8+ years), the
    customer's advisor, the month they lapsed in (last visit + S months) and the outcome of
    contact since their last visit (not contacted, reached, not reachable, confirmed lost;
    and "returned": customers who were away S months or more once and came back).
    """
    from . import settings

    months = short_months or int(settings.get(conn, "short_term_lapsed_months"))
    segment, base, cut = _churn_sql(by, months)
    rows = conn.execute(
        f"""
        SELECT {segment} AS grp, count(*), sum(lapsed),
               sum(CASE WHEN lapsed THEN (SELECT coalesce(sum(amount), 0) FROM visits x
                   WHERE x.customer_id = c.id
                     AND x.date > date(c.last_visit, '-12 months')) ELSE 0 END)
        FROM {base}
        GROUP BY grp
        """,
        (cut,),
    ).fetchall()
    out = [ChurnRow(str(g), int(n), int(m or 0), float(v or 0)) for g, n, m, v in rows]
    if by in ("month", "outcome"):
        out = [r for r in out if r.group]  # only the lapsed have a churn month or outcome
    if by == "outcome":
        # Lapsed once and came back: away S months or more before a visit, not lapsed now.
        (returned,) = conn.execute(
            f"SELECT count(*) FROM {base} WHERE NOT lapsed AND EXISTS (SELECT 1 FROM"
            " customer_months m WHERE m.customer_id = c.id AND m.prev_gap >= ?)",
            (cut, months),
        ).fetchone()
        if returned:
            out.append(ChurnRow("returned", int(returned), 0, 0.0))
    if by == "month":
        return sorted(out, key=lambda r: r.group)
    return sorted(out, key=lambda r: (-r.lapsed, r.group))


def churn_scope(by: str, group: str, months: int) -> tuple[str, list[object]]:
    """SQL (on ``customers c``) for the lapsed customers of one churn-statistics row."""
    segment, base, cut = _churn_sql(by, months)
    return (
        f"c.id IN (SELECT c.id FROM {base} WHERE lapsed AND {segment} = ?)",
        [cut, group],
    )


def _churn_sql(by: str, months: int) -> tuple[str, str, str]:
    """(segment SQL, FROM clause with the lapsed flag, the lapse cut date)."""
    from .customer_list import shift_months

    if by not in CHURN_BY:
        raise RetentionError(
            _("'{by}' is not one of {known}.").format(by=by, known=", ".join(CHURN_BY))
        )
    today = clock.today()
    cut = shift_months(today, -months).isoformat()
    year = today.year
    reached = ", ".join(f"'{o}'" for o in REACHED)
    unreachable = ", ".join(f"'{o}'" for o in NOT_REACHABLE)
    segment = {
        "brand": "coalesce(v.brand, '')",
        "series": "coalesce(v.series, '')",
        "model": "trim(coalesce(v.brand, '') || ' ' || coalesce(v.model, ''))",
        "vehicle-age": f"CASE WHEN v.year IS NULL THEN '' WHEN {year} - v.year <= 3 THEN '0-3'"
        f" WHEN {year} - v.year <= 7 THEN '4-7' ELSE '8+' END",
        "advisor": "coalesce(c.advisor, '')",
        "month": "CASE WHEN lapsed THEN strftime('%Y-%m', c.last_visit, "
        f"'+{months} months') ELSE '' END",
        "outcome": "CASE WHEN NOT lapsed THEN '' WHEN c.recorded_status = 'confirmed lost'"
        " OR EXISTS (SELECT 1 FROM departures d WHERE d.customer_id = c.id)"
        " THEN 'confirmed lost'"
        " WHEN c.outcome IS NULL THEN 'not contacted'"
        f" WHEN c.outcome IN ({reached}) THEN 'reached'"
        f" WHEN c.outcome IN ({unreachable}) THEN 'not reachable' ELSE c.outcome END",
    }[by]
    base = """(SELECT c.*,
                     (c.last_visit <= ? OR coalesce(c.recorded_status = 'confirmed lost', 0))
                         AS lapsed,
                     (SELECT k.outcome FROM calls k WHERE k.customer_id = c.id
                        AND k.called_at >= c.last_visit ORDER BY k.called_at DESC LIMIT 1)
                         AS outcome
              FROM customers c WHERE c.last_visit IS NOT NULL) c
        LEFT JOIN vehicles v ON v.id = c.main_vehicle_id"""
    return segment, base, cut


@dataclass(frozen=True, slots=True)
class AdvisorRetention:
    advisor: str
    served: int
    """Customers the advisor served in the twelve months that end a window ago."""
    came_back: int
    """Of them, those who visited again within the window after that visit."""

    @property
    def share(self) -> float:
        return self.came_back / self.served if self.served else 0.0


def retention_per_advisor(conn: sqlite3.Connection, window: int = 12) -> list[AdvisorRetention]:
    """Of the customers each advisor served, the share who came back within the window.

    The customers counted are those served in the twelve months ending ``window`` months
    ago, so every one of them has had the whole window to come back; a customer served
    several times counts once per advisor, from their last visit with that advisor.
    """
    from .customer_list import shift_months

    today = clock.today()
    end = shift_months(today, -window)
    start = shift_months(end, -12)
    rows = conn.execute(
        """
        WITH served AS (
            SELECT advisor, customer_id, max(date) AS served_on FROM visits
            WHERE coalesce(advisor, '') != '' AND date > ? AND date <= ?
            GROUP BY advisor, customer_id)
        SELECT advisor, count(*),
               sum(EXISTS (SELECT 1 FROM visits x WHERE x.customer_id = s.customer_id
                           AND x.date > s.served_on
                           AND x.date <= date(s.served_on, ?)))
        FROM served s GROUP BY advisor ORDER BY advisor
        """,
        (start.isoformat(), end.isoformat(), f"+{int(window)} months"),
    ).fetchall()
    return [AdvisorRetention(a, int(n), int(b or 0)) for a, n, b in rows]


def served_scope(advisor: str, window: int) -> tuple[str, list[object]]:
    """SQL (on ``customers c``) for the customers an advisor served in the retention base
    period (the twelve months ending ``window`` months ago)."""
    from .customer_list import shift_months

    end = shift_months(clock.today(), -window)
    start = shift_months(end, -12)
    return (
        "c.id IN (SELECT customer_id FROM visits WHERE advisor = ? AND date > ? AND date <= ?)",
        [advisor, start.isoformat(), end.isoformat()],
    )


def invoiced_scope(year: str) -> tuple[str, list[object]]:
    """SQL (on ``customers c``) for the customers invoiced in a year."""
    return (
        "c.id IN (SELECT customer_id FROM visits WHERE date >= ? AND date <= ?)",
        [f"{year}-01-01", f"{year}-12-31"],
    )


INVOICE_PERIODS = {
    "month": "substr(x.date, 1, 7)",
    "quarter": "substr(x.date, 1, 4) || '-Q' || ((CAST(substr(x.date, 6, 2) AS INTEGER) + 2) / 3)",
    "year": "substr(x.date, 1, 4)",
}
INVOICE_SEGMENTS = {
    "": "''",
    "brand": "coalesce(v.brand, '')",
    "advisor": "coalesce(x.advisor, '')",
}


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    period: str
    segment: str
    invoices: int
    average: float


def average_invoice(
    conn: sqlite3.Connection,
    period: str = "year",
    segment: str = "",
    first: Month | None = None,
    last: Month | None = None,
) -> list[InvoiceRow]:
    """The average invoice amount per period (and segment: brand or advisor); invoices
    without an amount are left out."""
    if period not in INVOICE_PERIODS or segment not in INVOICE_SEGMENTS:
        raise RetentionError(
            _("Choose a period ({periods}) and a segment ({segments}).").format(
                periods=", ".join(INVOICE_PERIODS),
                segments=", ".join(s for s in INVOICE_SEGMENTS if s),
            )
        )
    where = ["x.amount IS NOT NULL"]
    params: list[object] = []
    if first is not None:
        where.append("x.date >= ?")
        params.append(first.first_day.isoformat())
    if last is not None:
        where.append("x.date <= ?")
        params.append(last.last_day.isoformat())
    rows = conn.execute(
        f"SELECT {INVOICE_PERIODS[period]} AS p, {INVOICE_SEGMENTS[segment]} AS s, count(*),"
        " avg(x.amount) FROM visits x LEFT JOIN vehicles v ON v.id = x.vehicle_id"
        f" WHERE {' AND '.join(where)} GROUP BY p, s ORDER BY p, s",
        params,
    ).fetchall()
    return [InvoiceRow(str(p), str(s), int(n), round(float(a), 2)) for p, s, n, a in rows]
