"""``python -m devhost start|migrate|token|demo``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from uuid import UUID

from devhost.runtime import DEFAULT_APP_DIR


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _start(args: argparse.Namespace) -> int:
    from core.db.database import get_database
    from devhost.host import LocalHost
    from devhost.runtime import prepare

    prepare(Path(args.app), log_level=args.log_level)
    host = LocalHost(
        Path(args.app),
        get_database().url,
        bind=args.host,
        port=args.port,
        max_delivery_count=args.max_delivery_count,
        blob_poll_seconds=args.blob_poll_seconds,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"DataWave devhost: {len(host.loaded.functions)} functions, listening on {host.base_url}/api", flush=True)
    try:
        host.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        host.stop()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from core.db.database import get_database
    from core.db.migrations import apply_migrations
    from devhost.runtime import DEVHOST_MIGRATIONS, prepare

    prepare(Path(args.app), migrate=False, log_level=args.log_level)
    applied = apply_migrations(get_database().url, DEVHOST_MIGRATIONS)
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


def _token(args: argparse.Namespace) -> int:
    from core.auth.tokens import mint_dev_token
    from core.settings import get_settings, reset_settings_cache
    from devhost.app_loader import apply_local_settings

    apply_local_settings(Path(args.app))
    reset_settings_cache()
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    token = mint_dev_token(
        get_settings(),
        args.sub,
        roles,
        workspaces=args.workspace or None,
        name=args.name,
        groups=args.group or None,
        mfa=args.mfa,
        ttl_seconds=args.ttl,
    )
    print(token)
    return 0


def _deadletters(args: argparse.Namespace) -> int:
    import json

    from core.db.database import get_database
    from devhost.runtime import prepare
    from devhost.triggers.blobs import list_poisoned_blobs
    from devhost.triggers.servicebus import list_dead_letters

    prepare(Path(args.app), log_level="WARNING")
    messages = list_dead_letters(get_database(), args.receiver)
    blobs = list_poisoned_blobs(get_database())
    if args.json:
        print(json.dumps({"messages": messages, "blobs": blobs}, default=str, indent=2))
        return 0
    print(f"{len(messages)} dead-lettered message(s)")
    for m in messages:
        preview = bytes(m["body"][:80]).decode("utf-8", "replace")
        print(
            f"- {m['receiver']} message {m['message_id']} ({m['subject'] or 'no subject'}): {m['dead_letter_reason']}"
            f" after {m['delivery_count']} deliveries; last error: {m['dead_letter_error']}; body: {preview}"
        )
    print(f"{len(blobs)} poisoned blob(s)")
    for b in blobs:
        print(f"- {b['function_name']} {b['blob_path']}: {b['attempts']} attempts; last error: {b['last_error']}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from devhost.demo import run_demo

    return run_demo(Path(args.app))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost", description="Run DataWave without Azure.")
    parser.add_argument("--app", default=str(DEFAULT_APP_DIR), help="function app directory (default: this project)")
    parser.add_argument("--log-level", default=None, help="override DATAWAVE_LOG_LEVEL")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="serve the function app on 127.0.0.1:7071")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, default=7071)
    start.add_argument(
        "--max-delivery-count", type=int, default=10, help="local bus deliveries before dead-lettering (as Service Bus)"
    )
    start.add_argument("--blob-poll-seconds", type=float, default=1.0, help="how often blob containers are scanned")
    start.set_defaults(run=_start)

    commands.add_parser("migrate", help="apply pending database migrations").set_defaults(run=_migrate)

    token = commands.add_parser("token", help="print a local development token")
    token.add_argument("--sub", required=True, help="subject (user id)")
    token.add_argument("--roles", default="Viewer", help="comma-separated built-in roles")
    token.add_argument("--workspace", action="append", type=UUID, help="limit the roles to this workspace (repeatable)")
    token.add_argument("--group", action="append", help="Entra group id claim (repeatable)")
    token.add_argument("--name", default=None)
    token.add_argument("--mfa", action="store_true", help="include mfa in the amr claim")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.set_defaults(run=_token)

    commands.add_parser("demo", help="run the governance demo end to end").set_defaults(run=_demo)

    from devhost.classify_command import add_parser as add_classify_parser

    add_classify_parser(commands)

    deadletters = commands.add_parser("deadletters", help="list dead-lettered local bus messages and poisoned blobs")
    deadletters.add_argument("--receiver", help="a queue, or topic/subscriptions/name")
    deadletters.add_argument("--json", action="store_true", help="print JSON")
    deadletters.set_defaults(run=_deadletters)

    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
