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
import time
from dataclasses import dataclass
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
Ingested = StoredFile | SourceUnusable | StoreWriteFailed  # one file's outcome in a batch


@dataclass(slots=True)
class _Pending:
    """A batch item still to be taken; copied: an earlier round left a copy at rel."""

    name: str
    src: Path
    rel: str
    copied: bool = False


def failure_kind(exc: OSError) -> str:
    if exc.errno in _FULL:
        return "disk_full"
    if exc.errno in _NOT_WRITABLE:
        return "store_not_writable"
    return "ingest_failed"


class RecordingStore:
    """Fulfils crm_core.recording.ports.FileStore on a local (or mounted) folder."""

    def __init__(self, root: Path, spool: Path, settle_seconds: float = 0.5, settle_tries: int = 5) -> None:
        self.root = Path(root)
        self.spool = Path(spool)
        # MixMonitor may still be finishing the file at hang-up (there is no MixMonitorStop then):
        # a file is taken only when its size and mtime held still for settle_seconds.
        self.settle_seconds = settle_seconds
        self.settle_tries = settle_tries

    async def ingest(self, source_name: str, at: datetime) -> StoredFile:
        return await asyncio.to_thread(self.ingest_sync, source_name, at)

    async def ingest_many(self, items: list[tuple[str, datetime]]) -> list[Ingested]:
        """The batch in one worker thread (see ingest_many_sync)."""
        return await asyncio.to_thread(self.ingest_many_sync, items)

    async def sha256(self, path: str) -> str | None:
        return await asyncio.to_thread(self.sha256_sync, path)

    async def remove(self, path: str) -> bool:
        return await asyncio.to_thread(self.remove_sync, path)

    async def discard(self, source_name: str) -> bool:
        return await asyncio.to_thread(self.discard_sync, source_name)

    def locate(self, path: str) -> Path:
        """The absolute path; refuses anything that would leave the store root."""
        full = (self.root / path).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise ValueError("path outside the store")
        return full

    def ingest_sync(self, source_name: str, at: datetime) -> StoredFile:
        """One file: the one-item batch, so both paths settle and take files the same way."""
        result = self.ingest_many_sync([(source_name, at)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def ingest_many_sync(self, items: list[tuple[str, datetime]]) -> list[Ingested]:
        """Take many files, settling them together: one settle_seconds sleep a round, not one a file.

        A file is taken only when its size and mtime held still over the round's sleep and again
        over its copy; one still changing is tried next round, up to settle_tries rounds. Missing files
        and unsafe names answer at once, without a sleep; an empty file settles like any other (the
        PBX may not have flushed it yet). One result per item, in order.
        """
        results: list[Ingested | None] = [None] * len(items)
        pending: dict[int, _Pending] = {}
        for i, (name, at) in enumerate(items):
            if SAFE_NAME.fullmatch(name):
                pending[i] = _Pending(name, self.spool / name, f"{at:%Y/%m/%d}/{name}")
            else:
                results[i] = SourceUnusable("unreadable", "unsafe source file name")
        for _ in range(self.settle_tries):
            before: dict[int, tuple[int, int]] = {}
            for i, item in list(pending.items()):
                try:
                    before[i] = _stat_key(item.src)
                except SourceUnusable as exc:
                    results[i] = self._give_up(pending.pop(i), exc)
            if not before:
                break
            time.sleep(self.settle_seconds)
            for i, first in before.items():
                item = pending[i]
                try:
                    done = self._take_if_still(item, first)
                except (SourceUnusable, StoreWriteFailed) as exc:
                    done = self._give_up(item, exc)
                except Exception as exc:  # one odd file must not cost the batch: it fails alone
                    log.exception("recording ingest failed source=%s", item.name)
                    done = self._give_up(item, StoreWriteFailed("ingest_failed", f"{type(exc).__name__}"))
                if done is not None:
                    results[i] = done
                    del pending[i]
        for i, item in pending.items():  # a copy of a file still being written is no recording
            results[i] = self._give_up(item, SourceUnusable("unreadable", "the PBX kept writing the file"))
        return [r for r in results if r is not None]

    def _take_if_still(self, item: _Pending, first: tuple[int, int]) -> Ingested | None:
        """The stored file when the source held still since first and over the copy; None: try again."""
        if _stat_key(item.src) != first:
            return None
        stored = self._take(item.src, item.rel)
        item.copied = True
        try:
            after = _stat_key(item.src)
        except SourceUnusable:  # gone right after the copy (a spool clean-up): what we copied stands
            if stored.size_bytes == first[0]:
                return stored
            raise
        if after != first:
            log.warning("recording %s changed while copied: trying again", item.name)
            return None
        with contextlib.suppress(OSError):
            item.src.unlink()  # stored safely; a spool copy left behind is only re-ingested as a no-op
        return stored

    def _give_up(self, item: _Pending, exc: SourceUnusable | StoreWriteFailed) -> Ingested:
        """The item's error, after removing any copy an earlier round made of it."""
        if item.copied:
            with contextlib.suppress(OSError, ValueError):
                self.remove_sync(item.rel)
        return exc

    def _take(self, src: Path, rel: str) -> StoredFile:
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
            digest, copied = self._write_atomically(source, self.root / rel)
        return StoredFile(rel, copied, digest, info.format, info.duration_seconds)

    def _write_atomically(self, source: BinaryIO, final: Path) -> tuple[str, int]:
        tmp = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            digest, copied = _copy(source, tmp)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreWriteFailed(failure_kind(exc), f"{exc.strerror or exc} in the store") from None
        return digest, copied

    def sha256_sync(self, path: str) -> str | None:
        try:
            with open(self.locate(path), "rb") as f:
                digest = hashlib.sha256()
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                return digest.hexdigest()
        except FileNotFoundError:
            return None

    def discard_sync(self, source_name: str) -> bool:
        """Remove spool/source_name (only a plain file name: nothing outside the spool)."""
        if not SAFE_NAME.fullmatch(source_name):
            return False
        try:
            (self.spool / source_name).unlink()
        except FileNotFoundError:
            return False
        return True

    def remove_sync(self, path: str) -> bool:
        try:
            self.locate(path).unlink()
        except FileNotFoundError:
            return False
        return True


def _stat_key(src: Path) -> tuple[int, int]:
    try:
        st = src.stat()
    except FileNotFoundError:
        raise SourceUnusable("missing", "no file in the spool") from None
    except OSError as exc:
        raise SourceUnusable("unreadable", f"cannot stat: {exc.strerror}") from None
    return st.st_size, st.st_mtime_ns


def _copy(source: BinaryIO, tmp: Path) -> tuple[str, int]:
    """Copy source to tmp (created exclusively), fsync it; its sha256 and the bytes copied."""
    digest = hashlib.sha256()
    copied = 0
    source.seek(0)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            copied += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), copied


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
