"""A small, fully known customer base for the desktop's tests (headless and on screen)."""

from __future__ import annotations

from pathlib import Path

from retention_tui.db import open_database, write
from retention_tui.facts import refresh_customer_facts

STAMP = "2026-11-23 08:00:00"

# id, number, name, phone, mobile, city, advisor, light, nps, recorded status
CUSTOMERS = [
    (1, "C001", "José Müller", "06-1234 5678", None, "Utrecht", "Anke", "green", 9, None),
    (2, "C002", "Jan de Vries", None, "+31 6 9876 5432", "Houten", "Bernd", "red", 3, None),
    (3, "C003", "Anna Jansen", "030-111 2222", None, "Utrecht", "Anke", "yellow", 7, None),
    (4, "C004", "Giulia [bold]Bianchi[/]", None, None, "Roma", None, "unknown", None, None),
    (5, "C005", "Müller GmbH", "06-5555", None, "Köln", "Carla", "green", 10, "moved away"),
    (6, "C006", "Piet Vaak", "06-7777", None, "Zeist", "Anke", "green", None, None),
]
# id, customer, brand, model, plate
VEHICLES = [
    (1, 1, "Volkswagen", "Golf", "12-AB-34"),
    (2, 2, "Opel", "Corsa", "XY-99-ZZ"),
    (3, 3, "Volkswagen", "Golf", "GG-11-HH"),
    (4, 5, "Mercedes-Benz", "Sprinter", "VN-001-K"),
    (5, 6, "Toyota", "Yaris", "TY-12-RS"),
]
# customer, vehicle, date
VISITS = [
    (1, 1, "2025-11-20"),
    (1, 1, "2026-11-01"),
    (2, 2, "2025-06-15"),
    (3, 3, "2026-04-10"),
    (5, 4, "2024-01-20"),
    (6, 5, "2026-08-01"),
    (6, 5, "2026-08-31"),
    (6, 5, "2026-09-30"),
]


def make_desk_db(path: Path) -> Path:
    """Six customers with every status, badge and search case of the desktop."""
    conn = open_database(path)
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, phone, mobile, city, advisor,"
            " traffic_light, nps, recorded_status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*c, STAMP, STAMP) for c in CUSTOMERS],
        )
        conn.executemany(
            "INSERT INTO vehicles (id, customer_id, brand, model, plate, plate_key, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*v, v[4].replace("-", ""), STAMP, STAMP) for v in VEHICLES],
        )
        conn.executemany(
            "INSERT INTO visits (invoice_no, customer_id, vehicle_id, date) VALUES (?, ?, ?, ?)",
            [(f"I{i}", *v) for i, v in enumerate(VISITS)],
        )
        conn.executemany(
            "INSERT INTO campaigns (id, name, kind, starts_on, ends_on, status, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, 'tester', ?)",
            [
                (1, "Win back", "retention", "2026-01-01", None, "active", STAMP),
                (2, "Keep close", "caring", "2026-01-01", "2026-12-31", "active", STAMP),
                (3, "Old action", "retention", "2024-01-01", "2024-12-31", "active", STAMP),
            ],
        )
        conn.executemany(
            "INSERT INTO campaign_members (campaign_id, customer_id, added_by, added_at)"
            " VALUES (?, ?, 'tester', ?)",
            [(1, 1, STAMP), (2, 2, STAMP), (3, 3, STAMP)],
        )
        refresh_customer_facts(conn)
    conn.close()
    return path
