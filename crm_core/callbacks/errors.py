"""Callback errors the adapters map to HTTP."""

from __future__ import annotations

from crm_core.domain_errors import Conflict


class DoNotCallBlocked(Conflict):
    """The number is on the do-not-call list: no callback may be created for it or dialed."""

    def __init__(self, number: str) -> None:
        super().__init__(f"{number} is on the do-not-call list: the customer asked not to be called")
        self.number = number
