"""CSV for Excel: byte-order mark, numbers as numbers, text that looks like a formula defused."""

from __future__ import annotations

from crm_core.kpi.export import to_csv


def test_cells() -> None:
    rows = [{"name": "=HYPERLINK(\"http://x\")", "n": -3, "x": 12.5, "y": 100.0, "z": None, "ok": True},
            {"name": "李娜", "n": 0, "x": 0.004, "y": 1 / 3, "z": "+86 10", "ok": False}]  # fmt: skip
    columns = [(k, k.upper()) for k in ("name", "n", "x", "y", "z", "ok")]
    text = to_csv(columns, rows)
    assert text.startswith("\ufeffNAME,N,X,Y,Z,OK\r\n")
    lines = text[1:].split("\r\n")
    assert lines[1] == '"\'=HYPERLINK(""http://x"")",-3,12.5,100,,1'
    assert lines[2] == "李娜,0,0,0.33,'+86 10,0"
