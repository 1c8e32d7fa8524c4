"""Supervisor actions from the wallboard: listen / whisper / barge, force pause, unpause and logout.

Every route is for supervisors and administrators only (an agent gets an audited 403), acts
on one agent the caller may supervise (a supervisor: an agent of their own team; another
team's agent answers 404 and the refusal is audited), goes to the PBX through the Telephony
port, and writes an audit row naming who did what to whom. target.py finds the agent and
their PBX link, actions.py is the four routes.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.supervisor import actions

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    app.router.add_post("/api/supervisor/spy", actions.spy)
    app.router.add_post("/api/supervisor/pause", actions.pause)
    app.router.add_post("/api/supervisor/unpause", actions.unpause)
    app.router.add_post("/api/supervisor/logout", actions.logout)
