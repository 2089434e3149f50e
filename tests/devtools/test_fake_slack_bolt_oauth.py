"""A real Bolt app with OAuthSettings installs into several workspaces of the fake Slack."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from slack_bolt import Ack, App, BoltContext
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from devtools.fake_slack import FakeSlack
from tests.support.served import WsgiApp

MODAL = {
    "type": "modal",
    "callback_id": "m",
    "title": {"type": "plain_text", "text": "Lens PIN"},
    "blocks": [{"type": "divider"}],
}


@dataclass
class Distributed:
    """A Bolt app in OAuth mode on loopback, and what its command handler saw."""

    url: str
    store: SQLite3InstallationStore
    seen: list[tuple[str | None, str | None, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> requests.Response:
        """Click "Add to Slack", as a browser would, and land back on the app."""
        started = requests.get(self.url + "/slack/install", allow_redirects=False, timeout=5)
        # Bolt's state cookie is Secure: a browser sends it back to http://127.0.0.1, requests
        # would not, so the test hands it back itself.
        cookie = started.headers["Set-Cookie"].split(";")[0]
        approved = requests.get(started.headers["Location"], allow_redirects=False, timeout=5)
        return requests.get(approved.headers["Location"], headers={"Cookie": cookie}, timeout=5)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        running.add_workspace("T0SECOND", name="Second Shop")
        running.add_workspace("T0GA", name="Grid A", enterprise_id="E0G", enterprise_name="Grid")
        running.add_workspace("T0GB", name="Grid B", enterprise_id="E0G", enterprise_name="Grid")
        yield running


@pytest.fixture
def distributed(fake: FakeSlack, tmp_path: Path) -> Iterator[Distributed]:
    store = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=fake.client_id)
    states = SQLite3OAuthStateStore(database=str(tmp_path / "s.db"), expiration_seconds=300)
    with WsgiApp() as server:
        harness = Distributed(server.url, store)
        app = App(
            signing_secret=fake.signing_secret,
            client=WebClient(base_url=fake.api_url),
            # Listeners finish before Bolt answers: once the fake's uninstall has its answers,
            # the app has forgotten the install (else the test would race Bolt's threads).
            process_before_response=True,
            # Given to App itself, the store's authorize refreshes tokens through this client
            # (OAuthSettings' own would call slack.com).
            installation_store=store,
            oauth_settings=OAuthSettings(
                client_id=fake.client_id,
                client_secret=fake.client_secret,
                scopes=["commands", "chat:write", "users:read"],
                installation_store=store,
                state_store=states,
                authorization_url=fake.authorize_url,
                redirect_uri=server.url + "/slack/oauth_redirect",
                install_page_rendering_enabled=False,
            ),
        )
        app.enable_token_revocation_listeners()

        @app.command("/lenspin")
        def open_modal(
            ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
        ) -> None:
            ack()
            with harness.lock:
                harness.seen.append(
                    (context.team_id, context.enterprise_id, bool(context.is_enterprise_install))
                )
            client.views_open(trigger_id=body["trigger_id"], view=MODAL)

        server.app = SlackRequestHandler(app)
        yield harness


def command_opens_a_modal(
    fake: FakeSlack, app: Distributed, user_id: str, team_id: str | None
) -> str:
    """Run /lenspin from team_id; the token the app opened its modal with."""
    ack, trigger_id, _ = fake.send_command(
        app.url + "/slack/events", user_id=user_id, team_id=team_id
    )
    assert ack.status == 200
    call = fake.wait_for_call("views.open", lambda c: c.args.get("trigger_id") == trigger_id)
    assert call.error is None
    assert call.token is not None
    return call.token


def test_bolt_installs_in_two_workspaces_and_an_org(
    fake: FakeSlack, distributed: Distributed
) -> None:
    fake.next_install("T0SECOND", user_id="U0BOSS")
    assert distributed.install().status_code == 200
    assert distributed.install().status_code == 200  # the default workspace
    fake.next_install("T0GA", user_id="U0GRIDBOSS", org_wide=True)
    assert distributed.install().status_code == 200
    installed = {(r.enterprise_id, r.team_id): r for r in fake.installations}
    assert set(installed) == {("", "T0SECOND"), ("", "T0LENSPIN"), ("E0G", "")}
    # Each request is served with its own install's token.
    tokens = [
        command_opens_a_modal(fake, distributed, "U0SECOND", "T0SECOND"),
        command_opens_a_modal(fake, distributed, "U0HOME", None),
        command_opens_a_modal(fake, distributed, "U0GB", "T0GB"),
    ]
    assert tokens == [
        installed[("", "T0SECOND")].bot_token,
        installed[("", "T0LENSPIN")].bot_token,
        installed[("E0G", "")].bot_token,
    ]
    assert distributed.seen == [
        ("T0SECOND", None, False),
        ("T0LENSPIN", None, False),
        ("T0GB", "E0G", True),
    ]


def test_bolt_refreshes_rotating_tokens(fake: FakeSlack, distributed: Distributed) -> None:
    # Under two hours left: Bolt refreshes before using the token.
    fake.enable_token_rotation(lifetime=60.0)
    fake.next_install("T0SECOND", user_id="U0BOSS")
    distributed.install()
    first = fake.installation("T0SECOND")
    assert first is not None
    used = command_opens_a_modal(fake, distributed, "U0SECOND", "T0SECOND")
    assert fake.token_refreshes == 1
    assert used != first.bot_token
    latest = fake.installation("T0SECOND")
    assert latest is not None
    assert used == latest.bot_token


def test_bolt_forgets_an_uninstalled_workspace(fake: FakeSlack, distributed: Distributed) -> None:
    fake.next_install("T0SECOND", user_id="U0BOSS")
    distributed.install()
    distributed.install()
    fake.next_install("T0GA", org_wide=True)
    distributed.install()
    answers = fake.uninstall(distributed.url + "/slack/events", team_id="T0SECOND")
    assert [a.status for a in answers] == [200, 200]
    store = distributed.store
    assert store.find_installation(enterprise_id=None, team_id="T0SECOND") is None
    assert store.find_installation(enterprise_id=None, team_id="T0LENSPIN") is not None
    fake.uninstall(distributed.url + "/slack/events", enterprise_id="E0G")
    assert (
        store.find_installation(enterprise_id="E0G", team_id=None, is_enterprise_install=True)
        is None
    )
    command_opens_a_modal(fake, distributed, "U0HOME", None)
