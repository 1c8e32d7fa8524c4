"""The soak test uses the e2e suite's console clients."""

from tests.e2e.conftest import open_console  # noqa: F401  (shared fixture)
