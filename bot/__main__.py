"""Command line: run the bot, try it with stand-ins, and look after its database."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError, Settings, database_unreachable, load_settings
from bot.logs import configure_logging

if TYPE_CHECKING:
    from bot.store import Store

SOCKET_MODE_REFUSED = (
    "Slack refused the Socket Mode connection ({error}). Check that SLACK_APP_TOKEN is the "
    "app-level token (xapp-…) with the connections:write scope, and that Socket Mode is "
    "turned on in the app's settings."
)


# What the Procfile passes to `python -m bot web`, and what `python -m bot` serves HTTP with.
GUNICORN_ARGS = ["--config", "python:bot.gunicorn_conf", "bot.web:create_application()"]


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0911 (a return per command)
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run", help="run the bot: Socket Mode with SLACK_APP_TOKEN, else HTTP (the default)"
    )
    commands.add_parser(
        "web", help="the Procfile's web process: check the settings, then serve with gunicorn"
    )
    commands.add_parser("demo", help="run the whole /lenspin flow on this machine with stand-ins")
    commands.add_parser("migrate", help="create or update the database schema (DATABASE_URL)")
    commands.add_parser("keygen", help="print a new LENSPIN_ENCRYPTION_KEY")
    commands.add_parser(
        "rotate-keys", help="re-encrypt stored codes and PINs with the first encryption key"
    )
    commands.add_parser(
        "check", help="try the settings, Slack, Rescue and the database before going live"
    )
    audit = commands.add_parser("audit", help="export the audit trail")
    audit.add_argument("--since", required=True, help="first day to export, e.g. 2026-01-01")
    # `web` hands whatever follows it to gunicorn; every other command takes only its own.
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "web":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    load_dotenv(find_dotenv(usecwd=True), override=False)
    if args.command == "web":
        return serve_http(rest or GUNICORN_ARGS)
    if args.command == "demo":
        # Here, not at the top: the stand-ins live outside the product package, for the demo only.
        from devtools.demo import run_demo  # noqa: PLC0415

        return run_demo()
    if args.command == "keygen":
        from bot.store import generate_key  # noqa: PLC0415

        print(generate_key())
        return 0
    if args.command == "migrate":
        return migrate()
    if args.command == "audit":
        return export_audit(args.since)
    if args.command == "rotate-keys":
        return rotate_keys()
    if args.command == "check":
        return check()
    return run()


def migrate() -> int:
    """Bring the database to the current schema; needs only DATABASE_URL."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from bot.config import DEFAULT_DATABASE_URL  # noqa: PLC0415
    from bot.store import Keyring, Store, generate_key  # noqa: PLC0415

    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    # Migrations read and write no secrets, so any key will do here; a migration may rewrite a
    # large table, so no statement is cut short.
    store = Store.from_url(url, Keyring.from_setting(generate_key()), answer_within=None)
    try:
        applied = store.migrate()
    except SQLAlchemyError as error:
        print(database_unreachable(error), file=sys.stderr)
        return 1
    print(f"Database schema is up to date ({len(applied)} migration(s) applied).")
    return 0


def export_audit(since: str) -> int:
    """Write the audit trail from a day on as CSV to standard output."""
    from bot.audit import write_csv  # noqa: PLC0415

    try:
        start = datetime.fromisoformat(since)
    except ValueError:
        print(f"--since {since!r} is not a date like 2026-01-01", file=sys.stderr)
        return 2
    settings = _settings()
    # The export holds no secrets, so it works even with a key that cannot read them.
    store = _store(settings, check_key=False) if settings else None
    if store is None:
        return 2
    count = write_csv(store.export_audit(start.replace(tzinfo=start.tzinfo or UTC)), sys.stdout)
    print(f"{count} request(s) exported.", file=sys.stderr)
    return 0


def rotate_keys() -> int:
    """Re-encrypt everything stored with the first key of LENSPIN_ENCRYPTION_KEY."""
    settings = _settings()
    store = _store(settings) if settings else None
    if store is None:
        return 2
    count = store.rotate_keys()
    print(f"{count} value(s) re-encrypted with the first key; older keys may now be removed.")
    return 0


def check() -> int:
    """Try every outside dependency once and say what to fix; 0 only if all is well."""
    settings = _settings()
    if settings is None:
        return 2
    from bot.check import run_checks  # noqa: PLC0415 (loads Slack, zeep and SQLAlchemy)

    # The check prints its own verdicts; library warnings would only repeat them.
    configure_logging("ERROR")
    return 0 if run_checks(settings, out=sys.stdout) else 1


def run() -> int:
    """Run with the settings from the environment and .env."""
    settings = _settings()
    if settings is None:
        return 2
    if settings.socket_mode:
        return run_socket_mode(settings)
    # The same server and settings as the Procfile, so local runs behave like production.
    return serve_http(GUNICORN_ARGS)


def serve_http(gunicorn_args: list[str]) -> int:
    """Serve HTTP with gunicorn in this process, once the settings are known to be good."""
    # gunicorn reads WEB_CONCURRENCY with int() as it is imported: a bad value would be a
    # traceback, so every setting is checked (and named) before gunicorn is loaded.
    try:
        load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    from gunicorn.app.wsgiapp import run as gunicorn  # noqa: PLC0415

    sys.argv = ["gunicorn", *gunicorn_args]
    gunicorn()
    return 0  # pragma: no cover (gunicorn exits the process itself)


def run_socket_mode(settings: Settings) -> int:
    """Connect out to Slack over a WebSocket: no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415
    from slack_sdk.errors import SlackApiError  # noqa: PLC0415

    from bot.app import create_app, freeze_startup_heap, rescue_client  # noqa: PLC0415

    configure_logging(settings.log_level, settings.log_format)
    store = _store(settings)
    if store is None:
        return 2
    lenspin = create_app(settings, rescue=rescue_client(settings), store=store)
    freeze_startup_heap()
    print("lenspin is connecting to Slack in Socket Mode; press Ctrl-C to stop.", file=sys.stderr)
    try:
        SocketModeHandler(lenspin.bolt, settings.slack_app_token).start()
    except SlackApiError as error:
        print(SOCKET_MODE_REFUSED.format(error=error.response.get("error")), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        lenspin.shutdown()
    return 0


def _store(settings: Settings, *, check_key: bool = True) -> Store | None:
    from bot.app import open_store, start_refusal  # noqa: PLC0415

    try:
        return open_store(settings, check_key=check_key)
    except Exception as error:
        refusal = start_refusal(error)
        if refusal is None:
            raise
        print(refusal, file=sys.stderr)
    return None


def _settings() -> Settings | None:
    try:
        return Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main())
