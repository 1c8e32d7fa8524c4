"""Labels for the code lists seeded from config at start-up, in both languages.

The texts live in the admin catalogs (admin.seed.disposition.<code>, admin.seed.pause.<code>)
like every other string; a code the catalogs do not know is labelled with itself, and an
administrator renames it under /admin.
"""

from __future__ import annotations

from agent_ui.i18n import catalog


def seed_label(key: str) -> tuple[str, str]:
    """key is "disposition.<code>" or "pause.<code>"; returns (zh-CN label, English label)."""
    code = key.split(".", 1)[1]
    full = f"admin.seed.{key}"
    en = catalog("en").get(full, code)
    return catalog("zh-CN").get(full, en), en
