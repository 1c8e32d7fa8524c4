"""The file store: the PBX's spool in, a dated folder tree out, every write atomic.

A file is copied to a hidden temp name in its final folder, fsynced, renamed into place
and the folder fsynced, then the spool copy is removed. A failure at any step before
the rename removes the temp file, so the store never holds a partial recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from crm_core.recording.ports import SourceUnusable, StoredFile, StoreWriteFailed
from recordings.wavinfo import NotAudio, read_info

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}")
_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def failure_kind(exc: OSError) -> str:
    if exc.errno in _FULL:
        return "disk_full"
    if exc.errno in _NOT_WRITABLE:
        return "store_not_writable"
    return "ingest_failed"


class RecordingStore:
    """Fulfils crm_core.recording.ports.FileStore on a local (or mounted) folder."""

    def __init__(self, root: Path, spool: Path) -> None:
        self.root = Path(root)
        self.spool = Path(spool)

    async def ingest(self, source_name: str, at: datetime) -> StoredFile:
        return await asyncio.to_thread(self.ingest_sync, source_name, at)

    async def sha256(self, path: str) -> str | None:
        return await asyncio.to_thread(self.sha256_sync, path)

    async def remove(self, path: str) -> bool:
        return await asyncio.to_thread(self.remove_sync, path)

    def locate(self, path: str) -> Path:
        """The absolute path; refuses anything that would leave the store root."""
        full = (self.root / path).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise ValueError("path outside the store")
        return full

    def ingest_sync(self, source_name: str, at: datetime) -> StoredFile:
        if not SAFE_NAME.fullmatch(source_name):
            raise SourceUnusable("unreadable", "unsafe source file name")
        src = self.spool / source_name
        try:
            source = open(src, "rb")  # noqa: SIM115  (closed below, after the copy)
        except FileNotFoundError:
            raise SourceUnusable("missing", "no file in the spool") from None
        except OSError as exc:
            raise SourceUnusable("unreadable", f"cannot open: {exc.strerror}") from None
        with source:
            size = os.fstat(source.fileno()).st_size
            if size == 0:
                raise SourceUnusable("empty", "the file is empty")
            try:
                info = read_info(source, size)
            except NotAudio as exc:
                raise SourceUnusable("unreadable", str(exc)) from None
            except OSError as exc:
                raise SourceUnusable("unreadable", f"cannot read: {exc.strerror}") from None
            rel = f"{at:%Y/%m/%d}/{source_name}"
            digest = self._write_atomically(source, self.root / rel)
        with contextlib.suppress(OSError):
            src.unlink()  # stored safely; a spool copy left behind is only re-ingested as a no-op
        return StoredFile(rel, size, digest, info.format, info.duration_seconds)

    def _write_atomically(self, source: BinaryIO, final: Path) -> str:
        tmp = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            digest = _copy(source, tmp)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreWriteFailed(failure_kind(exc), f"{exc.strerror or exc} in the store") from None
        return digest

    def sha256_sync(self, path: str) -> str | None:
        try:
            with open(self.locate(path), "rb") as f:
                digest = hashlib.sha256()
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                return digest.hexdigest()
        except FileNotFoundError:
            return None

    def remove_sync(self, path: str) -> bool:
        try:
            self.locate(path).unlink()
        except FileNotFoundError:
            return False
        return True


def _copy(source: BinaryIO, tmp: Path) -> str:
    """Copy source to tmp (created exclusively), fsync it, and return its sha256."""
    digest = hashlib.sha256()
    source.seek(0)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
