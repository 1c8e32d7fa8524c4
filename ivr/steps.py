"""The node types a flow is made of; each returns the name of the next node, or None to end.

A caller hanging up surfaces as AgiHangup from any command. CRM writes happen only once
the caller's input for that step is complete, each as one transaction, so a hang-up
never leaves half a result behind.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from crm_core.domain_errors import SYSTEM, CrmError
from crm_core.ivr_results import IvrResults
from crm_core.tickets.views import TicketView
from ivr.config import IvrConfig, Node
from ivr.numbers import parse_customer_number, request_digits, request_number
from ivr.routing import decide, standing
from ivr.services import IvrServices
from ivr.session import Call

log = logging.getLogger(__name__)
SURVEY_KEYS = frozenset("12345")


class Steps:
    def __init__(self, config: IvrConfig, services: IvrServices, results: IvrResults) -> None:
        self.config, self.services, self.results = config, services, results

    async def ask(
        self, call: Call, node: Node, max_digits: int, valid: Collection[str] | None = None
    ) -> str | None:
        """Prompt and collect keys with the node's timeout and retries; None when all tries failed.

        `valid` holds whole answers: an exact match, never a substring ("12" is no survey score)."""
        allowed = None if valid is None else frozenset(valid)
        for attempt in range(node.retries + 1):
            keys = await call.channel.get_data(node.prompt, node.timeout, max_digits)
            if keys and (allowed is None or keys in allowed):
                return keys
            if node.invalid and attempt < node.retries:
                await call.channel.stream(node.invalid)
        return None

    async def menu(self, call: Call, node: Node) -> str | None:
        keys = await self.ask(call, node, 1, valid=node.choices.keys())
        return node.choices[keys] if keys is not None else node.fail or None

    async def language(self, call: Call, node: Node) -> str | None:
        await call.channel.set_variable("CHANNEL(language)", node.language)
        await call.channel.set_variable("__CRM_LANG", node.language)
        call.language = node.language
        return node.next

    async def identify(self, call: Call, node: Node) -> str | None:
        width = node.digits or 10
        for _ in range(node.retries + 1):
            keyed = await call.channel.get_data(node.prompt, node.timeout, width)
            customer_id = await self._customer_of(node, keyed)
            if customer_id is None:
                if node.invalid:
                    await call.channel.stream(node.invalid)
                continue
            await call.channel.command(f'SAY DIGITS {keyed} ""')
            if not node.confirm or await call.channel.get_data(node.confirm, node.timeout, 1) == "1":
                await self._accept_keyed(call, customer_id)
                return node.next
        return node.fail or node.next

    async def _accept_keyed(self, call: Call, customer_id: int) -> None:
        """A keyed number is public knowledge (a sequential id, a receipt): it identifies the
        caller only when the calling number is that customer's; otherwise it is a claim the
        agent sees, with no VIP/complaint priority and no preferred agent."""
        if await self._calling_number_of(call, customer_id):
            call.with_customer(customer_id)
            await call.channel.set_variable("__CRM_CUSTOMER_ID", str(customer_id))
            return
        call.claimed_id = customer_id
        await call.channel.set_variable("__CRM_CLAIMED_ID", str(customer_id))

    async def _calling_number_of(self, call: Call, customer_id: int | None) -> bool:
        """Whether the (normalised E.164) calling number is one of this customer's numbers."""
        if not call.number or customer_id is None:
            return False
        return customer_id in await self.services.customers.find_ids_by_number(call.number)

    async def _customer_of(self, node: Node, keyed: str) -> int | None:
        if node.kind == "customer":
            customer_id = parse_customer_number(keyed, node.digits)
            if customer_id is None:
                return None
            try:
                await self.services.customers.card(customer_id)
            except CrmError:
                return None
            return customer_id
        number = request_number(keyed)
        request = await self._request(number) if number else None
        return None if request is None else request.customer_id

    async def _request(self, number: str) -> TicketView | None:
        return await self.services.tickets.by_number(number)

    async def _own_request(self, call: Call, keyed: str) -> TicketView | None:
        """The keyed request, only if it is the calling number's customer's (a request number
        is no secret: reading any request's status to anyone would leak it)."""
        number = request_number(keyed)
        request = await self._request(number) if number else None
        if request is None or not await self._calling_number_of(call, request.customer_id):
            return None
        return request

    async def sr_status(self, call: Call, node: Node) -> str | None:
        for _ in range(node.retries + 1):
            keyed = await call.channel.get_data(node.prompt, node.timeout, 10)
            request = await self._own_request(call, keyed)
            if request is None:
                if node.invalid:
                    await call.channel.stream(node.invalid)
                continue
            await call.channel.command(f'SAY DIGITS {request_digits(request.number)} ""')
            await call.channel.stream(f"crm/status-{request.status}")
            if request.due_at is not None and request.status not in ("resolved", "closed"):
                await call.channel.stream("crm/expected-by")
                await call.channel.command(f'SAY DATETIME {int(request.due_at.timestamp())} ""')
            return node.next
        return node.fail or node.next

    async def queue(self, call: Call, node: Node) -> str | None:
        cfg = self.config
        who = await standing(self.services.db, call.customer_id)
        reason = node.reason or f"menu:{node.name}"
        decision = decide(
            node.queue, reason, who, cfg.priority_high, cfg.priority_normal, cfg.preferred_timeout
        )
        for name, value in decision.variables(call.customer_id, call.language):
            await call.channel.set_variable(name, value)
        await self.results.record_route(call.key, call.language, decision.reason)
        call.outcome = f"queue:{node.queue}"
        return None

    async def callback(self, call: Call, node: Node) -> str | None:
        try:
            if not call.number:
                raise CrmError("no calling number")
            await self.services.callbacks.create(
                SYSTEM,
                call.number,
                customer_id=call.customer_id,
                queue=node.queue,
                source="ivr",
                note="caller chose a callback instead of waiting",
            )
        except CrmError as exc:
            log.info("ivr callback refused call=%s reason=%s", call.key.call_id, exc.code)
            if node.sorry:
                await call.channel.stream(node.sorry)
            return node.fail or None
        call.outcome = "callback"
        await call.channel.set_variable("CRM_CALLBACK", "1")
        if node.prompt:
            await call.channel.stream(node.prompt)
        if node.next:
            return node.next
        await call.channel.command("HANGUP")
        return None

    async def survey(self, call: Call, node: Node) -> str | None:
        keys = await self.ask(call, node, 1, valid=SURVEY_KEYS)
        if keys is None:
            call.outcome = "survey-skipped"
            return node.fail or None
        await self.results.record_survey(call.key, int(keys))  # never raises once the score is kept
        call.outcome = "survey"
        if node.thanks:
            await call.channel.stream(node.thanks)
        return node.next or None

    async def hangup(self, call: Call, node: Node) -> str | None:
        if node.prompt:
            await call.channel.stream(node.prompt)
        call.outcome = call.outcome or "hangup"
        await call.channel.command("HANGUP")
        return None
