"""The demo's second part: one deployment serving two workspaces, each installed with "Add to
Slack", each with its own settings set by its admin, each technician's PIN on its own code."""

from __future__ import annotations

import html
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bot.slack import ids
from bot.store import Keyring, Store, generate_key
from bot.texts import admin as admin_words
from devtools.fake_rescue import FakeRescue
from devtools.fake_slack import FakeSlack
from devtools.web_process import WebProcess, free_port

TIMEOUT = 10.0


@dataclass(frozen=True)
class DemoWorkspace:
    """A workspace of the demo: its admin, its technician, its customer and its own code."""

    team_id: str
    name: str
    admin: str
    tech: str
    customer: str
    code: str
    language: str = "en"


WORKSPACES = (
    DemoWorkspace(
        "T0ACME",
        "Acme Helpdesk",
        "U0ACMEADMIN",
        "U0ACMETECH",
        "Ann Customer",
        "demo0acme0code0for0the0stand0in0rescue0only",
    ),
    DemoWorkspace(
        "T0GLOBEX",
        "Globex IT",
        "U0GLOBEXADMIN",
        "U0GLOBEXTECH",
        "Gus Kunde",
        "demo0globex0code0for0the0stand0in0rescue0only",
        language="de",
    ),
)


def show_workspaces(slack: FakeSlack, rescue: FakeRescue, say: Callable[[str], None]) -> None:
    """lenspin as a distributed app: two installs, two admins' settings, a PIN in each."""
    for shop in WORKSPACES:
        slack.add_workspace(shop.team_id, name=shop.name)
        slack.add_user(shop.admin, team_id=shop.team_id, admin=True, real_name=f"{shop.name} Admin")
        slack.add_user(shop.tech, team_id=shop.team_id, real_name=f"{shop.name} Technician")
        rescue.add_auth_code(shop.code)
    key, port = generate_key(), free_port()
    with tempfile.TemporaryDirectory(prefix="lenspin-demo-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'lenspin.sqlite3'}"
        Store.from_url(database_url, Keyring.from_setting(key)).migrate()
        env = {
            "DATABASE_URL": database_url,
            "LENSPIN_ENCRYPTION_KEY": key,
            # Instead of SLACK_BOT_TOKEN: the app's OAuth client; each install brings a token.
            "SLACK_CLIENT_ID": slack.client_id,
            "SLACK_CLIENT_SECRET": slack.client_secret,
            "SLACK_OAUTH_AUTHORIZE_URL": slack.authorize_url,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "RESCUE_API_URL": rescue.url,
            "LENSPIN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LENSPIN_WATCH": "off",
        }
        say("Now one deployment for several workspaces: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        say("instead of SLACK_BOT_TOKEN, and no shared code or allowlist in the environment.")
        started = time.monotonic()
        with WebProcess(env, port=port) as web:
            took = _ms(started)
            say(f"lenspin started again as the Procfile starts it ({took} ms): {web.url}")
            say("")
            for shop in WORKSPACES:
                say(f"An admin of {shop.name} opens {web.url}/slack/install, clicks Add to Slack,")
                say(f"and approves in Slack. lenspin's page says: {add_to_slack(slack, web, shop)}")
            say("")
            say("Each admin opens lenspin's Home tab, clicks Change settings under Admin, and")
            say("saves their workspace's own shared Rescue code and who may use it. Their Admin")
            say("section then says (the code itself is never shown, nor kept in clear):")
            for shop in WORKSPACES:
                say(f"  {shop.name}:")
                for line in set_settings(slack, web, shop):
                    say(f"    | {line}")
            say("")
            say("A technician in each types /lenspin with their customer's name, and sees:")
            width = max(len(shop.name) for shop in WORKSPACES)
            for shop in WORKSPACES:
                message = get_pin(slack, web, shop)
                codes = [
                    c.fields["sAuthCode"]
                    for c in rescue.calls
                    if c.operation == "requestLensPINCodeV2"
                    and c.fields["sCField0"] == shop.customer
                ]
                steps = next(b for b in message["blocks"] if "```" in str(b))["text"]["text"]
                first_step = steps.split("```")[1].splitlines()[0]
                said = "its own auth code" if codes == [shop.code] else "another code"
                say(f"  {shop.name:{width}} | {message['text']}")
                say(f"  {'':{width}} | {first_step}")
                say(f"  {'':{width}}   (Rescue got {shop.name}'s request with {said}.)")
            say("Neither workspace sees the other's settings, people or PINs.")


def add_to_slack(slack: FakeSlack, web: WebProcess, shop: DemoWorkspace) -> str:
    """The admin's browser through 'Add to Slack': lenspin's page, Slack's, lenspin's again."""
    slack.next_install(shop.team_id, user_id=shop.admin)
    page = requests.get(web.url + "/slack/install", timeout=TIMEOUT)
    # The state cookie is Secure: a browser returns it to a loopback address, requests won't.
    cookie = page.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', page.text)
    assert link is not None, "no Add to Slack link on lenspin's page"
    approved = requests.get(html.unescape(link[1]), allow_redirects=False, timeout=TIMEOUT)
    landed = requests.get(approved.headers["Location"], headers={"Cookie": cookie}, timeout=TIMEOUT)
    said = re.search(r'<p id="message">(.*?)</p>', landed.text, re.S)
    assert said is not None, landed.text
    return html.unescape(said[1]).split(". ")[0] + "."


def set_settings(slack: FakeSlack, web: WebProcess, shop: DemoWorkspace) -> list[str]:
    """The admin opens the Home tab, clicks Change settings and saves: the Admin section's
    settings as the refreshed Home tab shows them."""
    started = time.monotonic()
    home_opened = {"type": "app_home_opened", "user": shop.admin, "tab": "home"}
    slack.send_event(web.events_url, home_opened, team_id=shop.team_id)
    _published(slack, shop.admin, started)
    trigger = slack.new_trigger_id(team_id=shop.team_id)
    click = {
        "type": "block_actions",
        **slack.payload_fields(shop.admin, team_id=shop.team_id),
        "trigger_id": trigger,
        "container": {"type": "view", "view_id": ""},
        "actions": [{"action_id": ids.ADMIN_OPEN_ACTION, "block_id": "b", "type": "button"}],
    }
    slack.send_payload(web.events_url, click)
    modal = _opened(slack, trigger)
    values: dict[str, Any] = {
        ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_CHOSEN,
        ids.ADMIN_USERS_BLOCK: [shop.tech],
        ids.ADMIN_CODE_BLOCK: shop.code,
        ids.ADMIN_LANGUAGE_BLOCK: shop.language,
    }
    started = time.monotonic()
    slack.submit_view(
        web.events_url, modal, user_id=shop.admin, team_id=shop.team_id, values=values
    )
    blocks = _published(slack, shop.admin, started)["blocks"]
    # The Admin section: its header, a line about it, then the settings up to its button.
    start = next(
        i for i, b in enumerate(blocks) if b.get("text", {}).get("text") == admin_words.HEADING
    )
    lines: list[str] = []
    for block in blocks[start + 2 :]:
        if block["type"] != "section":
            break
        lines += [line.replace("*", "") for line in block["text"]["text"].splitlines()]
    return lines


def get_pin(slack: FakeSlack, web: WebProcess, shop: DemoWorkspace) -> dict[str, Any]:
    """The technician's /lenspin, the form submitted as it opened: the PIN's message."""
    _, trigger, _ = slack.send_command(
        web.events_url, user_id=shop.tech, text=shop.customer, team_id=shop.team_id
    )
    form = _opened(slack, trigger)
    slack.submit_view(web.events_url, form, user_id=shop.tech, team_id=shop.team_id)
    return slack.wait_for_message(
        shop.tech, timeout=TIMEOUT, predicate=lambda m: shop.customer in str(m["text"])
    )


def _text(block: dict[str, Any]) -> object:
    return block.get("text", {}).get("text")


def _published(slack: FakeSlack, user: str, since: float) -> dict[str, Any]:
    """The Home tab lenspin published for user since then."""
    call = slack.wait_for_call(
        "views.publish",
        lambda c: c.received_at >= since and c.args["user_id"] == user,
        timeout=TIMEOUT,
    )
    view: dict[str, Any] = call.args["view"]
    return view


def _opened(slack: FakeSlack, trigger: str) -> dict[str, Any]:
    call = slack.wait_for_call(
        "views.open", lambda c: c.args.get("trigger_id") == trigger, timeout=TIMEOUT
    )
    view: dict[str, Any] = call.args["view"]
    return view


def _ms(since: float) -> int:
    return round((time.monotonic() - since) * 1000)
