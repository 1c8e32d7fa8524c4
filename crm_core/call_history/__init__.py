"""The call history: a searchable, paged, exportable list of the calls a viewer may see.

filters.py reads a search from query parameters (naming a bad one), service.py runs it
as one team-scoped SQL condition (list, total and export agree), rows.py shapes a line and
decides which recordings on a page the viewer may play.
"""

from crm_core.call_history.filters import DIRECTIONS, OUTCOMES, CallFilter, parse_filter
from crm_core.call_history.rows import CallRow
from crm_core.call_history.service import MAX_EXPORT, CallHistory, Choices

__all__ = [
    "DIRECTIONS",
    "MAX_EXPORT",
    "OUTCOMES",
    "CallFilter",
    "CallHistory",
    "CallRow",
    "Choices",
    "parse_filter",
]
