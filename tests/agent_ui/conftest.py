from tests.e2e.conftest import ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)
