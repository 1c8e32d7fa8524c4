"""The CRM services the /api/v1 routes call, as one typed app value.

The composition root may build them with configuration (ticket types, SLAs,
callback policy) and hand them to `setup`; by default they are built from the
customer service the app already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from aiohttp import web

from crm_core.access.service import ObjectAccess
from crm_core.audit.service import AuditService
from crm_core.call_links import CallLinks
from crm_core.callbacks.service import CallbackService
from crm_core.contacts.service import CustomerProfiles
from crm_core.contacts.timeline import Timeline
from crm_core.customers import CustomerService
from crm_core.kb.service import KnowledgeBase
from crm_core.recycle.service import RecycleBin
from crm_core.tickets.service import TicketService


@dataclass(frozen=True)
class CrmServices:
    customers: CustomerService
    profiles: CustomerProfiles
    timeline: Timeline
    tickets: TicketService
    callbacks: CallbackService
    kb: KnowledgeBase
    audit: AuditService
    recycle: RecycleBin

    @cached_property
    def access(self) -> ObjectAccess:
        """The per-object door (crm_core.access): stateless, built from the same database."""
        return ObjectAccess(self.customers.db)

    @cached_property
    def call_links(self) -> CallLinks:
        """(pbx, call id) -> call record id (crm_core.call_links), from the same database."""
        return CallLinks(self.customers.db)

    @classmethod
    def defaults(cls, customers: CustomerService) -> CrmServices:
        db = customers.db
        return cls(
            customers,
            CustomerProfiles(customers),
            Timeline(db),
            TicketService(db),
            CallbackService(db, customers),
            KnowledgeBase(db),
            AuditService(db),
            RecycleBin(db),
        )


CRM = web.AppKey("crm", CrmServices)
