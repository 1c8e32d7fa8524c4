"""The campaign pages run on the security stack: the real service and people of two teams."""

from tests.security.conftest import stack_each_db  # noqa: F401  (shared fixture)
