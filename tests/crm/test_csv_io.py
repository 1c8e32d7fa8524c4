"""CSV import/export of customers: a bad row is reported and skipped, the good rows go in."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from callcenter.csv_io import export_customers, import_customers
from crm_core.contacts.service import CustomerProfiles
from crm_core.customers import CustomerService
from crm_core.db import Database

CSV = (
    "name,kind,company,numbers,emails,tags,value_segment,region,industry,timezone\n"
    "王小明,person,,010-12345678;13800138000,wang@example.com,vip;beta,gold,north,,\n"
    ",person,,13800138001,,,,,,\n"
    "Bad Mail,person,,13800138002,not-an-email,,,,,\n"
    "Acme,company,,010-88886666,,,,,retail,Asia/Shanghai\n"
    "No Number,person,,,,,,,,\n"
)


async def test_import_reports_bad_rows_and_keeps_good_ones_then_export_round_trips(
    db: Database, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(CSV, encoding="utf-8")
    customers = CustomerService(db, "CN")
    progress = io.StringIO()
    result = await import_customers(customers, src, progress)
    assert result.imported == 2
    assert [(e.row, e.field) for e in result.errors] == [(3, "name"), (4, "emails"), (6, "numbers")]
    assert "5/5" in progress.getvalue()
    card = await customers.card_for_number("+86 138 0013 8000")
    assert card.name == "王小明"
    out = tmp_path / "out.csv"
    assert await export_customers(CustomerProfiles(customers), out, io.StringIO()) == 2
    text = out.read_text(encoding="utf-8")
    assert "+861012345678;+8613800138000" in text and "vip;beta" in text and "retail" in text


def test_cli_import_then_export(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(CSV, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "crm.sqlite3"}"\n', encoding="utf-8"
    )
    cli = [sys.executable, "-m", "callcenter", "--config", str(config)]
    done = subprocess.run([*cli, "import-customers", str(src)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "row 4: emails:" in done.stderr and "imported 2 customers, 3 rows refused" in done.stdout
    done = subprocess.run([*cli, "export-customers", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").count("\n") == 3
