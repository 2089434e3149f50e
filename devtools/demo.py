"""`python -m bot demo`: the whole /lenspin flow on this machine, against the stand-ins."""

from __future__ import annotations

import html
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import requests

from bot.slack import ids
from bot.store import Keyring, Store, generate_key
from devtools.demo_workspaces import show_workspaces
from devtools.fake_rescue import PICKED_UP, WAITING, Customer, FakeRescue, Stage
from devtools.fake_slack import FakeSlack
from devtools.scenario import open_pin_modal, submit_pin_modal
from devtools.web_process import WebProcess, free_port

DEMO_AUTH_CODE = "demo0auth0code0for0the0stand0in0rescue0only"
DEMO_USER = "U0DEMOTECH"
DEMO_COLLEAGUE = "U0DEMOCOLLEAGUE"
# Rescue may return fewer than six digits; the demo shows lenspin padding them.
DEMO_PIN = "4821"
# In the stand-in Rescue, the customer enters the PIN a few seconds after it is issued: their
# session waits in the technician's queue, then the technician picks it up.
DEMO_CUSTOMER = Customer(after=3.0, stages=(Stage(WAITING, seconds=5.0), Stage(PICKED_UP)))
TYPED = {
    ids.field_block("custom1"): "Printer on floor 3 won't feed paper",
    ids.field_block("tracking"): "INC-20418",
    ids.NO_TECH_CONSOLE_BLOCK: [ids.NO_TECH_CONSOLE_OPTION],
}


def run_demo(out: TextIO = sys.stdout) -> int:
    """Run one technician's /lenspin against stand-ins and print what each side sees, then
    serve two workspaces from one deployment."""

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    with (
        FakeSlack() as slack,
        FakeRescue(auth_codes=(DEMO_AUTH_CODE,), pins=(DEMO_PIN,)) as rescue,
    ):
        rescue.sessions.on_pin(rescue.tech_id(DEMO_AUTH_CODE), DEMO_CUSTOMER)
        say(f"Stand-in Slack API:  {slack.api_url}")
        say(f"Stand-in Rescue API: {rescue.url}")
        key = generate_key()
        port = free_port()
        database = tempfile.TemporaryDirectory(prefix="lenspin-demo-")
        database_url = f"sqlite:///{Path(database.name) / 'lenspin.sqlite3'}"
        Store.from_url(database_url, Keyring.from_setting(key)).migrate()
        env = {
            "DATABASE_URL": database_url,
            "LENSPIN_ENCRYPTION_KEY": key,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "RESCUE_AUTH_CODE": DEMO_AUTH_CODE,
            "RESCUE_API_URL": rescue.url,
            "LENSPIN_ALLOWED_USERS": DEMO_USER,
            "LENSPIN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            # Rescue's queue read every second (5 s by default), so the news shows quickly.
            "LENSPIN_WATCH_INTERVAL": "1",
        }
        started = time.monotonic()
        with WebProcess(env, port=port) as web:
            say(f"lenspin started as the Procfile starts it ({_ms(started)} ms): {web.url}")
            say()
            say("A technician types:  /lenspin Jane Doe")
            started = time.monotonic()
            opened = open_pin_modal(slack, web.events_url, user_id=DEMO_USER, text="Jane Doe")
            say(f"The form opens ({_ms(started)} ms), titled {opened.view['title']['text']!r}:")
            for line in describe_form(opened.view):
                say(f"  {line}")
            say()
            say("They fill in a few fields and submit:")
            for line in describe_values(opened.view, TYPED):
                say(f"  {line}")
            started = time.monotonic()
            submit_pin_modal(slack, web.events_url, opened, user_id=DEMO_USER, values=TYPED)
            (call,) = rescue.wait_for_calls(1)
            message = slack.wait_for_shown(DEMO_USER, lambda _m: True)
            say()
            say(f"Rescue received {call.operation} (SOAP {call.soap_version}) with:")
            for name, value in call.fields.items():
                shown = "(the auth code, hidden)" if name == "sAuthCode" else repr(value)
                say(f"  {name} = {shown}")
            say(f"and answered with the PIN {DEMO_PIN!r}.")
            waiting = DEMO_CUSTOMER.stages[0]
            say(
                f"(The stand-in's customer enters it: their session waits in the queue "
                f"{DEMO_CUSTOMER.after:g} s after the PIN, and is picked up {waiting.seconds:g} s "
                "later.)"
            )
            say()
            say(
                f"The technician sees, privately via {message['route']} "
                f"({_ms(started)} ms after submitting):"
            )
            for line in render(message["blocks"]):
                say(f"  | {line}")
            say()
            show_session_news(slack, message, say)
            say()
            show_connect_page(slack, web, say)
        database.cleanup()
        say()
        show_workspaces(slack, rescue, say)
    return 0


def show_session_news(
    slack: FakeSlack, message: dict[str, Any], say: Callable[[str], None]
) -> None:
    """The PIN's message as lenspin updates it while it follows the customer's session."""
    say("lenspin watches the technician's Rescue queue and updates that same message:")
    delivered = time.monotonic()
    for words in ("has connected", "Picked up"):
        shown = slack.wait_for_shown(DEMO_USER, _saying(message["ts"], words), timeout=30)
        seconds = time.monotonic() - delivered
        say(f"  {seconds:4.1f} s later | {shown['text'].replace('*', '')}")


def _saying(ts: str, words: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate: the message at ts, once it says words."""
    return lambda shown: shown["ts"] == ts and words in (shown["text"] or "")


def show_connect_page(slack: FakeSlack, web: WebProcess, say: Callable[[str], None]) -> None:
    """A colleague without an account connects their own on lenspin's page."""
    slack.add_user(DEMO_COLLEAGUE, real_name="Sam Colleague")
    say("A colleague with no Rescue account in lenspin yet types:  /lenspin connect")
    slack.send_command(web.events_url, user_id=DEMO_COLLEAGUE, text="connect")
    message = slack.wait_for_message(DEMO_COLLEAGUE, predicate=lambda m: "blocks" in m)
    say("They see, privately:")
    for line in render(message["blocks"]):
        say(f"  | {line}")
    url = next(
        element["url"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    page = requests.get(url, timeout=10)
    heading = page.text.split("<h1>", 1)[1].split("</h1>", 1)[0]
    say(f"The button opens {url} ({page.status_code}):")
    say(f"  {html.unescape(heading)}: Rescue email, password (or an auth code), Connect.")
    say("No password is typed into Slack; the link works once, for 10 minutes.")


def describe_form(view: dict[str, Any]) -> list[str]:
    """One line per input: label, whether required, limit and any prefilled value."""
    lines = []
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "checkboxes":
            options = ", ".join(o["text"]["text"] for o in element["options"])
            lines.append(f"[ ] {options}")
            continue
        if element["type"] == "static_select":
            choice = element["initial_option"]["text"]["text"]
            lines.append(f"{block['label']['text']}: one of {len(element['options'])}, {choice!r}")
            continue
        need = "optional" if block.get("optional") else "required"
        line = f"{block['label']['text']} ({need}, up to {element['max_length']} characters)"
        if element.get("initial_value"):
            line += f" = {element['initial_value']!r}"
        lines.append(line)
    return lines


def describe_values(view: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """What the technician typed, by label."""
    labels = {b["block_id"]: b["label"]["text"] for b in view["blocks"] if b["type"] == "input"}
    return [
        f"{labels[block_id]}: {'ticked' if isinstance(value, list) else repr(value)}"
        for block_id, value in values.items()
    ]


def render(blocks: list[dict[str, Any]]) -> list[str]:
    """Block Kit as plain lines, roughly as Slack shows it."""
    lines: list[str] = []
    for block in blocks:
        if block["type"] in ("section", "header"):
            lines += block["text"]["text"].replace("```", "").splitlines()
        elif block["type"] == "context":
            lines += [e["text"] for e in block["elements"]]
        elif block["type"] == "actions":
            lines.append("  ".join(f"[ {e['text']['text']} ]" for e in block["elements"]))
        lines.append("")
    return lines[:-1]


def _ms(since: float) -> int:
    return round((time.monotonic() - since) * 1000)
