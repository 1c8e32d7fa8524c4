"""Pack an export into a zip that is the same, byte for byte, when the data has not changed.

Entries are written in a fixed order with a fixed timestamp; `manifest.json` lists every other
entry with its size and sha256 so the person (or an auditor) can check nothing was altered; a
recording whose file is not in the store is listed with "missing": true instead of being skipped.
The zip is readable by its owner only (0600): it holds a person's data.
The zip is written next to its final name and renamed into place: a reader never sees half.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no clock in the bytes
CHUNK = 1 << 20


@dataclass(frozen=True)
class MediaFile:
    """A recording to include: where it is in the zip and on disk."""

    name: str
    source: Path


def write_zip(target: Path, document: dict[str, Any], media: list[MediaFile]) -> list[dict[str, Any]]:
    """Write the export to `target` atomically; returns the manifest's file list."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    files: list[dict[str, Any]] = []
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        data = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()
        files.append(_put_bytes(archive, "customer.json", data))
        for item in sorted(media, key=lambda m: m.name):
            try:
                with item.source.open("rb") as source:
                    files.append(_put_stream(archive, item.name, source))
            except FileNotFoundError:
                files.append({"path": item.name, "missing": True})
        manifest = {"customer_id": document["customer"]["id"], "files": files}
        _put_bytes(archive, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
    os.chmod(partial, 0o600)  # whatever the umask did
    os.replace(partial, target)
    return files


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _put_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict[str, Any]:
    archive.writestr(_entry(name), data)
    return {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _put_stream(archive: zipfile.ZipFile, name: str, source: BinaryIO) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with archive.open(_entry(name), "w", force_zip64=True) as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"path": name, "size": size, "sha256": digest.hexdigest()}
