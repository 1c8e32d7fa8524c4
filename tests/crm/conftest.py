"""CRM fixtures: every service on each real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from crm_core.db import Database
from tests.crm.support import Crm, make_crm


@pytest.fixture
async def crm(db: Database) -> Crm:
    return await make_crm(db)
