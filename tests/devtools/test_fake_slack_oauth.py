"""The fake Slack installs the app like Slack: OAuth v2, token rotation, uninstall events."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from devtools.fake_slack import BOT_USER_ID, DEFAULT_CLIENT_SECRET, FakeSlack
from tests.devtools.fake_slack_support import (
    REDIRECT,
    SCOPES,
    AppSink,
    authorize,
    error_of,
    install,
    redirected,
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        running.add_workspace("T0SECOND", name="Second Shop")
        running.add_workspace(
            "T0GRIDA", name="Grid A", enterprise_id="E0GRID", enterprise_name="Grid"
        )
        running.add_workspace(
            "T0GRIDB", name="Grid B", enterprise_id="E0GRID", enterprise_name="Grid"
        )
        yield running


def exchange(fake: FakeSlack, **args: Any) -> Any:
    return WebClient(base_url=fake.api_url).oauth_v2_access(**args)


# --- the authorize page --------------------------------------------------------------------------


def test_authorize_redirects_with_a_code_and_the_state_verbatim(fake: FakeSlack) -> None:
    state = "a b/c?d=e&f+g%"
    query = redirected(authorize(fake, state=state, team="T0SECOND"))
    assert query["state"] == state
    assert query["code"]
    [visit] = fake.authorize_requests
    assert visit.scopes == tuple(SCOPES.split(","))
    assert (visit.state, visit.redirect_uri, visit.team, visit.outcome) == (
        state,
        REDIRECT,
        "T0SECOND",
        "approved",
    )


def test_authorize_refuses_an_unknown_client_with_a_page(fake: FakeSlack) -> None:
    response = authorize(fake, client_id="9999.9999")
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "invalid_client_id" in response.text
    no_redirect = requests.get(
        fake.authorize_url,
        params={"client_id": fake.client_id, "scope": SCOPES},
        allow_redirects=False,
        timeout=5,
    )
    assert no_redirect.status_code == 400
    assert [v.outcome for v in fake.authorize_requests] == ["invalid_client_id", "bad_redirect_uri"]


def test_a_denied_install_redirects_with_access_denied(fake: FakeSlack) -> None:
    fake.deny_next_install()
    query = redirected(authorize(fake, state="s-9"))
    assert query == {"error": "access_denied", "state": "s-9"}
    assert fake.installations == []
    # The script is used up: the next visit is approved.
    assert "code" in redirected(authorize(fake))


# --- oauth.v2.access -----------------------------------------------------------------------------


def test_the_code_exchange_answers_like_slack(fake: FakeSlack) -> None:
    done = install(fake)
    answer = done.answer
    assert answer["ok"] is True
    assert answer["access_token"].startswith("xoxb-")
    assert answer["access_token"] != fake.bot_token
    assert (answer["token_type"], answer["scope"], answer["app_id"]) == ("bot", SCOPES, "A0LENSPIN")
    assert answer["bot_user_id"] == BOT_USER_ID  # the default workspace keeps the fake's bot
    assert answer["team"] == {"id": "T0LENSPIN", "name": "Lenspin Test & Co"}
    assert (answer["enterprise"], answer["is_enterprise_install"]) == (None, False)
    assert answer["authed_user"] == {"id": fake.default_installer()}
    assert "refresh_token" not in answer
    # slack_sdk sends the client credentials with HTTP Basic auth, and the fake took them.
    call = fake.wait_for_call("oauth.v2.access")
    assert call.headers["Authorization"].startswith("Basic ")
    assert DEFAULT_CLIENT_SECRET not in repr(call)
    assert done.code not in repr(call)
    tested = WebClient(token=answer["access_token"], base_url=fake.api_url).auth_test()
    assert (tested["team_id"], tested["user_id"]) == ("T0LENSPIN", BOT_USER_ID)
    installer = WebClient(token=answer["access_token"], base_url=fake.api_url).users_info(
        user=fake.default_installer()
    )["user"]
    assert installer["is_admin"] is True


def test_codes_are_single_use(fake: FakeSlack) -> None:
    done = install(fake)
    again = {"client_id": fake.client_id, "client_secret": fake.client_secret, "code": done.code}
    assert error_of(lambda: exchange(fake, **again)) == "invalid_code"
    assert error_of(lambda: exchange(fake, **{**again, "code": "1.2.made-up"})) == "invalid_code"


def test_the_client_credentials_and_redirect_uri_are_checked(fake: FakeSlack) -> None:
    code = redirected(authorize(fake))["code"]
    args = {"client_id": fake.client_id, "client_secret": fake.client_secret, "code": code}
    assert error_of(lambda: exchange(fake, **{**args, "client_id": "1.1"})) == "invalid_client_id"
    assert error_of(lambda: exchange(fake, **{**args, "client_secret": "x"})) == "bad_client_secret"
    wrong_uri = {**args, "redirect_uri": "http://127.0.0.1:9/elsewhere"}
    assert error_of(lambda: exchange(fake, **wrong_uri)) == "bad_redirect_uri"
    # None of these used the code up; credentials as form fields work too.
    form = WebClient(base_url=fake.api_url).api_call("oauth.v2.access", data=args)
    assert form["ok"] is True
    assert "Authorization" not in fake.calls_to("oauth.v2.access")[-1].headers


def test_codes_expire() -> None:
    with FakeSlack(code_ttl=0.05) as fake:
        code = redirected(authorize(fake))["code"]
        deadline = time.monotonic() + fake.workspace.code_ttl
        pause = threading.Event()
        while (left := deadline - time.monotonic()) >= 0:
            pause.wait(left + 0.001)
        args = {"client_id": fake.client_id, "client_secret": fake.client_secret, "code": code}
        assert error_of(lambda: exchange(fake, **args)) == "invalid_code"


def test_installs_in_several_workspaces_and_reinstalls(fake: FakeSlack) -> None:
    fake.add_user("U0BOSS2", team_id="T0SECOND", admin=True)
    second = install(fake, "T0SECOND", user_id="U0BOSS2").answer
    assert second["team"] == {"id": "T0SECOND", "name": "Second Shop"}
    assert second["authed_user"] == {"id": "U0BOSS2"}
    assert second["bot_user_id"] != BOT_USER_ID
    first = install(fake).answer
    assert {(r.team_id, r.installer_user_id) for r in fake.installations} == {
        ("T0SECOND", "U0BOSS2"),
        ("T0LENSPIN", fake.default_installer()),
    }
    again = install(fake, "T0SECOND", user_id="U0BOSS2").answer
    assert again["access_token"] != second["access_token"]
    assert fake.token_status(second["access_token"]) == "ok"
    record = fake.installation("T0SECOND")
    assert record is not None
    assert record.tokens == (second["access_token"], again["access_token"])
    assert record.bot_token == again["access_token"]
    assert fake.installation("T0GRIDA") is None
    assert fake.token_status(first["access_token"]) == "ok"


def test_an_org_wide_install_acts_on_every_team_of_its_org(fake: FakeSlack) -> None:
    fake.add_user("U0GRIDADMIN", team_id="T0GRIDA", admin=True)
    answer = install(fake, "T0GRIDA", user_id="U0GRIDADMIN", org_wide=True).answer
    assert answer["team"] is None
    assert answer["enterprise"] == {"id": "E0GRID", "name": "Grid"}
    assert answer["is_enterprise_install"] is True
    client = WebClient(token=answer["access_token"], base_url=fake.api_url)
    tested = client.auth_test()
    assert (tested["enterprise_id"], tested["is_enterprise_install"]) == ("E0GRID", True)
    assert tested["user_id"] == answer["bot_user_id"]
    fake.add_user("U0INB", team_id="T0GRIDB")
    assert client.users_info(user="U0INB")["user"]["team_id"] == "T0GRIDB"
    assert client.users_info(user="U0GRIDADMIN")["user"]["enterprise_user"]["enterprise_id"] == (
        "E0GRID"
    )
    fake.add_user("U0OUTSIDER", team_id="T0SECOND")
    assert error_of(lambda: client.users_info(user="U0OUTSIDER")) == "user_not_found"
    assert error_of(lambda: client.users_info(user="U0NEVERSEEN")) == "user_not_found"
    record = fake.installation(enterprise_id="E0GRID")
    assert record is not None
    assert record.org_wide


def test_an_install_made_at_once_is_the_one_oauth_would_leave(fake: FakeSlack) -> None:
    fake.enable_token_rotation(lifetime=3600.0)
    record = fake.install("T0SECOND", scopes=SCOPES.split(","), user_id="U0BOSS2")
    assert fake.installation("T0SECOND") == record
    assert (record.installer_user_id, record.scopes) == ("U0BOSS2", tuple(SCOPES.split(",")))
    assert record.refresh_token.startswith("xoxe-1-")
    # Its token is of that workspace only, and rotates like one made through the authorize page.
    client = WebClient(token=record.bot_token, base_url=fake.api_url)
    tested = client.auth_test()
    assert (tested["team_id"], tested["user_id"]) == ("T0SECOND", record.bot_user_id)
    client_credentials = {"client_id": fake.client_id, "client_secret": fake.client_secret}
    refresh = {"grant_type": "refresh_token", "refresh_token": record.refresh_token}
    refreshed = exchange(fake, **client_credentials, **refresh)
    assert refreshed["team"]["id"] == "T0SECOND"
    org = fake.install("T0GRIDB", scopes=["commands"], org_wide=True)
    assert (org.enterprise_id, org.team_id, org.installer_user_id) == (
        "E0GRID",
        "",
        fake.default_installer("T0GRIDB"),
    )
    assert fake.installation(enterprise_id="E0GRID") == org
    with pytest.raises(ValueError, match="no enterprise"):
        fake.install("T0SECOND", scopes=["commands"], org_wide=True)
    # No authorize visit and no exchange were made for either.
    assert fake.authorize_requests == []
    assert fake.calls_to("oauth.v2.access")[0].args["grant_type"] == "refresh_token"


def test_an_org_wide_install_needs_an_org(fake: FakeSlack) -> None:
    with pytest.raises(ValueError, match="no enterprise"):
        fake.next_install("T0SECOND", user_id="U0X", org_wide=True)
    with pytest.raises(ValueError, match="no workspace"):
        fake.next_install("T0NOWHERE", user_id="U0X")


# --- token rotation ------------------------------------------------------------------------------


def test_rotation_refreshes_tokens_once_per_refresh_token(fake: FakeSlack) -> None:
    fake.enable_token_rotation(lifetime=3600.0)
    answer = install(fake, "T0SECOND").answer
    assert answer["access_token"].startswith("xoxe.xoxb-")
    assert answer["refresh_token"].startswith("xoxe-1-")
    assert answer["expires_in"] == 3600
    refresh = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": answer["refresh_token"],
    }
    refreshed = exchange(fake, **refresh)
    assert refreshed["access_token"] != answer["access_token"]
    assert refreshed["refresh_token"] != answer["refresh_token"]
    assert (refreshed["token_type"], refreshed["team"]["id"]) == ("bot", "T0SECOND")
    assert fake.token_refreshes == 1
    assert error_of(lambda: exchange(fake, **refresh)) == "invalid_refresh_token"
    assert error_of(lambda: exchange(fake, **{**refresh, "grant_type": "x"})) == (
        "invalid_grant_type"
    )
    record = fake.installation("T0SECOND")
    assert record is not None
    assert (record.bot_token, record.refresh_token) == (
        refreshed["access_token"],
        refreshed["refresh_token"],
    )
    assert fake.token_refreshes == 1


def test_expired_tokens_are_refused_and_slack_sdk_rotates_them(fake: FakeSlack) -> None:
    fake.enable_token_rotation()
    answer = install(fake, "T0SECOND").answer
    old = answer["access_token"]
    fake.expire_token(old)
    client = WebClient(token=old, base_url=fake.api_url)
    assert error_of(client.auth_test) == "token_expired"
    assert fake.token_status(old) == "token_expired"
    # slack_sdk's own rotator (what Bolt runs) refreshes through the fake.
    rotator = TokenRotator(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        client=WebClient(base_url=fake.api_url),
    )
    stored = Installation(
        user_id=answer["authed_user"]["id"],
        team_id="T0SECOND",
        bot_token=old,
        bot_refresh_token=answer["refresh_token"],
        bot_token_expires_in=answer["expires_in"],
    )
    rotated = rotator.perform_token_rotation(installation=stored, minutes_before_expiration=24 * 60)
    assert rotated is not None
    assert rotated.bot_token is not None
    assert WebClient(token=rotated.bot_token, base_url=fake.api_url).auth_test()["ok"] is True
    assert fake.token_refreshes == 1


# --- uninstall and events ------------------------------------------------------------------------


@pytest.fixture
def sink() -> Iterator[AppSink]:
    with AppSink() as running:
        yield running


def signed_events(fake: FakeSlack, sink: AppSink, count: int) -> list[dict[str, Any]]:
    """The events the app got, JSON and signed as Slack signs them."""
    assert all(r.headers["Content-Type"] == "application/json" for r in sink.wait_for(count))
    return sink.signed(fake.signing_secret, count)


def test_uninstall_revokes_the_tokens_and_sends_slacks_events(
    fake: FakeSlack, sink: AppSink
) -> None:
    second = install(fake, "T0SECOND").answer
    first = install(fake).answer
    responses = fake.uninstall(sink.url, team_id="T0SECOND")
    assert [r.status for r in responses] == [200, 200]
    uninstalled, revoked = signed_events(fake, sink, 2)
    assert uninstalled["event"]["type"] == "app_uninstalled"
    assert revoked["event"]["type"] == "tokens_revoked"
    assert revoked["event"]["tokens"] == {"oauth": [], "bot": [second["bot_user_id"]]}
    for body in (uninstalled, revoked):
        assert body["type"] == "event_callback"
        assert (body["team_id"], body["api_app_id"]) == ("T0SECOND", "A0LENSPIN")
        assert body["is_ext_shared_channel"] is False
        assert body["event_id"].startswith("Ev")
        assert body["authorizations"] == [
            {
                "enterprise_id": None,
                "team_id": "T0SECOND",
                "user_id": second["bot_user_id"],
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ]
    assert uninstalled["event_id"] != revoked["event_id"]
    client = WebClient(token=second["access_token"], base_url=fake.api_url)
    assert error_of(client.auth_test) == "token_revoked"
    record = fake.installation("T0SECOND")
    assert record is not None
    assert not record.installed
    assert [r.team_id for r in fake.installations] == ["T0LENSPIN"]
    # The other workspace keeps working, with its OAuth token and the configured one.
    assert WebClient(token=first["access_token"], base_url=fake.api_url).auth_test()["ok"]
    assert fake.token_status(fake.bot_token) == "ok"
    with pytest.raises(ValueError, match="not installed"):
        fake.uninstall(sink.url, team_id="T0SECOND")


def test_uninstalling_an_org_wide_install(fake: FakeSlack, sink: AppSink) -> None:
    answer = install(fake, "T0GRIDB", org_wide=True).answer
    fake.uninstall(sink.url, enterprise_id="E0GRID")
    uninstalled, _ = signed_events(fake, sink, 2)
    assert (uninstalled["team_id"], uninstalled["enterprise_id"]) == ("E0GRID", "E0GRID")
    [authorization] = uninstalled["authorizations"]
    assert authorization["team_id"] is None
    assert authorization["enterprise_id"] == "E0GRID"
    assert authorization["is_enterprise_install"] is True
    assert fake.token_status(answer["access_token"]) == "token_revoked"


def test_uninstalling_the_default_workspace_revokes_the_configured_token(
    fake: FakeSlack, sink: AppSink
) -> None:
    fake.uninstall(sink.url)
    _, revoked = signed_events(fake, sink, 2)
    assert revoked["event"]["tokens"]["bot"] == [BOT_USER_ID]
    assert error_of(WebClient(token=fake.bot_token, base_url=fake.api_url).auth_test) == (
        "token_revoked"
    )
    fake.reset()
    assert fake.token_status(fake.bot_token) == "ok"
    assert fake.workspaces == [fake.workspaces[0]]


def test_send_event_says_which_install_it_is_for(fake: FakeSlack, sink: AppSink) -> None:
    install(fake, "T0GRIDA", org_wide=True)
    fake.send_event(
        sink.url, {"type": "app_home_opened", "user": "U0GA", "tab": "home"}, team_id="T0GRIDB"
    )
    fake.send_event(sink.url, {"type": "app_home_opened", "user": "U0ME", "tab": "home"})
    in_grid, at_home = signed_events(fake, sink, 2)
    assert (in_grid["team_id"], in_grid["enterprise_id"]) == ("T0GRIDB", "E0GRID")
    assert in_grid["authorizations"][0]["team_id"] == "T0GRIDB"
    assert in_grid["authorizations"][0]["is_enterprise_install"] is True
    assert in_grid["event"]["user"] == "U0GA"
    assert "enterprise_id" not in at_home
    assert at_home["authorizations"][0]["user_id"] == BOT_USER_ID
