"""The campaigns room: /campaigns (the list, a new campaign, the do-not-call list) and
/campaigns/{id} (its settings, start/pause/stop, building its list, live progress), for
supervisors and administrators.

pages.py renders the frames; the data comes from the JSON API (agent_ui/api_v1/campaigns.py)
through the scripts static/campaigns.js and static/campaign-*.js, so a page never shows what
the API would not. The agent's side of a campaign is the console's panel (static/console-campaign.js).
Registered by agent_ui.app through setup().
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.campaigns import pages


def setup(app: web.Application) -> None:
    """Add /campaigns and /campaigns/{id}."""
    pages.routes(app)
