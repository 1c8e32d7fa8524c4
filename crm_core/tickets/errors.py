"""What can go wrong with a service request, as domain errors the adapters map to HTTP."""

from __future__ import annotations

from crm_core.domain_errors import Conflict


class TransitionNotAllowed(Conflict):
    """The action is not allowed from the request's current status."""

    def __init__(self, number: str, action: str, status: str) -> None:
        super().__init__(f"{number}: cannot {action} a request that is {status}")
        self.action, self.status = action, status
