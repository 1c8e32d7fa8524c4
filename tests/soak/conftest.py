"""The soak test uses the e2e suite's console clients and trace replayer."""

from tests.e2e.conftest import open_console, replayer  # noqa: F401  (shared fixtures)
