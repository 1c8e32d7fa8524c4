"""The file store the recording service needs; the recordings package fulfils it.

The core never touches the file system itself: the composition root hands a store in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


class SourceUnusable(Exception):
    """The PBX's file cannot be stored: status is "missing", "empty" or "unreadable"."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class StoreWriteFailed(Exception):
    """The store could not take the file (disk full, not writable); nothing partial was left.

    kind: "disk_full", "store_not_writable" or "ingest_failed".
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str  # relative to the store root
    size_bytes: int
    sha256: str
    format: str
    duration_seconds: float | None


class FileStore(Protocol):
    async def ingest(self, source_name: str, at: datetime) -> StoredFile:
        """Move the spool's source_name into the store (dated by at); raise the errors above."""

    async def ingest_many(
        self, items: list[tuple[str, datetime]]
    ) -> list[StoredFile | SourceUnusable | StoreWriteFailed]:
        """Ingest many (source_name, at) at once, settling them together (a burst of calls ending):
        one result per item, in order, the errors above returned rather than raised."""

    async def sha256(self, path: str) -> str | None:
        """The hash of a stored file, None when it is not there."""

    def locate(self, path: str) -> Path:
        """The absolute path of a stored file (for streaming it)."""

    async def remove(self, path: str) -> bool:
        """Delete a stored file; False when it was already gone."""

    async def discard(self, source_name: str) -> bool:
        """Delete a file still in the spool that must never be ingested (an erasure); False: none there."""
