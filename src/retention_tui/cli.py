"""The command line: parses arguments and calls the same functions the screens call.

Subcommands that open no screen never import Textual, so ``--help`` and reports answer fast.
Errors are one sentence on stderr and a non-zero exit; tracebacks go to the log file.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__, clock
from .cells import printable
from .errors import RetentionError
from .i18n import _, ngettext

log = logging.getLogger("retention_tui")


def _translate_click() -> None:
    """click's own words (Usage, Options, its error messages) in the advisor's language:
    click calls gettext's global functions, so its modules get the app's instead (the
    messages are in the app's catalogues, scripts/translations.py). Before any decorator
    below: click words some option helps when the decorator runs."""
    import importlib

    from . import i18n

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = i18n._  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]


_translate_click()


_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
_FILTERS = click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="COLUMN=FILTER",
    help=_(
        "A column filter in the desktop's filter language, e.g. city=utrecht, "
        "months_away='>12', light=red (repeat to combine)."
    ),
)
_SEARCH = click.option("--search", default="", help=_("Text that must appear in some text column."))
_CUSTOMERS_FILE = click.option(
    "--customers",
    "customers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("A CSV file with a customer_no column."),
)


class Context:
    """What the top-level options decided, handed to every subcommand."""

    def __init__(self, db: Path | None) -> None:
        self.db_option = db

    @property
    def db_path(self) -> Path:
        from .paths import default_db_path

        return self.db_option if self.db_option is not None else default_db_path()

    # The database the command opened, for the sentence of an error met while reading it.
    last_opened: Path | None = None

    def open(self, *, create: bool = True) -> sqlite3.Connection:
        from .db import open_database

        Context.last_opened = self.db_path
        return open_database(self.db_path, create=create)


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            clock.set_today(value)
        except RetentionError as error:
            raise click.BadParameter(str(error)) from None
    return value


def _parse_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .i18n import chosen_language, set_language

    if value is not None:
        try:
            code = chosen_language(value)
        except RetentionError as error:
            raise click.BadParameter(error.message) from None
        set_language(code)  # (the launcher chose it before the help texts were read)
    return value


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RETENTION_TUI_DB",
    help=_("The database file (default: $RETENTION_TUI_DB, else one in the user data folder)."),
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    callback=_parse_today,
    expose_value=False,
    is_eager=True,
    help=_("Pretend today is this date (for every date-dependent figure)."),
)
@click.option(
    "--lang",
    metavar="CODE",
    callback=_parse_lang,
    expose_value=False,
    is_eager=True,
    help=_("The language: en, nl, de, it, lv or zh (default: your choice, else the locale)."),
)
@click.version_option(__version__, prog_name="retention-tui")
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """retention-tui: see which workshop customers are drifting away, and act on it.

    Without a subcommand, opens the app on the database.
    """
    ctx.obj = Context(db)
    if ctx.invoked_subcommand is None:
        open_app(ctx.obj.db_path)


def open_app(path: Path) -> None:
    """Open the Textual app on ``path`` (creating an empty database if there is none)."""
    import os

    from .db import open_database

    open_database(path).close()  # a file that is not ours is refused first, terminal or not
    # Without a terminal (``ssh SERVER COMMAND`` to a ForceCommand login) the app would draw
    # into a pipe and outlive the connection; textual-serve's sessions have their own driver.
    if "TEXTUAL_DRIVER" not in os.environ and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise RetentionError(
            _(
                "The app needs a terminal. Over SSH, log in with ssh -t SERVER; scripts use "
                "the subcommands (retention-tui --help)."
            )
        )
    from .tui.app import RetentionApp

    RetentionApp(db_path=path).run()


# -- demo -----------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--customers",
    type=click.IntRange(1, 5_000_000),
    default=20_000,
    show_default=True,
    help=_("How many customers to make."),
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help=_("Random seed: the same seed gives the same data."),
)
@click.option("--no-open", is_flag=True, help=_("Build the database but do not open the app."))
@click.option("--force", is_flag=True, help=_("Rebuild even if the demo database is up to date."))
@click.pass_obj
def demo(obj: Context, customers: int, seed: int, no_open: bool, force: bool) -> None:
    """Build a realistic demo database (deterministic per seed) and open it."""
    from . import demo as demo_data
    from .paths import demo_db_path

    path = obj.db_option if obj.db_option is not None else demo_db_path()
    if force or not demo_data.is_current_demo(path, customers=customers, seed=seed):
        interactive = sys.stderr.isatty()
        if interactive:
            click.echo(
                _("Building a demo database with {n:,} customers in {path} ...").format(
                    n=customers, path=path
                ),
                err=True,
            )
        summary = demo_data.build_demo(path, customers=customers, seed=seed)
        click.echo(
            _(
                "Demo database {path}: {customers:,} customers, {vehicles:,} vehicles, "
                "{visits:,} visits ({seconds:.1f} s)."
            ).format(
                path=path,
                customers=summary.customers,
                vehicles=summary.vehicles,
                visits=summary.visits,
                seconds=summary.seconds,
            ),
            err=True,
        )
    else:
        click.echo(
            _(
                "Using the demo database {path} (same size, seed and day; --force rebuilds it)."
            ).format(path=path),
            err=True,
        )
    if not no_open:
        open_app(path)


# -- import ---------------------------------------------------------------------------------

IMPORT_KINDS = ["customers", "vehicles", "visits", "traffic-lights", "departures", "tags"]


@cli.command(name="import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", help=_("The file's encoding, e.g. cp1252 (default: UTF-8)."))
@click.option("--delimiter", help=_("Column separator: ',' ';' 'tab' or '|' (default: sniffed)."))
@click.option(
    "--date-format",
    metavar="FORMAT",
    help=_("strptime format of the dates, e.g. %d-%m-%Y (default: YYYY-MM-DD)."),
)
@click.option("--decimal", type=click.Choice([".", ","]), help=_("Decimal mark of amounts."))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("TOML file that maps another DMS's columns and format."),
)
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help=_("Write the good rows and report the bad ones (default: all or nothing)."),
)
@click.pass_obj
def import_(
    obj: Context,
    kind: str,
    file: Path,
    encoding: str | None,
    delimiter: str | None,
    date_format: str | None,
    decimal: str | None,
    mapping: Path | None,
    skip_bad_rows: bool,
) -> None:
    """Import a CSV export from the dealer system (KIND: customers, vehicles, visits,
    traffic-lights, departures, tags). All or nothing unless --skip-bad-rows; every rejected
    row is named."""
    from . import importer

    options = importer.ImportOptions.build(
        encoding=encoding,
        delimiter=delimiter,
        date_format=date_format,
        decimal=decimal,
        mapping=mapping,
        skip_bad_rows=skip_bad_rows,
    )
    conn = obj.open()
    try:
        progress = ClickProgress if sys.stderr.isatty() else None
        result = importer.import_file(conn, kind, file, options, progress=progress)
    finally:
        conn.close()
    for line in result.report_lines():
        click.echo(line, err=bool(result.rejected))
    if result.rejected or not result.written:
        sys.exit(1)


class ClickProgress:
    """A click progress bar on stderr, for imports of large files on a terminal."""

    def __init__(self, total: int, label: str) -> None:
        self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
        self._bar.__enter__()

    def update(self, n: int) -> None:
        self._bar.update(n)

    def close(self) -> None:
        self._bar.__exit__(None, None, None)


# -- report ---------------------------------------------------------------------------------


@cli.group()
def report() -> None:
    """Reports on the database (no screen)."""


@report.command()
@_FORMAT
@click.pass_obj
def summary(obj: Context, fmt: str) -> None:
    """The database at a glance: customers, vehicles, visits, date range."""
    from .overview import database_overview

    conn = obj.open(create=False)
    try:
        ov = database_overview(conn)
    finally:
        conn.close()
    rows: list[tuple[str, Any]] = [
        ("customers", ov.customers),
        ("vehicles", ov.vehicles),
        ("visits", ov.visits),
        ("first_visit", ov.first_visit or ""),
        ("last_visit", ov.last_visit or ""),
        ("active_customers", ov.active_customers),
        ("departures", ov.departures),
        ("campaigns", ov.campaigns),
        ("today", ov.today),
    ]
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["figure", "value"])
        writer.writerows(rows)
    else:
        width = max(len(name) for name, _value in rows)
        for name, value in rows:
            shown = f"{value:,}" if isinstance(value, int) else str(value)
            click.echo(f"{name.ljust(width)}  {shown}")


@report.command()
@_FILTERS
@_SEARCH
@click.option("--sort", default="name", show_default=True, help=_("Column to sort by."))
@click.option("--desc", is_flag=True, help=_("Sort descending."))
@_FORMAT
@click.pass_obj
def customers(
    obj: Context, filters: tuple[str, ...], search: str, sort: str, desc: bool, fmt: str
) -> None:
    """The desktop's customer list, filtered and sorted as on screen.

    \b
    Columns: light nps retention caring customer_no name phone city vehicle advisor
             last_visit months_away status
    Filters: jose (contains)  ^van (starts)  =Utrecht (exactly)  !golf (not)
             "" (empty)  >12  <=2025-06  2024-01..2024-06  red  <7  on/off
    """
    from . import customer_list as cl

    query = cl.query_from_options(filters, search, sort, desc)
    conn = obj.open(create=False)
    try:
        ctx = cl.ListContext.load(conn)
        query.check(ctx)
        if fmt == "csv":
            cl.export_csv(conn, query, ctx, sys.stdout)
            return
        from .cells import fit

        click.echo(" ".join(fit(c.title, c.width, c.align) for c in cl.COLUMNS).rstrip())
        ids = cl.snapshot(conn, query, ctx)
        assert ids is not None
        for start in range(0, len(ids), 1000):
            for row in cl.fetch_rows(conn, ids[start : start + 1000], ctx):
                click.echo(
                    " ".join(fit(row.cell(c.key), c.width, c.align) for c in cl.COLUMNS).rstrip()
                )
        total = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
        click.echo(
            _("{count} of {total} customers").format(count=f"{len(ids):,}", total=f"{total:,}"),
            err=True,
        )
    finally:
        conn.close()


def _month_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from .months import Month

    try:
        return Month.parse(value)
    except RetentionError as error:
        raise click.BadParameter(error.message) from None


@report.command(name="loyalty")
@click.option("--window", type=int, help=_("Loyalty window in months (default: the setting)."))
@click.option("--from", "first", callback=_month_option, metavar="YYYY-MM",
              help=_("First month (default: the first month with a visit)."))  # fmt: skip
@click.option("--to", "last", callback=_month_option, metavar="YYYY-MM",
              help=_("Last month (default: this month)."))  # fmt: skip
@_FORMAT
@click.pass_obj
def loyalty_report(obj: Context, window: int | None, first: Any, last: Any, fmt: str) -> None:
    """Active, new and lapsed customers month by month, oldest month first."""
    from . import loyalty

    conn = obj.open(create=False)
    try:
        window = window if window is not None else loyalty.default_window(conn)
        rows = loyalty.loyalty_table(conn, window, first, last)
        follow = loyalty.lapse_follow_up(conn, window)
    finally:
        conn.close()
    header = ["month", "active", "new", "lapsed", "visits", "mot", "mot_samples", "net",
              "came_back", "contacted", "confirmed_lost", "in_window"]  # fmt: skip
    table = []
    for r in rows:
        f = follow.get(r.month)
        table.append(
            [
                str(r.month),
                r.active,
                r.new,
                r.lapsed,
                r.visits,
                r.mot,
                r.mot_samples,
                r.net,
                r.came_back,
                f.contacted if f else 0,
                f.confirmed_lost if f else 0,
                int(r.in_window),
            ]
        )
    _print_rows(header, table, fmt)


@report.command(name="loyalty-customers")
@click.option("--window", type=int, help=_("Loyalty window in months (default: the setting)."))
@click.option("--month", required=True, callback=_month_option, metavar="YYYY-MM")
@click.option("--kind", type=click.Choice(["both", "new", "lapsed"]), default="both",
              show_default=True)  # fmt: skip
@_FORMAT
@click.pass_obj
def loyalty_customers(obj: Context, window: int | None, month: Any, kind: str, fmt: str) -> None:
    """The customers behind a month's new and lapsed figures."""
    from . import loyalty

    conn = obj.open(create=False)
    try:
        window = window if window is not None else loyalty.default_window(conn)
        customers = loyalty.loyalty_customers(conn, month, window, kind)
    finally:
        conn.close()
    header = ["customer_no", "name", "kind", "last_visit", "phone", "email",
              "visits_in_window", "contact"]  # fmt: skip
    _print_rows(
        header,
        [
            [
                c.customer_no,
                c.name,
                c.kind,
                c.last_visit or "",
                c.phone or "",
                c.email or "",
                c.visits_in_window,
                c.contact,
            ]
            for c in customers
        ],
        fmt,
    )


def _print_rows(header: list[str], rows: list[list[Any]], fmt: str) -> None:
    """CSV with fixed English headers, or an aligned text table."""
    if fmt == "csv":
        from .csvfile import writer

        out = writer(sys.stdout)  # a lone carriage return in a value is quoted too
        out.writerow(header)
        out.writerows(rows)
        return
    from rich.cells import cell_len

    from .cells import fit, printable

    cells = [[printable(str(v)) for v in row] for row in rows]
    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in cells]) for i, h in enumerate(header)]
    widths = [min(w, 30) for w in widths]
    click.echo("  ".join(fit(h, w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row, raw_row in zip(cells, rows, strict=True):
        aligned = [
            fit(v, w, "right" if isinstance(raw, int) else "left")
            for v, w, raw in zip(row, widths, raw_row, strict=True)
        ]
        click.echo("  ".join(aligned).rstrip())


@cli.group()
def reasons() -> None:
    """The departure reasons: suggestions and clean-up (no screen)."""


@reasons.command(name="suggest")
@click.argument("text")
@click.option("--limit", type=int, default=5, show_default=True)
@_FORMAT
@click.pass_obj
def reasons_suggest(obj: Context, text: str, limit: int, fmt: str) -> None:
    """The reasons the departure form would suggest for TEXT, best first.

    takes is 1 on the reason Enter would take (0 everywhere when none is close enough).
    """
    from . import reasons as reason_list

    conn = obj.open(create=False)
    try:
        found = reason_list.suggest(conn, text, limit, typing=False)
    finally:
        conn.close()
    _print_rows(
        ["reason", "score", "takes"],
        [[s.label, s.score, int(s.takes)] for s in found],
        fmt,
    )


@reasons.command(name="clusters")
@_FORMAT
@click.pass_obj
def reasons_clusters(obj: Context, fmt: str) -> None:
    """Groups of reasons that are likely the same; the suggested survivor first in each."""
    from . import reasons as reason_list

    conn = obj.open(create=False)
    try:
        groups = reason_list.clusters(conn)
    finally:
        conn.close()
    rows = [
        [n, use.reason_id, use.label, use.uses, int(i == 0)]
        for n, group in enumerate(groups, 1)
        for i, use in enumerate(group)
    ]
    _print_rows(["cluster", "reason_id", "reason", "uses", "survivor"], rows, fmt)


@reasons.command(name="merge")
@click.argument("survivor", type=int)
@click.argument("members", type=int, nargs=-1, required=True)
@click.pass_obj
def reasons_merge(obj: Context, survivor: int, members: tuple[int, ...]) -> None:
    """Merge the reasons MEMBERS (ids) into SURVIVOR: departures move, names become aliases."""
    from . import reasons as reason_list

    conn = obj.open(create=False)
    try:
        moved = reason_list.merge(conn, survivor, list(members))
    finally:
        conn.close()
    click.echo(_("Merged {n} reasons; {moved} departures moved.").format(
        n=len(set(members) - {survivor}), moved=moved))  # fmt: skip


@report.command(name="campaign")
@click.argument("campaign_id", type=int)
@_FORMAT
@click.pass_obj
def campaign_report(obj: Context, campaign_id: int, fmt: str) -> None:
    """A campaign's effectiveness: called, reached, appointments, who came back after the
    call (30/60/90 days), per outcome and advisor, beside comparable customers nobody called."""
    from . import campaigns

    conn = obj.open(create=False)
    try:
        rows = campaigns.effectiveness(conn, campaign_id)
    finally:
        conn.close()
    _print_rows(
        campaigns.EFFECT_HEADER,
        [
            [r.section, r.name, r.members, r.called, r.reached, r.appointments, *r.came_back,
             "" if r.conversion is None else f"{r.conversion:.1%}"]
            for r in rows
        ],
        fmt,
    )  # fmt: skip


@report.command(name="departed")
@click.option("--from", "first", callback=_month_option, metavar="YYYY-MM")
@click.option("--to", "last", callback=_month_option, metavar="YYYY-MM")
@click.option(
    "--by",
    type=click.Choice(["reason", "advisor", "brand", "model", "month", "quarter"]),
    default="reason",
    show_default=True,
)
@click.option("--advisor", help=_("Only this advisor's customers."))
@click.option("--brand", help=_("Only customers whose main vehicle is of this brand."))
@click.option("--model", help=_("Only customers whose main vehicle is this model."))
@_FORMAT
@click.pass_obj
def departed(
    obj: Context, first: Any, last: Any, by: str, advisor: str | None, brand: str | None,
    model: str | None, fmt: str,
) -> None:  # fmt: skip
    """Departures per reason (or advisor, brand, model, month, quarter) and their share."""
    from . import churn

    conn = obj.open(create=False)
    try:
        rows = churn.departed_report(
            conn, first, last, by, advisor=advisor, brand=brand, model=model
        )
    finally:
        conn.close()
    _print_rows(
        [by, "departures", "share"],
        [[r.group, r.departures, f"{r.share:.3f}"] for r in rows],
        fmt,
    )


@report.command(name="churn")
@click.option(
    "--by",
    type=click.Choice(["brand", "series", "model", "vehicle-age", "advisor", "month", "outcome"]),
    default="brand",
    show_default=True,
)
@_FORMAT
@click.pass_obj
def churn_report(obj: Context, by: str, fmt: str) -> None:
    """Lapsed customers per segment, their share and the yearly value they took with them."""
    from . import churn

    conn = obj.open(create=False)
    try:
        rows = churn.churn_statistics(conn, by)
    finally:
        conn.close()
    _print_rows(
        [by, "customers", "lapsed", "share", "value_lost"],
        [[r.group, r.customers, r.lapsed, f"{r.share:.3f}", f"{r.value_lost:.2f}"] for r in rows],
        fmt,
    )


@report.command(name="retention")
@click.option("--window", type=int, help=_("Loyalty window in months (default: the setting)."))
@_FORMAT
@click.pass_obj
def retention_report(obj: Context, window: int | None, fmt: str) -> None:
    """Retention per advisor: of the customers each served, the share who came back."""
    from . import churn, loyalty

    conn = obj.open(create=False)
    try:
        window = window if window is not None else loyalty.default_window(conn)
        rows = churn.retention_per_advisor(conn, loyalty.check_window(window))
    finally:
        conn.close()
    _print_rows(
        ["advisor", "served", "came_back", "share"],
        [[r.advisor, r.served, r.came_back, f"{r.share:.3f}"] for r in rows],
        fmt,
    )


@report.command(name="invoices")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="year",
              show_default=True)  # fmt: skip
@click.option("--segment", type=click.Choice(["brand", "advisor"]), help=_("Split by segment."))
@click.option("--from", "first", callback=_month_option, metavar="YYYY-MM")
@click.option("--to", "last", callback=_month_option, metavar="YYYY-MM")
@_FORMAT
@click.pass_obj
def invoices_report(
    obj: Context, period: str, segment: str | None, first: Any, last: Any, fmt: str
) -> None:
    """The average invoice per period (and brand or advisor)."""
    from . import churn

    conn = obj.open(create=False)
    try:
        rows = churn.average_invoice(conn, period, segment or "", first, last)
    finally:
        conn.close()
    _print_rows(
        ["period", segment or "segment", "invoices", "average"],
        [[r.period, r.segment, r.invoices, f"{r.average:.2f}"] for r in rows],
        fmt,
    )


# -- backup ---------------------------------------------------------------------------------


@cli.group()
def campaign() -> None:
    """Campaigns: templates, new campaigns, members (no screen)."""


@campaign.command(name="templates")
@_FORMAT
@click.pass_obj
def campaign_templates(obj: Context, fmt: str) -> None:
    """The templates a campaign is made from, the built-in ones first."""
    from . import campaigns

    conn = obj.open(create=False)
    try:
        rows = [
            [t.key, t.name, t.kind, t.offer, t.cooldown_days, t.max_attempts, int(t.builtin)]
            for t in campaigns.templates(conn)
        ]
    finally:
        conn.close()
    header = ["key", "name", "kind", "offer", "cooldown_days", "max_attempts", "builtin"]
    _print_rows(header, rows, fmt)


@campaign.command(name="new")
@click.option("--template", "template_key", required=True, help=_("The template's key."))
@click.option("--name", required=True, help=_("The campaign's name."))
@click.option("--offer", help=_("The offer (default: the template's)."))
@click.option("--cooldown-days", type=int, help=_("Days before an unanswered customer returns."))
@click.option("--max-attempts", type=int, help=_("Calls at most per customer."))
@click.pass_obj
def campaign_new(
    obj: Context, template_key: str, name: str, offer: str | None, cooldown_days: int | None,
    max_attempts: int | None,
) -> None:  # fmt: skip
    """Make a draft campaign from a template; prints only its id."""
    from . import campaigns

    conn = obj.open(create=False)
    try:
        campaign_id = campaigns.new_campaign(
            conn, template_key, name, offer=offer, cooldown_days=cooldown_days,
            max_attempts=max_attempts,
        )  # fmt: skip
    finally:
        conn.close()
    click.echo(campaign_id)


@campaign.command(name="add")
@click.argument("campaign_id", type=int)
@_FILTERS
@_SEARCH
@_CUSTOMERS_FILE
@click.pass_obj
def campaign_add(
    obj: Context, campaign_id: int, filters: tuple[str, ...], search: str,
    customers_file: Path | None,
) -> None:  # fmt: skip
    """Add the customers of a desktop filter, or of a CSV file, to a campaign."""
    from . import campaigns

    conn = obj.open(create=False)
    try:
        ids, source = _chosen_customers(conn, filters, search, customers_file)
        added = campaigns.add_members(conn, campaign_id, ids, source)
    finally:
        conn.close()
    click.echo(
        _("{added} customers added ({already} were members already).").format(
            added=added, already=len(set(ids)) - added
        )
    )


@campaign.command(name="remove")
@click.argument("campaign_id", type=int)
@click.argument("customer_nos", nargs=-1)
@_CUSTOMERS_FILE
@click.pass_obj
def campaign_remove(
    obj: Context, campaign_id: int, customer_nos: tuple[str, ...], customers_file: Path | None
) -> None:
    """Take customers (by number, or a CSV file's customer_no column) out of a campaign;
    their calls stay in the history."""
    from . import campaigns

    numbers = list(customer_nos) + (_customer_numbers(customers_file) if customers_file else [])
    if not numbers:
        raise click.UsageError(_("Name the customers to remove, or give --customers FILE."))
    conn = obj.open(create=False)
    try:
        campaigns.campaign(conn, campaign_id)
        ids = campaigns.customer_ids_by_number(conn, numbers)
        removed = campaigns.remove_members(conn, campaign_id, ids)
    finally:
        conn.close()
    click.echo(
        ngettext(
            "{removed} customer removed from the campaign.",
            "{removed} customers removed from the campaign.",
            removed,
        ).format(removed=removed)
    )


def _chosen_customers(
    conn: sqlite3.Connection, filters: tuple[str, ...], search: str, customers_file: Path | None
) -> tuple[list[int], str]:
    """The customers a command works on: a desktop filter or a CSV file's customer_no
    column; with where they came from."""
    from . import campaigns
    from . import customer_list as cl

    if customers_file is not None and (filters or search):
        raise click.UsageError(_("Give either --customers or --filter/--search, not both."))
    if customers_file is not None:
        numbers = _customer_numbers(customers_file)
        return campaigns.customer_ids_by_number(conn, numbers), customers_file.name
    query = cl.query_from_options(filters, search)
    ctx = cl.ListContext.load(conn)
    query.check(ctx)
    found = cl.snapshot(conn, query, ctx)
    source = " ".join(["filter", *filters, *([f"search={search}"] if search else [])])
    return list(found or []), source


def _customer_numbers(path: Path) -> list[str]:
    """The customer_no column of a CSV file, in order."""
    import csv

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "customer_no" not in [
                (f or "").strip().lower() for f in reader.fieldnames
            ]:
                raise RetentionError(_("{path} has no customer_no column.").format(path=path))
            column = next(f for f in reader.fieldnames if f.strip().lower() == "customer_no")
            return [n.strip() for row in reader if (n := (row.get(column) or "")).strip()]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RetentionError(
            _("Cannot read {path}: {error}").format(path=path, error=error)
        ) from None


@campaign.command(name="activate")
@click.argument("campaign_id", type=int)
@click.pass_obj
def campaign_activate(obj: Context, campaign_id: int) -> None:
    """Start a campaign: its queue opens and its members carry its badge."""
    _set_campaign_status(obj, campaign_id, "active")


@campaign.command(name="close")
@click.argument("campaign_id", type=int)
@click.pass_obj
def campaign_close(obj: Context, campaign_id: int) -> None:
    """End a campaign: no more calls; its history stays."""
    _set_campaign_status(obj, campaign_id, "closed")


def _set_campaign_status(obj: Context, campaign_id: int, status: str) -> None:
    from . import campaigns

    conn = obj.open(create=False)
    try:
        campaigns.set_status(conn, campaign_id, status)
    finally:
        conn.close()


@campaign.command(name="list")
@_FORMAT
@click.pass_obj
def campaign_list(obj: Context, fmt: str) -> None:
    """Every campaign with its status, period and queue."""
    from . import campaigns

    conn = obj.open(create=False)
    try:
        rows = []
        for c in campaigns.campaigns(conn):
            queue = campaigns.queue_state(conn, c.id)
            rows.append(
                [c.id, c.name, c.kind, c.status, c.starts_on, c.ends_on or "",
                 sum(queue.values()), queue["ready now"], queue["done"]]
            )  # fmt: skip
    finally:
        conn.close()
    header = ["id", "name", "kind", "status", "starts_on", "ends_on", "members", "ready", "done"]
    _print_rows(header, rows, fmt)


@cli.group()
def calls() -> None:
    """Work a campaign's queue from the command line (the call session without a screen)."""


@calls.command(name="next")
@click.argument("campaign_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="csv", show_default=True
)
@click.pass_obj
def calls_next(obj: Context, campaign_id: int, fmt: str) -> None:
    """Claim the next member of the queue and print it.

    Exits with status 3 when nothing is ready; the queue's explanation is on stderr.
    """
    from . import campaigns

    conn = obj.open(create=False)
    try:
        claim = campaigns.claim_next(conn, campaign_id, campaigns.new_session("cli"))
        if claim is None:
            queue = campaigns.queue_state(conn, campaign_id)
            click.echo(_("Nothing is ready to call now."), err=True)
            for state, n in queue.items():
                if n:
                    click.echo(f"  {_(state)}: {n}", err=True)
            sys.exit(3)
        row = conn.execute(
            "SELECT customer_no, name, coalesce(nullif(phone, ''), mobile) FROM customers"
            " WHERE id = ?",
            (claim.customer_id,),
        ).fetchone()
    finally:
        conn.close()
    _print_rows(["customer_no", "name", "phone", "why"], [[*row, claim.why]], fmt)


@calls.command(name="log")
@click.argument("campaign_id", type=int)
@click.argument("customer_no")
@click.argument("outcome")
@click.option("--note", default="", help=_("A note on the call."))
@click.option("--callback", metavar="YYYY-MM-DDTHH:MM", help=_("When to call back."))
@click.option("--nps", type=click.IntRange(0, 10), help=_("The customer's NPS score, 0-10."))
@click.pass_obj
def calls_log(
    obj: Context, campaign_id: int, customer_no: str, outcome: str, note: str,
    callback: str | None, nps: int | None,
) -> None:  # fmt: skip
    """Log a call's OUTCOME for a member of the campaign.

    \b
    OUTCOME: reached, no-answer, voicemail, wrong-number, callback, not-interested, booked,
             already-booked, done-elsewhere, vehicle-sold, moved-away, do-not-call
    """
    from . import campaigns
    from .calls import parse_callback
    from .customers import customer_id_by_number

    when = parse_callback(callback) if callback else None
    conn = obj.open(create=False)
    try:
        customer_id = customer_id_by_number(conn, customer_no)
        if customer_id is None:
            raise RetentionError(
                _("There is no customer with the number {number}.").format(number=customer_no)
            )
        logged = campaigns.log_outcome(
            conn, campaign_id, customer_id, outcome, session=campaigns.new_session("cli"),
            note=note, callback_at=when, nps=nps, allow_claims_of="cli:",
        )  # fmt: skip
    finally:
        conn.close()
    click.echo(
        _("Logged; the member is now {state}.").format(state=_(logged.state))
        + (
            " " + _("Next call after {when}.").format(when=logged.next_call_after[:16])
            if logged.next_call_after
            else ""
        )
    )


# -- tags -----------------------------------------------------------------------------------


@cli.group(name="tags")
def tags_group() -> None:
    """The tag catalogue, and tags on customers."""


@tags_group.command(name="list")
@_FORMAT
@click.pass_obj
def tags_list(obj: Context, fmt: str) -> None:
    """The catalogue: code, label, group, default validity, grade, automatic, uses."""
    from . import tags

    conn = obj.open(create=False)
    try:
        found = tags.catalogue(conn, with_uses=True)
    finally:
        conn.close()
    header = ["code", "label", "group", "valid_days", "graded", "automatic", "retired", "uses"]
    rows = [
        [t.code, _(t.label), t.group, t.valid_days or "", int(t.graded), int(t.automatic),
         int(t.retired), t.uses]
        for t in found
    ]  # fmt: skip
    _print_rows(header, rows, fmt)


@tags_group.command(name="add")
@click.argument("code")
@click.argument("label")
@click.option("--group", default="other", show_default=True, help=_("service, interest, "
              "relationship, account, contact or other."))  # fmt: skip
@click.option("--valid-days", type=int, help=_("How long a booked tag counts (default: no end)."))
@click.option("--graded", is_flag=True, help=_("It takes a school grade 1-6."))
@click.pass_obj
def tags_add(
    obj: Context, code: str, label: str, group: str, valid_days: int | None, graded: bool
) -> None:
    """Add an entry to the catalogue."""
    from . import tags

    conn = obj.open(create=False)
    try:
        tags.add_to_catalogue(conn, code, label, group=group, valid_days=valid_days,
                              graded=graded)  # fmt: skip
    finally:
        conn.close()
    click.echo(_("Tag '{code}' added.").format(code=code.strip().lower()))


@tags_group.command(name="rename")
@click.argument("code")
@click.argument("label")
@click.pass_obj
def tags_rename(obj: Context, code: str, label: str) -> None:
    """Give a catalogue entry another label (its code stays)."""
    from . import tags

    conn = obj.open(create=False)
    try:
        tags.change_in_catalogue(conn, code, label=label)
    finally:
        conn.close()
    click.echo(_("Tag '{code}' is now called '{label}'.").format(code=code, label=label))


@tags_group.command(name="retire")
@click.argument("code")
@click.option("--restore", is_flag=True, help=_("Offer a retired tag again."))
@click.pass_obj
def tags_retire(obj: Context, code: str, restore: bool) -> None:
    """Stop offering a tag; one that was used is kept (it still filters), one never used
    is deleted."""
    from . import tags

    conn = obj.open(create=False)
    try:
        what = tags.retire(conn, code, retired=not restore)
    finally:
        conn.close()
    click.echo({
        "deleted": _("Tag '{code}' was never used: deleted."),
        "retired": _("Tag '{code}' retired: no longer offered; what was booked stays."),
        "restored": _("Tag '{code}' is offered again."),
    }[what].format(code=code))  # fmt: skip


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("'{value}' is not a date (YYYY-MM-DD).").format(
            value=value)) from None  # fmt: skip


@tags_group.command(name="book")
@click.argument("code")
@_FILTERS
@_SEARCH
@_CUSTOMERS_FILE
@click.option("--grade", type=click.IntRange(1, 6), help=_("School grade 1 (best) to 6."))
@click.option("--set-on", callback=_day, metavar="YYYY-MM-DD", help=_("The day it applies "
              "from (default: today)."))  # fmt: skip
@click.option("--valid-until", callback=_day, metavar="YYYY-MM-DD",
              help=_("Its last valid day (default: the catalogue's validity)."))  # fmt: skip
@click.option("--follow-up", callback=_day, metavar="YYYY-MM-DD",
              help=_("When to follow it up (it shows on the agenda)."))  # fmt: skip
@click.option("--note", default="", help=_("A note."))
@click.pass_obj
def tags_book(
    obj: Context, code: str, filters: tuple[str, ...], search: str,
    customers_file: Path | None, grade: int | None, set_on: Any, valid_until: Any,
    follow_up: Any, note: str,
) -> None:  # fmt: skip
    """Tag every customer of a desktop filter (or of a CSV file) at once."""
    from . import tags

    if not (filters or search or customers_file):
        raise click.UsageError(_("Say whom to tag: --filter, --search or --customers FILE."))
    conn = obj.open(create=False)
    try:
        ids, _source = _chosen_customers(conn, filters, search, customers_file)
        added = tags.add(conn, ids, tags.Tagging(code, grade, valid_until, follow_up, note,
                                                 set_on))  # fmt: skip
    finally:
        conn.close()
    click.echo(
        _("{added} customers tagged, {refreshed} refreshed (they held it already).").format(
            added=added, refreshed=len(ids) - added
        )
    )


@tags_group.command(name="interest")
@click.argument("customer_no")
@click.option("--brand", default="", help=_("The brand wanted."))
@click.option("--model", default="", help=_("The model or series wanted."))
@click.option("--year-from", type=int, help=_("Built in this year or later."))
@click.option("--max-mileage", type=int, help=_("At most this mileage."))
@click.option("--max-price", type=float, help=_("At most this price."))
@click.option("--text", default="", help=_("Anything else the customer said."))
@click.option("--grade", type=click.IntRange(1, 6), help=_("How keen: 1 (very) to 6."))
@click.pass_obj
def tags_interest(
    obj: Context, customer_no: str, brand: str, model: str, year_from: int | None,
    max_mileage: int | None, max_price: float | None, text: str, grade: int | None,
) -> None:  # fmt: skip
    """Record what a customer would like to buy (a purchase interest, about half a year)."""
    from . import campaigns, trade_ins

    conn = obj.open(create=False)
    try:
        (customer_id,) = campaigns.customer_ids_by_number(conn, [customer_no])
        wishes = trade_ins.Wishes(brand.strip(), model.strip(), year_from, max_mileage,
                                  max_price, text.strip())  # fmt: skip
        trade_ins.record_interest(conn, customer_id, wishes, grade=grade)
    finally:
        conn.close()
    click.echo(_("Purchase interest recorded: {wishes}.").format(wishes=wishes.describe()))


# -- trade-ins ------------------------------------------------------------------------------

_MATCH_HEADER = ["trade_in", "customer_no", "name", "phone", "grade", "set_on", "valid_until",
                 "wishes", "why"]  # fmt: skip


def _match_rows(done: list[tuple[int, list[Any]]]) -> list[list[Any]]:
    return [
        [trade_in_id, m.customer_no, m.name, m.phone, m.grade or "", m.set_on,
         m.valid_until or "", m.wishes.describe(), "; ".join(m.why)]
        for trade_in_id, found in done
        for m in found
    ]  # fmt: skip


@cli.group(name="trade-in")
def trade_in() -> None:
    """Vehicles taken in trade, and the purchase interests they match."""


@trade_in.command(name="add")
@click.option("--brand", required=True)
@click.option("--model", required=True)
@click.option("--year", type=int)
@click.option("--mileage", type=int)
@click.option("--price", type=float)
@click.option("--note", default="")
@_FORMAT
@click.pass_obj
def trade_in_add(
    obj: Context, brand: str, model: str, year: int | None, mileage: int | None,
    price: float | None, note: str, fmt: str,
) -> None:  # fmt: skip
    """Record a vehicle taken in trade and list the valid purchase interests it matches,
    best first, with why."""
    from . import trade_ins

    vehicle = trade_ins.Vehicle(brand, model, year, mileage, price)
    conn = obj.open(create=False)
    try:
        done = trade_ins.add(conn, [vehicle], note)
    finally:
        conn.close()
    _print_rows(_MATCH_HEADER, _match_rows(done), fmt)
    if fmt != "csv" and not done[0][1]:
        click.echo(_("No valid purchase interest matches this vehicle."), err=True)


@trade_in.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_FORMAT
@click.pass_obj
def trade_in_import(obj: Context, file: Path, fmt: str) -> None:
    """Record a CSV of vehicles taken in trade (brand, model, year, mileage, price, note),
    all or nothing, and list the purchase interests each one matches."""
    from . import trade_ins

    vehicles, notes = trade_ins.read_csv(file)
    conn = obj.open(create=False)
    try:
        done = trade_ins.add(conn, vehicles, notes)
    finally:
        conn.close()
    _print_rows(_MATCH_HEADER, _match_rows(done), fmt)


# -- messages, the outbox and secrets ---------------------------------------------------------


@cli.group()
def messages() -> None:
    """Message templates, and email, SMS or letters to one customer or a whole list."""


@messages.command(name="templates")
@_FORMAT
@click.pass_obj
def messages_templates(obj: Context, fmt: str) -> None:
    """The templates: key (or id), channel, name, subject."""
    from . import messages as msg

    conn = obj.open(create=False)
    try:
        found = msg.templates(conn)
    finally:
        conn.close()
    _print_rows(
        ["key", "channel", "name", "subject", "builtin"],
        [[t.key or t.id, t.channel, t.name, t.subject or "", int(t.builtin)] for t in found],
        fmt,
    )


@messages.command(name="preview")
@click.argument("template")
@click.argument("customer_no")
@click.option("--offer", default="", help=_("The text for {offer}."))
@click.pass_obj
def messages_preview(obj: Context, template: str, customer_no: str, offer: str) -> None:
    """What one customer would read."""
    from . import messages as msg
    from .customers import customer_id_by_number

    conn = obj.open(create=False)
    try:
        customer_id = customer_id_by_number(conn, customer_no)
        if customer_id is None:
            raise RetentionError(_("There is no customer {no}.").format(no=customer_no))
        subject, body = msg.preview(conn, template, customer_id, offer)
    finally:
        conn.close()
    if subject:
        click.echo(_("Subject: {subject}").format(subject=printable(subject)))
        click.echo()
    click.echo(printable(body, keep_newlines=True))


@messages.command(name="send")
@click.argument("template")
@_FILTERS
@_SEARCH
@_CUSTOMERS_FILE
@click.option("--offer", default="", help=_("The text for {offer}."))
@click.option("--yes", is_flag=True, help=_("Queue without asking."))
@click.pass_obj
def messages_send(
    obj: Context, template: str, filters: tuple[str, ...], search: str,
    customers_file: Path | None, offer: str, yes: bool,
) -> None:  # fmt: skip
    """Queue a template for the customers of a desktop filter (or a CSV file): only those
    with consent for its channel and not blocked; `outbox send` sends them."""
    from . import messages as msg

    conn = obj.open(create=False)
    try:
        found = msg.template(conn, template)
        if msg.needs_offer(found, offer):
            raise click.UsageError(_("This template speaks of {offer}: give --offer TEXT."))
        ids, _source = _chosen_customers(conn, filters, search, customers_file)
        who = msg.audience(conn, ids, found.channel, found.id)
        click.echo(who.describe(), err=True)
        if not who.ready:
            sys.exit(3)
        if not yes and not click.confirm(_("Queue them?"), err=True):
            raise click.exceptions.Abort()
        done = msg.queue(conn, found.id, ids, offer=offer)
    finally:
        conn.close()
    click.echo(
        _("{queued} messages queued (batch {batch}).").format(
            queued=f"{done.queued:,}", batch=done.batch
        )
    )


@messages.command(name="letters")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def messages_letters(obj: Context, file: Path) -> None:
    """Write every queued letter to a mail-merge CSV and mark them sent."""
    from . import messages as msg

    conn = obj.open(create=False)
    try:
        written = msg.export_letters(conn, file)
    finally:
        conn.close()
    click.echo(_("{n} letters written to {file}.").format(n=f"{written:,}", file=file))


@messages.group(name="setup")
def messages_setup() -> None:
    """Where email and SMS go (the password and token go to the keyring: `secrets set`)."""


@messages_setup.command(name="email")
@click.option("--host", required=True)
@click.option("--port", type=int, default=587, show_default=True)
@click.option("--security", type=click.Choice(["starttls", "tls", "none"]), default="starttls",
              show_default=True)  # fmt: skip
@click.option("--username", default=None, help=_("Log in as (the password: secrets set smtp)."))
@click.option("--sender", required=True, help=_('The From address, e.g. "Garage <a@b.nl>".'))
@click.option("--reply-to", default=None)
@click.option("--rate", type=int, default=None, help=_("Emails per minute at most."))
@click.pass_obj
def messages_setup_email(
    obj: Context, host: str, port: int, security: str, username: str | None, sender: str,
    reply_to: str | None, rate: int | None,
) -> None:  # fmt: skip
    """The SMTP server email goes through."""
    config = {"host": host, "port": port, "security": security, "username": username,
              "sender": sender, "reply_to": reply_to}  # fmt: skip
    _store_channel(obj, "smtp", "email", {k: v for k, v in config.items() if v is not None}, rate)


@messages_setup.command(name="sms")
@click.option("--url", required=True, help=_("May hold {to} {text} {ref} {sender}."))
@click.option("--method", type=click.Choice(["POST", "GET"]), default="POST", show_default=True)
@click.option("--body", default=None, help=_("The request body with the same placeholders."))
@click.option("--content-type", default="application/json", show_default=True)
@click.option("--auth", default="bearer", show_default=True,
              help=_("bearer, basic, header:NAME, query:NAME or none."))  # fmt: skip
@click.option("--username", default=None, help=_("For basic auth."))
@click.option("--sender", default=None, help=_("The SMS sender name or number."))
@click.option("--id-field", default=None, help=_("The response field with the message id."))
@click.option("--rate", type=int, default=None, help=_("SMS per minute at most."))
@click.pass_obj
def messages_setup_sms(
    obj: Context, url: str, method: str, body: str | None, content_type: str, auth: str,
    username: str | None, sender: str | None, id_field: str | None, rate: int | None,
) -> None:  # fmt: skip
    """The HTTP gateway SMS go through."""
    config = {"url": url, "method": method, "body": body, "content_type": content_type,
              "auth": auth, "username": username, "sender": sender,
              "id_field": id_field}  # fmt: skip
    _store_channel(
        obj, "sms_gateway", "sms", {k: v for k, v in config.items() if v is not None}, rate
    )


def _store_channel(obj: Context, key: str, channel: str, config: dict[str, Any],
                   rate: int | None) -> None:  # fmt: skip
    from . import outbox, roles, settings
    from .db import write

    conn = obj.open(create=False)
    try:
        roles.require_manager(conn, _("Setting up how messages are sent is a manager's task."))
        with write(conn):
            settings.put_in_transaction(conn, key, config)
            if rate is not None:
                rates = outbox.rates(conn)
                rates[channel] = rate
                settings.put_in_transaction(conn, "rate_per_minute", rates)
    finally:
        conn.close()
    click.echo(_("Saved. Store the secret with: retention-tui secrets set {kind}").format(
        kind="smtp" if channel == "email" else "sms"))  # fmt: skip


@cli.group(name="outbox")
def outbox_group() -> None:
    """Every message waits in the outbox until it is sent; see, send, retry, cancel."""


@outbox_group.command(name="list")
@click.option("--status", type=click.Choice(
    ["queued", "sending", "sent", "failed", "unknown", "cancelled"]), default=None)  # fmt: skip
@click.option("--limit", type=int, default=1000, show_default=True)
@_FORMAT
@click.pass_obj
def outbox_list(obj: Context, status: str | None, limit: int, fmt: str) -> None:
    """The newest messages first, with their state and last error."""
    from . import outbox

    conn = obj.open(create=False)
    try:
        found = outbox.messages(conn, status, limit=limit)
        summary = outbox.counts(conn)
    finally:
        conn.close()
    _print_rows(
        ["id", "status", "channel", "customer_no", "recipient", "template", "attempts",
         "created_at", "sent_at", "next_attempt_at", "last_error"],
        [[m.id, m.status, m.channel, m.customer_no, m.recipient, m.template, m.attempts,
          m.created_at, m.sent_at or "", m.next_attempt_at or "", m.last_error or ""]
         for m in found],
        fmt,
    )  # fmt: skip
    if fmt != "csv":
        click.echo(", ".join(f"{k} {v:,}" for k, v in summary.items() if v) or _("empty"),
                   err=True)  # fmt: skip


@outbox_group.command(name="send")
@click.option("--watch", is_flag=True, help=_("Keep running and send what comes in."))
@click.option("--limit", type=int, default=None, help=_("Send at most this many, then stop."))
@click.option("--poll", type=float, default=2.0, show_default=True,
              help=_("With --watch: seconds between looks at the outbox."))  # fmt: skip
@click.pass_obj
def outbox_send(obj: Context, watch: bool, limit: int | None, poll: float) -> None:
    """Send what is due, with retries and backoff; --watch runs as a long-lived sender."""
    import signal
    import time

    from . import outbox

    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    conn = obj.open(create=False)
    report = outbox.SendReport()
    channels: dict[str, Any] = {}
    try:
        lost = outbox.recover(conn)
        if lost:
            text = _("{n} messages a stopped sender was sending are marked unknown: check them "
                     "(outbox list --status unknown).")  # fmt: skip
            click.echo(text.format(n=lost), err=True)
        channels = outbox.open_channels(conn, report)
        sender = outbox.sender_id()
        while True:
            handled = report.sent + report.failed + report.unknown + report.retrying
            left = None if limit is None else limit - handled
            outbox.send_due(conn, channels, sender=sender, report=report, limit=left,
                            stop=lambda: stopping)  # fmt: skip
            if not watch or stopping or (left is not None and left <= 0):
                break
            outbox.recover(conn)
            due = outbox.next_due_in(conn)
            time.sleep(poll if due is None else min(max(due, 0.05), poll))
    except KeyboardInterrupt:
        pass
    finally:
        for channel in channels.values():
            channel.close()
        conn.close()
    click.echo(report.describe())


def _ids_or_status(conn: sqlite3.Connection, ids: tuple[int, ...], status: str | None) -> list[int]:
    from . import outbox

    if not ids and not status:
        raise click.UsageError(_("Name the messages (ids) or give --status."))
    return list(ids) + (outbox.ids_in(conn, status) if status else [])


@outbox_group.command(name="retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--status", type=click.Choice(["failed", "unknown", "cancelled"]), default=None,
              help=_("Every message in this state."))  # fmt: skip
@click.pass_obj
def outbox_retry(obj: Context, ids: tuple[int, ...], status: str | None) -> None:
    """Queue failed, unknown or cancelled messages again (same Message-ID and reference)."""
    from . import outbox

    conn = obj.open(create=False)
    try:
        done = outbox.retry(conn, _ids_or_status(conn, ids, status))
    finally:
        conn.close()
    click.echo(_("{n} messages queued again.").format(n=f"{done:,}"))


@outbox_group.command(name="cancel")
@click.argument("ids", nargs=-1, type=int)
@click.option("--status", type=click.Choice(["queued", "failed", "unknown"]), default=None,
              help=_("Every message in this state."))  # fmt: skip
@click.pass_obj
def outbox_cancel(obj: Context, ids: tuple[int, ...], status: str | None) -> None:
    """Cancel messages not sent yet."""
    from . import outbox

    conn = obj.open(create=False)
    try:
        done = outbox.cancel(conn, _ids_or_status(conn, ids, status))
    finally:
        conn.close()
    click.echo(_("{n} messages cancelled.").format(n=f"{done:,}"))


@cli.group(name="secrets")
def secrets_group() -> None:
    """The SMTP password and the SMS gateway token, kept in the OS keyring only."""


@secrets_group.command(name="set")
@click.argument("kind", type=click.Choice(["smtp", "sms"]))
@click.option("--stdin", "from_stdin", is_flag=True, help=_("Read it from standard input."))
def secrets_set(kind: str, from_stdin: bool) -> None:
    """Store the SMTP password or the SMS gateway token in the keyring."""
    from . import secrets

    if from_stdin:
        value = sys.stdin.readline().rstrip("\n")
    else:
        value = click.prompt(_("Secret for {kind}").format(kind=kind), hide_input=True,
                             confirmation_prompt=True)  # fmt: skip
    if not value:
        raise RetentionError(_("Nothing was stored: the secret is empty."))
    secrets.set_secret(kind, value)
    click.echo(_("Stored in the keyring ({backend}).").format(backend=secrets.backend_name()))


@secrets_group.command(name="status")
def secrets_status() -> None:
    """Which secrets are set (never what they are)."""
    from . import secrets

    click.echo(_("Keyring: {backend}").format(backend=secrets.backend_name()))
    for kind in secrets.KINDS:
        state = _("set") if secrets.get_secret(kind) else _("not set")
        click.echo(f"{kind}: {state}")


@secrets_group.command(name="delete")
@click.argument("kind", type=click.Choice(["smtp", "sms"]))
def secrets_delete(kind: str) -> None:
    """Remove a secret from the keyring."""
    from . import secrets

    gone = secrets.delete_secret(kind)
    click.echo(_("Removed.") if gone else _("It was not set."))


@cli.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help=_("Overwrite DEST if it exists."))
@click.pass_obj
def backup(obj: Context, dest: Path, force: bool) -> None:
    """Copy the database to DEST consistently, even while others write to it."""
    from .backup import backup_database

    pages = backup_database(obj.db_path, dest, overwrite=force)
    click.echo(
        _("Backed up {src} to {dest} ({pages:,} pages).").format(
            src=obj.db_path, dest=dest, pages=pages
        )
    )


# -- language -----------------------------------------------------------------------------


@cli.command()
@click.argument("code", required=False)
@click.option("--forget", is_flag=True, help=_("Follow the locale again."))
def language(code: str | None, forget: bool) -> None:
    """Show or choose your language (en, nl, de, it, lv, zh); kept for your account only."""
    from . import i18n

    if forget:
        i18n.save_language(None)
        click.echo(_("Your language follows the locale again."))
        return
    if code is None:
        click.echo(
            _("Language: {name} ({code}). Choose another with: retention-tui language CODE").format(
                name=i18n.LANGUAGES[i18n.current_language()], code=i18n.current_language()
            )
        )
        for known, name in i18n.LANGUAGES.items():
            click.echo(f"  {known}  {name}")
        return
    chosen = i18n.chosen_language(code)
    i18n.save_language(chosen)
    i18n.set_language(chosen)
    click.echo(_("From now on retention-tui speaks {name} to you.").format(
        name=i18n.LANGUAGES[chosen]))  # fmt: skip


# -- settings, a whole workshop -------------------------------------------------------------


@cli.group(name="settings")
def settings_group() -> None:
    """The workshop's settings (managers, loyalty windows, ...); changes are a manager's."""


@settings_group.command(name="list")
@_FORMAT
@click.pass_obj
def settings_list(obj: Context, fmt: str) -> None:
    """Every setting with its value (JSON)."""
    import json

    from . import settings

    conn = obj.open(create=False)
    try:
        rows = [
            [key, json.dumps(settings.get(conn, key), ensure_ascii=False)]
            for key in sorted(settings.DEFAULTS)
        ]
    finally:
        conn.close()
    _print_rows(["key", "value"], rows, fmt)


@settings_group.command(name="set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def settings_set(obj: Context, key: str, value: str) -> None:
    """Set KEY to VALUE: JSON (12, ["anke", "bernd"], null) or else plain text."""
    import json

    from . import roles, settings

    if key not in settings.DEFAULTS:
        raise RetentionError(
            _("There is no setting '{key}' (one of: {keys}).").format(
                key=key, keys=", ".join(sorted(settings.DEFAULTS))
            )
        )
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    conn = obj.open(create=False)
    try:
        roles.require_manager(conn, _("Changing the settings is a manager's task."))
        settings.put(conn, key, parsed)
    finally:
        conn.close()
    click.echo(_("{key} = {value}").format(key=key, value=json.dumps(parsed, ensure_ascii=False)))


@cli.command(name="setup-shared")
@click.option("--group", required=True, help=_("The OS group of the workshop's advisors."))
@click.pass_obj
def setup_shared(obj: Context, group: str) -> None:
    """Prepare the database for several OS users at once (README: a whole workshop)."""
    from .shared import setup_shared as prepare

    for line in prepare(obj.db_path, group):
        click.echo(line)


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help=_("Address to listen on; anything but loopback is reachable by others."),
)
@click.option("--port", type=int, default=8000, show_default=True)
@click.pass_obj
def serve(obj: Context, host: str, port: int) -> None:
    """Serve the app to a web browser (textual-serve); it has no login of its own."""
    from .serve import serve_app

    serve_app(obj.db_path, host=host, port=port)


def _translate_helps(command: click.Command) -> None:
    """Show every command's help (its docstring) in the advisor's language; the texts are
    in the catalogues (scripts/translations.py extracts them)."""
    import inspect

    if command.help:
        command.help = _(inspect.cleandoc(command.help))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _translate_helps(sub)


_translate_helps(cli)


# -- entry point ----------------------------------------------------------------------------


def _log_exception() -> Path | None:
    """Write the current traceback to the log file; return its path (None if impossible)."""
    try:
        from .paths import log_file_path

        path = log_file_path()
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.exception("unexpected error; argv=%r", sys.argv)
        handler.close()
        log.removeHandler(handler)
        return path
    except Exception:
        return None


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, turning every error into one sentence."""
    try:
        cli.main(args=argv, prog_name="retention-tui", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(_("Aborted."), err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as error:
        sys.exit(error.exit_code)
    except RetentionError as error:
        # A message may quote a value from a file or the database: never raw control codes.
        click.echo(_("Error: {message}").format(message=printable(error.message)), err=True)
        sys.exit(1)
    except sqlite3.DatabaseError as error:  # met while reading: a damaged file, a full disk
        from .db.connection import _explain

        where = Context.last_opened or _("the database")
        click.echo(_("Error: {message}").format(message=_explain(error, where).message), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(_("Interrupted."), err=True)
        sys.exit(130)
    except Exception as error:
        where = _log_exception()
        detail = _(" Details are in {path}.").format(path=where) if where else ""
        click.echo(
            _("Error: something unexpected went wrong ({kind}: {error}).").format(
                kind=type(error).__name__, error=error
            )
            + detail,
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
