"""Report rows as CSV that Excel opens right: UTF-8 with a byte-order mark, one header line.

Why the mark: without it Excel reads UTF-8 as the local code page and Chinese names turn into
mojibake. Text cells that start like a formula (= + - @) are prefixed with an apostrophe, so
a display name cannot run as a formula in the supervisor's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]) -> str:
    """columns: (key in the row, header text); a missing key is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(header) for _key, header in columns])
    for row in rows:
        writer.writerow([cell(row.get(key)) for key, _header in columns])
    return BOM + out.getvalue()
