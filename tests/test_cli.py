"""The command line as a manager scripts it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cli_run import run
from retention_tui import __version__
from retention_tui.db import SCHEMA_VERSION


def test_version_and_help_on_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "--version")
    assert code == 0 and __version__ in out
    for args in (
        [],
        ["demo"],
        ["import"],
        ["report"],
        ["report", "summary"],
        ["report", "customers"],
        ["backup"],
    ):
        code, out, _err = run(capsys, *args, "--help")
        assert code == 0 and "Usage:" in out, args


def test_import_then_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path
) -> None:
    db = str(tmp_path / "x.db")
    for kind, name in [
        ("customers", "customers.csv"),
        ("vehicles", "vehicles.csv"),
        ("visits", "visits.csv"),
        ("traffic-lights", "traffic_lights.csv"),
    ]:
        code, out, err = run(capsys, "--db", db, "import", kind, str(data_dir / name))
        assert code == 0, err
        assert "inserted" in out
    code, out, _err = run(capsys, "--db", db, "report", "summary", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "figure,value"
    assert "customers,4" in lines and "visits,6" in lines and "today,2026-11-23" in lines


def test_rejected_rows_exit_non_zero_and_name_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path
) -> None:
    db = str(tmp_path / "x.db")
    run(capsys, "--db", db, "import", "customers", str(data_dir / "customers.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "invoice_no,customer_no,date\nA,C1001,2026-01-05\nB,C1001,2026-02-30\nC,NOPE,2026-01-05\n"
    )
    code, _out, err = run(capsys, "--db", db, "import", "visits", str(bad))
    assert code == 1
    assert "nothing was written" in err
    assert "line 3:" in err and "line 4:" in err
    assert "Traceback" not in err


def test_errors_are_one_sentence_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\x01 not sqlite " * 200)
    code, _out, err = run(capsys, "--db", str(garbage), "report", "summary")
    assert code == 1 and err.startswith("Error: ") and "Traceback" not in err
    code, _out, err = run(capsys, "--db", str(tmp_path / "none.db"), "report", "summary")
    assert code == 1 and "no database" in err
    code, _out, err = run(capsys, "--today", "2026-02-30", "report", "summary")
    assert code == 2 and "YYYY-MM-DD" in err


def test_newer_database_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    code, _out, err = run(capsys, "--db", str(path), "report", "summary")
    assert code == 1
    assert f"version {SCHEMA_VERSION + 1}" in err and f"version {SCHEMA_VERSION}" in err


def test_unexpected_errors_go_to_the_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    import retention_tui.overview as overview

    def explode(conn: sqlite3.Connection) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(overview, "database_overview", explode)
    code, _out, err = run(capsys, "--db", str(db_path), "report", "summary")
    assert code == 1 and "Traceback" not in err and "Details are in" in err
    log_path = Path(err.split("Details are in ")[1].strip().rstrip("."))
    assert "Traceback" in log_path.read_text() and "boom" in log_path.read_text()


def test_backup_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    dest = tmp_path / "copy.db"
    code, out, _err = run(capsys, "--db", str(db_path), "backup", str(dest))
    assert code == 0 and "Backed up" in out and dest.exists()
    code, _out, err = run(capsys, "--db", str(db_path), "backup", str(dest))
    assert code == 1 and "--force" in err


def test_db_defaults_to_env_then_user_data_dir(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_user_dirs: Path,
    data_dir: Path,
) -> None:
    run(capsys, "import", "customers", str(data_dir / "customers.csv"))
    default = isolated_user_dirs / "data" / "retention-tui" / "retention.db"
    assert default.exists()
    env_db = tmp_path / "env.db"
    monkeypatch.setenv("RETENTION_TUI_DB", str(env_db))
    code, _out, _err = run(capsys, "import", "customers", str(data_dir / "customers.csv"))
    assert code == 0 and env_db.exists()


def test_demo_builds_once_then_reuses(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    code, _out, err = run(capsys, "--db", db, "demo", "--customers", "300", "--no-open")
    assert code == 0 and "300 customers" in err
    code, _out, err = run(capsys, "--db", db, "demo", "--customers", "300", "--no-open")
    assert code == 0 and "Using the demo database" in err
    code, _out, err = run(capsys, "--db", db, "report", "summary", "--format", "csv")
    assert "customers,300" in _out


def test_report_customers_uses_the_desktop_filters(
    capsys: pytest.CaptureFixture[str], desk_db: Path
) -> None:
    code, out, _err = run(
        capsys,
        "--db", str(desk_db), "report", "customers", "--filter", "city=utrecht",
        "--sort", "months_away", "--desc", "--format", "csv",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("light,nps,retention,caring,customer_no,name,")
    assert [line.split(",")[4] for line in lines[1:]] == ["C003", "C001"]
    code, out, err = run(
        capsys, "--db", str(desk_db), "report", "customers", "--search", "muller",
        "--filter", "nps==10",
    )  # fmt: skip
    assert code == 0
    assert "Müller GmbH" in out and "José" not in out
    assert "1 of 6 customers" in err
    code, _out, err = run(
        capsys, "--db", str(desk_db), "report", "customers", "--filter", "light=blue"
    )
    assert code == 1
    assert "'blue' is not one of green, yellow, red, unknown" in err
    assert "Traceback" not in err
    code, _out, err = run(capsys, "--db", str(desk_db), "report", "customers", "--sort", "x")
    assert code == 1 and "no column 'x'" in err


def test_report_loyalty_and_its_customers(
    capsys: pytest.CaptureFixture[str], desk_db: Path
) -> None:
    code, out, _err = run(
        capsys, "--db", str(desk_db), "report", "loyalty", "--window", "12",
        "--from", "2025-06", "--to", "2025-07", "--format", "csv",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("month,active,new,lapsed,visits,mot,mot_samples")
    # 2025-06: Jan de Vries's first visit; Müller GmbH's 2024-01 visit lapsed in 2025-01.
    assert [line.split(",")[0] for line in lines[1:]] == ["2025-06", "2025-07"]
    june = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert (june["active"], june["new"], june["lapsed"], june["visits"]) == ("1", "1", "0", "1")
    code, out, _err = run(
        capsys, "--db", str(desk_db), "report", "loyalty-customers", "--window", "12",
        "--month", "2026-06", "--format", "csv",
    )  # fmt: skip
    assert code == 0
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0][:4] == ["customer_no", "name", "kind", "last_visit"]
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [("C002", "lapsed", "2025-06-15")]
    code, _out, err = run(
        capsys, "--db", str(desk_db), "report", "loyalty-customers", "--month", "2026-13"
    )
    assert code != 0 and "YYYY-MM" in err


def test_report_churn_and_departed(capsys: pytest.CaptureFixture[str], desk_db: Path) -> None:
    code, out, _err = run(
        capsys, "--db", str(desk_db), "report", "churn", "--by", "advisor", "--format", "csv"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "advisor,customers,lapsed,share,value_lost"
    assert "Anke,3,1,0.333,0.00" in lines
    code, out, _err = run(capsys, "--db", str(desk_db), "report", "departed", "--format", "csv")
    assert code == 0 and out.splitlines() == ["reason,departures,share"]
