"""The `callcenter` command: run the service (default), apply migrations, or add a user."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import signal
import sys
from dataclasses import replace
from pathlib import Path

from callcenter import data_cli, logs, recordings_cli
from callcenter.demo import DemoPbx
from callcenter.demo_data import DEMO_AGENTS, seed_demo
from callcenter.gc_tuning import tune_for_latency
from callcenter.service import Service, ensure_sqlite_folder
from callcenter.settings import PbxSettings, Settings, SettingsError, load_settings
from crm_core.db import Database
from crm_core.migrate import upgrade
from crm_core.users import UserService

log = logging.getLogger("callcenter")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
    parser.add_argument("--config", type=Path, help="path to config.toml (default: ./config.toml if present)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the service (the default)")
    sub.add_parser("migrate", help="create or upgrade the database schema, then exit")
    add = sub.add_parser("add-user", help="create a user (the password is asked for)")
    add.add_argument("login")
    add.add_argument("--name", required=True)
    add.add_argument("--role", default="agent", choices=["agent", "supervisor", "admin"])
    add.add_argument("--interface", help="queue member interface, e.g. PJSIP/1001")
    add.add_argument("--extension")
    for name, verb in (("import-customers", "read"), ("export-customers", "write")):
        sub.add_parser(name, help=f"{verb} customers as CSV").add_argument("file", type=Path)
    sub.add_parser("recordings-purge", help="remove recordings past their retention, then exit")
    sub.add_parser(
        "recordings-verify", help="re-hash the recording store; exit 1 if files are missing or corrupt"
    )
    data_cli.add_parsers(sub)  # export-customer, erase-customer, backup, restore
    return parser


async def _run(settings: Settings) -> None:
    demo: DemoPbx | None = None
    if settings.demo_mode:
        demo = DemoPbx(settings.demo.ami_port, settings.demo.call_every_seconds)
        await demo.start()
        pbx = PbxSettings(name="demo", port=demo.port, username=demo.username, secret=demo.secret)
        # Demo agents and customers live in their own database, never in the real one.
        database = replace(settings.database, url=settings.demo.database_url)
        ivr = {**settings.ivr, "pbx": "demo"} if settings.ivr else {}
        settings = replace(settings, pbx=[pbx], database=database, ivr=ivr)
    service = Service(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
        if demo is not None:
            await seed_demo(service.users, service.customers, settings.demo.agent_password)
            demo.ivr_port = service.ivr.port if service.ivr is not None else None
            _print_demo_banner(settings, service.web_port)
        tune_for_latency()  # after start-up: what it built is frozen out of full collections
        log.info("console at http://%s:%s/", settings.server.host, service.web_port)
        await stop.wait()
    finally:
        await service.stop()
        if demo is not None:
            await demo.stop()


def _print_demo_banner(settings: Settings, port: int) -> None:
    logins = ", ".join(a.login for a in DEMO_AGENTS)
    print(
        f"\n  Demo mode: simulated PBX, a call every ~{settings.demo.call_every_seconds:g} s.\n"
        f"  Open http://{settings.server.host}:{port}/ and sign in as one of {logins}, supervisor or admin\n"
        f"  password: {settings.demo.agent_password}\n",
        flush=True,
    )


async def _migrate(settings: Settings) -> None:
    ensure_sqlite_folder(settings.database.url)
    db = Database(settings.database.url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def _add_user(settings: Settings, args: argparse.Namespace) -> None:
    password = getpass.getpass(f"password for {args.login}: ")
    await _migrate(settings)
    db = Database(settings.database.url)
    try:
        user = await UserService(db).create(
            args.login,
            password,
            args.name,
            role=args.role,
            interface=args.interface,
            extension=args.extension,
        )
        print(f"created user {user.login} (id {user.id}, {user.role})")
    finally:
        await db.dispose()


async def _customers_csv(settings: Settings, args: argparse.Namespace) -> int:
    from callcenter.csv_io import export_customers, import_customers
    from crm_core.contacts.service import CustomerProfiles
    from crm_core.customers import CustomerService

    await _migrate(settings)
    db = Database(settings.database.url)
    try:
        customers = CustomerService(db, settings.crm.default_region)
        if args.command == "export-customers":
            print(f"exported {await export_customers(CustomerProfiles(customers), args.file)} customers")
            return 0
        result = await import_customers(customers, args.file)
        for err in result.errors:
            print(f"row {err.row}: {err.field}: {err.message}", file=sys.stderr)
        print(f"imported {result.imported} customers, {len(result.errors)} rows refused")
        return 1 if result.errors else 0
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config or Path("config.toml"), required=args.config is not None)
    except SettingsError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.logging.level, settings.logging.format)  # one line per event, UTC, redacted
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "add-user":
        asyncio.run(_add_user(settings, args))
    elif args.command in ("import-customers", "export-customers"):
        return asyncio.run(_customers_csv(settings, args))
    elif args.command in ("recordings-purge", "recordings-verify"):
        asyncio.run(_migrate(settings))
        return asyncio.run(recordings_cli.run(settings, args.command))
    elif args.command in data_cli.COMMANDS:
        return data_cli.run(settings, args)
    else:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
