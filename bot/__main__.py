"""Command line: `python -m bot` runs the bot; `python -m bot demo` tries it with stand-ins."""

from __future__ import annotations

import argparse
import os
import sys

from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError, Settings
from bot.logs import configure_logging

SOCKET_MODE_REFUSED = (
    "Slack refused the Socket Mode connection ({error}). Check that SLACK_APP_TOKEN is the "
    "app-level token (xapp-…) with the connections:write scope, and that Socket Mode is "
    "turned on in the app's settings."
)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run", help="run the bot: Socket Mode with SLACK_APP_TOKEN, else HTTP (the default)"
    )
    commands.add_parser(
        "demo", help="run the whole /lenspin flow on this machine against stand-ins"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from bot.devtools.demo import run_demo  # noqa: PLC0415 (stand-ins only for the demo)

        return run_demo()
    return run()


def run() -> int:
    """Run with the settings from the environment and .env."""
    load_dotenv(find_dotenv(usecwd=True), override=False)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if settings.socket_mode:
        return run_socket_mode(settings)
    # The same server and settings as the Procfile, so local runs behave like production.
    command = [sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_conf"]
    os.execv(sys.executable, [*command, "bot.web:create_application()"])  # noqa: S606
    return 0  # pragma: no cover (execv does not return)


def run_socket_mode(settings: Settings) -> int:
    """Connect out to Slack over a WebSocket: no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415
    from slack_sdk.errors import SlackApiError  # noqa: PLC0415

    from bot.app import create_app, rescue_client  # noqa: PLC0415

    configure_logging(settings.log_level)
    lenspin = create_app(settings, rescue=rescue_client(settings))
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


if __name__ == "__main__":
    sys.exit(main())
