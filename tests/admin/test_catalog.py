"""Every message the administration can show exists in zh-CN and English: the error reasons the
services raise, the notices, the membership states, the roles, the recycle-bin kinds."""

from __future__ import annotations

import re
from pathlib import Path

from agent_ui.admin.forms import NOTICES
from agent_ui.i18n import LANGUAGES, catalog
from crm_core.admin.checks import LANGUAGES as USER_LANGUAGES
from crm_core.admin.checks import ROLES
from crm_core.recycle.service import ENTITIES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*(ROOT / "crm_core/admin").glob("*.py"), *(ROOT / "agent_ui/admin").glob("*.py")]
RAISED = re.compile(r'(?:FieldError\([^,]+,|RuleBroken\(|pattern\([^)]*?|optional\([^)]*?)\s*"([a-z_]+)",')
STATES = ("applied", "pending_add", "pending_update", "pending_remove", "refused")


def _reasons() -> set[str]:
    found = {m.group(1) for path in SOURCES for m in RAISED.finditer(path.read_text(encoding="utf-8"))}
    assert {"taken", "last_admin", "no_interface", "interface", "login"} <= found  # the scan sees them
    return found | {"invalid"}


def test_every_admin_message_key_is_in_both_catalogs() -> None:
    keys = {f"admin.error.{r}" for r in _reasons()}
    keys |= {f"admin.notice.{n}" for n in NOTICES} | {f"admin.state.{s}" for s in STATES}
    keys |= {f"admin.role.{r}" for r in ROLES} | {f"admin.language.{code}" for code in USER_LANGUAGES}
    keys |= {f"admin.entity.{e}" for e in ENTITIES}
    for lang in LANGUAGES:
        missing = sorted(k for k in keys if not catalog(lang).get(k))
        assert missing == [], (lang, missing)


def test_seed_labels_exist_for_the_default_codes() -> None:
    from callcenter.settings import CrmSettings

    crm = CrmSettings()
    keys = [f"admin.seed.disposition.{c}" for c in crm.dispositions]
    keys += [f"admin.seed.pause.{c}" for c in crm.pause_reasons]
    for lang in LANGUAGES:
        assert all(catalog(lang).get(k) for k in keys), lang
