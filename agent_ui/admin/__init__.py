"""The admin routes; registered by agent_ui.app through setup()."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Register this package's routes on app (filled in as the package grows)."""
