"""Phone numbers normalised to E.164, the key caller identification hangs on.

"+86 10 1234 5678", "010-12345678" and "861012345678" must find the same
customer, so every number is normalised the same way on write and on lookup.
A number that cannot be made E.164 (an internal extension, a short test number)
keeps its digits, so it still matches itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_NON_DIGITS = re.compile(r"[^\d]")


@lru_cache(maxsize=16384)  # pure, ~35 µs a parse: the screen pop and the call writer ask again and again
def normalize_number(raw: str, default_region: str) -> str:
    """Return the E.164 form of raw, or its bare digits when it is not a valid public number."""
    text = (raw or "").strip()
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        return ""
    candidates = [text] if text.startswith("+") else [text, "+" + digits]
    if text.startswith("00"):
        candidates.insert(0, "+" + digits[2:])
    for candidate in candidates:
        parsed = _parse(candidate, default_region)
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return digits


@lru_cache(maxsize=16384)  # pure, ~50 µs a parse and format: every card shows its numbers
def display_number(e164: str, default_region: str) -> str:
    """Format a stored number the way people of the default region write it."""
    if not e164.startswith("+"):
        return e164
    parsed = _parse(e164, default_region)
    if parsed is None:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(parsed) == default_region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
