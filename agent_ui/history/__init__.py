"""The call history and reports room: /calls (searchable call list, recordings played in place,
CSV export) and /reports (KPI tables and charts), for supervisors and administrators.

pages.py renders the two frames; export.py writes the history's CSV; the JSON behind them
is agent_ui/api_v1/calls_history.py (this room) and agent_ui/api_v1/reports.py (the KPIs).
Registered by agent_ui.app through setup().
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.history import pages


def setup(app: web.Application) -> None:
    """Add /calls and /reports."""
    pages.routes(app)
