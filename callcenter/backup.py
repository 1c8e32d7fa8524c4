"""`callcenter backup DEST` / `callcenter restore SRC`: the database copied out and back.

SQLite: sqlite3's online backup API copies the whole file in one step from one read
transaction, so under WAL the copy is one consistent moment even while the service keeps
writing (writers are not blocked; a multi-step backup would restart on every write). The copy is
written beside its final name, integrity-checked, then renamed into place.
Restore refuses a target that holds data or that another process has open (the running
service) unless --force; it checks the source first, writes a partial file beside the target with
the same backup API, checks it and renames it into place. Re-applying erasures after a restore
is callcenter.data_cli's job (it needs the running CRM code, not just files).
Every failure is a BackupError with a message key (data_rights.cli.*), never a traceback.
PostgreSQL: pg_dump -Fc / pg_restore, run for you when they are on PATH; the password goes
through PGPASSWORD, never the command line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

PG_TIMEOUT = 3600.0  # seconds a pg_dump / pg_restore may take


class BackupError(Exception):
    """A refusal or failure, with the message key (data_rights.cli.*) and its fields."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


@dataclass(frozen=True)
class Outcome:
    key: str
    fields: dict[str, object]


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("data_rights.cli.no_database_file", url=url)
    return Path(parsed.database)


def backup(url: str, dest: Path, force: bool = False) -> Outcome:
    """Copy the database to dest (a file, or a folder to put a dated file in)."""
    return _guarded(dest, lambda: _backup(url, dest, force))


def restore(url: str, src: Path, force: bool = False) -> Outcome:
    """Replace the database with the backup src (refused over data or a database in use without force)."""
    return _guarded(src, lambda: _restore(url, src, force))


def _guarded(path: Path, job: Callable[[], Outcome]) -> Outcome:
    """Any file or database failure as a BackupError with a message, never a traceback."""
    try:
        return job()
    except sqlite3.DatabaseError as exc:
        raise BackupError("data_rights.cli.io_failed", path=path, detail=str(exc)) from exc
    except OSError as exc:
        where = exc.filename or path
        raise BackupError("data_rights.cli.io_failed", path=where, detail=exc.strerror or str(exc)) from exc


def _backup(url: str, dest: Path, force: bool) -> Outcome:
    source = sqlite_path(url)
    if dest.is_dir():
        dest = dest / f"crm-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{'sqlite3' if source else 'dump'}"
    if not dest.parent.is_dir():
        raise BackupError("data_rights.cli.folder_missing", path=dest.parent)
    if dest.exists() and not force:
        raise BackupError("data_rights.cli.backup_exists", path=dest)
    if source is None:
        return _pg_dump(url, dest)
    if not source.is_file():
        raise BackupError("data_rights.cli.no_such_file", path=source)
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    with _connect(source) as src, _connect(partial) as out:
        src.backup(out)  # pages=-1: one step, one snapshot
        check = _integrity(out)
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError("data_rights.cli.integrity_failed", path=dest, detail=check)
    os.replace(partial, dest)
    return Outcome("data_rights.cli.backup_done", {"path": dest, "size": dest.stat().st_size, "check": check})


def _restore(url: str, src: Path, force: bool) -> Outcome:
    target = sqlite_path(url)
    if not src.is_file():
        raise BackupError("data_rights.cli.no_such_file", path=src)
    if target is None:
        return _pg_restore(url, src, force)
    _check_source(src)
    if not force and (_holds_data(target) or _in_use(target)):
        raise BackupError("data_rights.cli.restore_refused", path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    with _connect(src) as source, _connect(partial) as out:
        source.backup(out)
        check = _integrity(out)
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError("data_rights.cli.integrity_failed", path=src, detail=check)
    _retire(target)
    os.replace(partial, target)
    return Outcome("data_rights.cli.restored", {"src": src, "dest": target, "check": check})


def _check_source(src: Path) -> None:
    with _connect(src) as probe:
        try:
            check = _integrity(probe)
        except sqlite3.DatabaseError:  # not a database at all
            raise BackupError("data_rights.cli.not_a_database", path=src) from None
        if check != "ok":
            raise BackupError("data_rights.cli.integrity_failed", path=src, detail=check)
        if not _has_schema(probe):
            raise BackupError("data_rights.cli.no_schema", path=src)


def _retire(target: Path) -> None:
    """Before the new file takes the old one's name: its WAL must not be replayed into the new one."""
    if target.exists():
        with contextlib.suppress(sqlite3.DatabaseError), _connect(target) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


def _connect(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """A connection closed on leaving the with block (sqlite3's own only ends a transaction)."""
    return contextlib.closing(sqlite3.connect(path, timeout=5.0, isolation_level=None))


def _integrity(conn: sqlite3.Connection) -> str:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "ok" if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows[:3])


def _has_schema(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    return found is not None


def _holds_data(path: Path) -> bool:
    """Tables in it, or a file that is no database (never overwritten without --force either)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with _connect(path) as conn:
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0
        except sqlite3.DatabaseError:
            return True


def _in_use(path: Path) -> bool:
    """Another connection is open on the file (the running service keeps its pool open).

    In WAL mode (the service's) an idle connection holds no lock on the file itself, but leaving
    WAL needs every other connection gone: the probe tries that and puts WAL back. In rollback
    mode only a connection inside a transaction can be seen.
    """
    if not path.exists():
        return False
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            if conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] != "delete":
                return True
            conn.execute("PRAGMA journal_mode=WAL")
            return False
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    parsed = make_url(url).set(drivername="postgresql")
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], env: dict[str, str], timeout: float = PG_TIMEOUT) -> str:
    """The tool's output; a missing tool, a failure or a time-out as a BackupError."""
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError("data_rights.cli.pg_tool_missing", tool=tool)
    try:
        done = subprocess.run(
            [exe, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError("data_rights.cli.pg_tool_timeout", tool=tool, seconds=int(timeout)) from None
    if done.returncode != 0:
        raise BackupError(
            "data_rights.cli.pg_tool_failed", tool=tool, status=done.returncode, stderr=done.stderr.strip()
        )
    return done.stdout


def _pg_dump(url: str, dest: Path) -> Outcome:
    dsn, env = _libpq(url)
    partial = dest.with_name(f".{dest.name}.partial")
    _run("pg_dump", ["-Fc", "--no-owner", "-f", str(partial), dsn], env)
    os.replace(partial, dest)
    return Outcome(
        "data_rights.cli.backup_done", {"path": dest, "size": dest.stat().st_size, "check": "pg_dump"}
    )


def _pg_restore(url: str, src: Path, force: bool) -> Outcome:
    dsn, env = _libpq(url)
    if not force and _pg_holds_data(dsn, env):
        raise BackupError("data_rights.cli.restore_refused", path=make_url(url).database)
    _run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--exit-on-error", "-d", dsn, str(src)], env)
    return Outcome(
        "data_rights.cli.restored", {"src": src, "dest": make_url(url).database, "check": "pg_restore"}
    )


def _pg_holds_data(dsn: str, env: dict[str, str]) -> bool:
    query = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    return int(_run("psql", ["-Atc", query, dsn], env, timeout=60).strip() or 0) > 0
