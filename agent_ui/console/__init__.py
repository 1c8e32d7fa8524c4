"""The agent console's own routes: the seat (pause, ready), transfers, and the card reads.

Every route acts for the signed-in user on their own seat and calls (supervisors and
administrators may transfer any live call); bad input is a 400 naming the field.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui import calls_api
from agent_ui.console import cards, seat, transfer


def setup(app: web.Application) -> None:
    app.router.add_post("/api/seat/pause", seat.pause)
    app.router.add_post("/api/seat/ready", seat.ready)
    app.router.add_post("/api/calls/transfer", transfer.transfer)
    app.router.add_get("/api/calls/lookup", calls_api.lookup)
    app.router.add_get("/api/console/customers/{id}/card", cards.customer_card)
    app.router.add_get("/api/console/callbacks", cards.due_callbacks)
