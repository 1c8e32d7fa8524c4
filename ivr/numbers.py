"""Numbers a caller keys: customer numbers (id + Luhn check digit) and request numbers."""

from __future__ import annotations

import re

_SR = re.compile(r"^SR-([0-9]{4})-([0-9]{6})$")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def luhn_digit(payload: str) -> str:
    """The Luhn check digit for payload (catches every single-digit slip and most swaps)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def customer_number(customer_id: int, digits: int) -> str:
    """The number a customer is told to key: zero-padded id, then its check digit."""
    payload = str(customer_id).zfill(digits - 1)
    return payload + luhn_digit(payload)


def parse_customer_number(keyed: str, digits: int) -> int | None:
    if len(keyed) != digits or not _ASCII_DIGITS.fullmatch(keyed) or luhn_digit(keyed[:-1]) != keyed[-1]:
        return None
    return int(keyed[:-1]) or None


def request_number(keyed: str) -> str | None:
    """'2026000123' keyed -> 'SR-2026-000123' (year, then the six-digit sequence)."""
    if len(keyed) != 10 or not _ASCII_DIGITS.fullmatch(keyed):
        return None
    return f"SR-{keyed[:4]}-{keyed[4:]}"


def request_digits(number: str) -> str:
    match = _SR.match(number)
    return match.group(1) + match.group(2) if match else ""
