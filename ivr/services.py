"""What the IVR needs from the CRM, handed in by the composition root (never reached for)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.callbacks.service import CallbackService
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.domain_errors import Clock, utc_clock
from crm_core.tickets.service import TicketService


@dataclass(frozen=True)
class IvrServices:
    db: Database
    customers: CustomerService
    tickets: TicketService
    callbacks: CallbackService
    clock: Clock = utc_clock
