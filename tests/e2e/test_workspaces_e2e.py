"""End to end, serving several workspaces (issue 14): lenspin as the Procfile starts it, with
SLACK_CLIENT_ID/SECRET instead of SLACK_BOT_TOKEN, installed by "Add to Slack" in the
stand-in Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import texts
from bot.check import NAMED_INSTALLS
from bot.slack import ids
from bot.texts import admin as admin_words
from bot.texts import install as install_words
from devtools.fake_slack import TOKEN_LIFETIME
from tests.support import DATABASE_KINDS, database_dump, run_bot
from tests.support.connect_page import Page
from tests.support.workspaces_e2e import (
    World,
    assert_no_secret_in,
    expire_state,
    install,
    new_enterprise_id,
    new_shop,
    note_tokens,
    rows,
    serving_several,
    wait_until,
)
from tests.support.workspaces_slack import (
    ask_form,
    buttons_of,
    click,
    connect_link,
    connect_own_account,
    get_pin,
    open_home,
    open_settings,
    opened_with,
    pin_calls,
    save_settings,
    settings_values,
)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def w(request: pytest.FixtureRequest) -> Iterator[World]:
    with serving_several(request.param) as world:
        yield world


def test_two_workspaces_install_and_each_gets_pins_with_its_own_code_and_allowlist(
    w: World,
) -> None:
    alpha, beta = new_shop(w, "Alpha Shop"), new_shop(w, "Beta Shop")
    for shop in (alpha, beta):
        run = install(w, shop.team_id, user_id=shop.admin)
        page = Page.of(run.landed)
        assert page.status == 200
        assert page.by_id["message"] == install_words.INSTALLED.format(name=shop.name)
    kept = {r["team_id"]: r for r in rows(w, "lenspin_installations")}
    for shop in (alpha, beta):
        record = w.slack.installation(shop.team_id)
        assert record is not None
        assert record.installed
        row = kept[shop.team_id]
        assert (row["team_name"], row["installer_user_id"]) == (shop.name, shop.admin)
        assert row["bot_user_id"] == record.bot_user_id
    # Nobody may use anything yet: a new install shares no code.
    w.slack.send_command(w.web.events_url, user_id=alpha.tech, team_id=alpha.team_id, text="Zed")
    told = w.slack.wait_for_message(alpha.tech)
    assert told["text"].startswith(texts.NEEDS_CONNECT)

    # Each workspace's admin sets its own code and allowlist, in the Admin modal.
    save_settings(w, alpha.admin, alpha.team_id, users=[alpha.tech], code=alpha.code)
    save_settings(
        w,
        beta.admin,
        beta.team_id,
        users=[beta.tech],
        code=beta.code,
        sso_company="4242",
        sso_password="beta sso <secret> & more",
    )
    get_pin(w, alpha.tech, alpha.team_id, "Ann Alpha")
    get_pin(w, beta.tech, beta.team_id, "Bob Beta")
    (alpha_call,) = pin_calls(w, alpha.code)
    (beta_call,) = pin_calls(w, beta.code)
    assert (alpha_call["sCField0"], beta_call["sCField0"]) == ("Ann Alpha", "Bob Beta")

    # Alpha's allowlist is Alpha's own choice: its other technician is on it nowhere.
    w.slack.send_command(
        w.web.events_url, user_id=alpha.outsider, team_id=alpha.team_id, text="Nope"
    )
    assert w.slack.wait_for_message(alpha.outsider)["text"].startswith(texts.NEEDS_CONNECT)
    assert len(pin_calls(w, alpha.code)) == 1

    # Each change is audited: who, when, what; the secrets' names only.
    changes = {r["team_id"]: r for r in rows(w, "lenspin_settings_changes")}
    for shop in (alpha, beta):
        change = changes[shop.team_id]
        assert (change["changed_by_team_id"], change["changed_by_user_id"]) == (
            shop.team_id,
            shop.admin,
        )
        assert change["changed_at"] is not None
        assert {"allowed_users", "shared_code"} <= set(json.loads(change["changed"]))
    assert "sso_password" in json.loads(changes[beta.team_id]["changed"])
    assert json.loads(changes[beta.team_id]["changed_values"])["sso_company_id"] == "4242"
    dump = database_dump(w.database_url)
    for secret in (alpha.code, beta.code, "beta sso <secret> & more", *w.secrets["bot token"]):
        assert secret not in dump


def test_an_admin_changes_a_setting_in_one_workspace_and_the_other_is_untouched(
    w: World,
) -> None:
    alpha, beta = new_shop(w, "Gamma Shop"), new_shop(w, "Delta Shop")
    for shop in (alpha, beta):
        install(w, shop.team_id, user_id=shop.admin)
        save_settings(w, shop.admin, shop.team_id, users=[shop.tech], code=shop.code)
    before = rows(w, "lenspin_workspace_settings", team_id=beta.team_id)
    save_settings(w, alpha.admin, alpha.team_id, language="de", labels={"name": "Kundenname"})
    assert rows(w, "lenspin_workspace_settings", team_id=beta.team_id) == before
    # Alpha's form and instructions follow Alpha's settings; Beta's stay the deployment's.
    name_block = ids.field_block("name")
    for shop, label in ((alpha, "Kundenname"), (beta, "Customer name")):
        form = ask_form(w, shop.tech, shop.team_id, "Someone").form
        (name_input,) = [b for b in form["blocks"] if b.get("block_id") == name_block]
        assert name_input["label"]["text"] == label
    german, english = (texts.CUSTOMER_STEPS[lang].split("\n")[0] for lang in ("de", "en"))
    alpha_pin = get_pin(w, alpha.tech, alpha.team_id, "Gina")
    beta_pin = get_pin(w, beta.tech, beta.team_id, "Dora")
    assert german in str(alpha_pin["blocks"])
    assert english not in str(alpha_pin["blocks"])
    assert english in str(beta_pin["blocks"])
    assert german not in str(beta_pin["blocks"])
    home = open_home(w, beta.admin, beta.team_id)
    assert admin_words.LABELS_DEFAULT in str(home)
    assert "Kundenname" not in str(home)
    assert "Kundenname" in str(open_home(w, alpha.admin, alpha.team_id))


def test_a_non_admin_sees_no_admin_section_and_cannot_open_or_save_it(w: World) -> None:
    shop = new_shop(w, "Epsilon Shop")
    install(w, shop.team_id, user_id=shop.admin)
    home = open_home(w, shop.tech, shop.team_id)
    assert ids.ADMIN_OPEN_ACTION not in buttons_of(home)
    assert admin_words.HEADING not in [b.get("text", {}).get("text") for b in home["blocks"]]
    assert ids.ADMIN_OPEN_ACTION in buttons_of(open_home(w, shop.admin, shop.team_id))
    # Clicking the Admin button anyway (a forged action) opens a refusal, not the settings.
    admin_home = open_home(w, shop.admin, shop.team_id)
    answer, trigger, _ = click(
        w, user=shop.tech, team_id=shop.team_id, action_id=ids.ADMIN_OPEN_ACTION, view=admin_home
    )
    assert answer.status == 200
    refused = opened_with(w, trigger)
    assert refused["title"]["text"] == admin_words.NOT_ADMIN_TITLE
    assert admin_words.NOT_ADMIN in str(refused)
    # Nor does submitting the admin's own modal as someone else change anything.
    modal = open_settings(w, shop.admin, shop.team_id)
    values = settings_values(users=[shop.tech, shop.outsider], code=shop.code)
    answer = w.slack.submit_view(
        w.web.events_url, modal, user_id=shop.tech, team_id=shop.team_id, values=values
    )
    assert answer.json()["view"]["title"]["text"] == admin_words.NOT_ADMIN_TITLE
    assert rows(w, "lenspin_workspace_settings", team_id=shop.team_id) == []
    assert rows(w, "lenspin_settings_changes", team_id=shop.team_id) == []


def test_an_org_wide_install_serves_every_team_of_the_org_keeping_enterprise_team_and_user(
    w: World,
) -> None:
    org = new_enterprise_id()
    hq = new_shop(w, "Grid HQ", enterprise_id=org, enterprise_name="Grid Org")
    branch = new_shop(w, "Grid Branch", enterprise_id=org, enterprise_name="Grid Org")
    run = install(w, hq.team_id, user_id=hq.admin, org_wide=True)
    assert Page.of(run.landed).by_id["message"] == install_words.INSTALLED.format(name="Grid Org")
    (kept,) = rows(w, "lenspin_installations", enterprise_id=org)
    assert (kept["team_id"], kept["enterprise_name"]) == ("", "Grid Org")
    # The org's admin sets the org's settings; a technician of another team of it gets PINs.
    save_settings(w, hq.admin, hq.team_id, users=[branch.tech], code=branch.code)
    get_pin(w, branch.tech, branch.team_id, "Olga Org")
    assert [c["sCField0"] for c in pin_calls(w, branch.code)] == ["Olga Org"]
    (audit,) = rows(w, "lenspin_audit", user_id=branch.tech)
    assert (audit["enterprise_id"], audit["team_id"]) == (org, branch.team_id)
    (watch,) = wait_until(lambda: rows(w, "lenspin_watches", user_id=branch.tech))
    assert (watch["enterprise_id"], watch["team_id"]) == (org, branch.team_id)
    (settings,) = rows(w, "lenspin_workspace_settings", enterprise_id=org)
    assert settings["team_id"] == ""
    (change,) = rows(w, "lenspin_settings_changes", enterprise_id=org)
    assert (change["team_id"], change["changed_by_enterprise_id"]) == ("", org)
    assert (change["changed_by_team_id"], change["changed_by_user_id"]) == (hq.team_id, hq.admin)
    # Uninstalled from the org: every team's people are forgotten, their audit rows stay.
    answers = w.slack.uninstall(w.web.events_url, enterprise_id=org)
    assert [a.status for a in answers] == [200, 200]
    wait_until(lambda: not rows(w, "lenspin_installations", enterprise_id=org))
    assert rows(w, "lenspin_workspace_settings", enterprise_id=org) == []
    assert rows(w, "lenspin_watches", enterprise_id=org) == []
    assert rows(w, "lenspin_audit", user_id=branch.tech) == [audit]


def test_a_replayed_redirect_saves_nothing_more(w: World) -> None:
    shop = new_shop(w, "Replay Shop")
    run = install(w, shop.team_id, user_id=shop.admin)
    assert run.landed.status_code == 200
    exchanges = len(w.slack.calls_to("oauth.v2.access"))
    kept = rows(w, "lenspin_installations", team_id=shop.team_id)
    again = Page.of(run.again())
    assert again.status >= 400
    assert again.by_id["message"] == install_words.STATE_EXPIRED
    assert len(w.slack.calls_to("oauth.v2.access")) == exchanges
    assert rows(w, "lenspin_installations", team_id=shop.team_id) == kept


def test_an_expired_state_installs_nothing(w: World) -> None:
    shop = new_shop(w, "Late Shop")

    def expire(state: str) -> None:
        expire_state(w, state)

    run = install(w, shop.team_id, user_id=shop.admin, meanwhile=expire)
    page = Page.of(run.landed)
    assert page.status >= 400
    assert page.by_id["message"] == install_words.STATE_EXPIRED
    assert rows(w, "lenspin_installations", team_id=shop.team_id) == []
    assert w.slack.installation(shop.team_id) is None  # the code was never exchanged


def test_an_install_cancelled_in_slack_shows_the_failure_page(w: World) -> None:
    shop = new_shop(w, "Shy Shop")
    run = install(w, shop.team_id, user_id=shop.admin, deny=True)
    page = Page.of(run.landed)
    assert page.by_id["message"] == install_words.DENIED
    assert w.slack.authorize_requests[-1].outcome == "access_denied"
    assert rows(w, "lenspin_installations", team_id=shop.team_id) == []


def test_a_rotating_token_is_refreshed_through_slack_past_its_expiry(w: World) -> None:
    shop = new_shop(w, "Rotor Shop")
    # Under the two hours before expiry when lenspin refreshes: each use refreshes first.
    w.slack.enable_token_rotation(lifetime=60.0)
    try:
        install(w, shop.team_id, user_id=shop.admin)
    finally:
        w.slack.enable_token_rotation(TOKEN_LIFETIME)
    first = w.slack.installation(shop.team_id)
    assert first is not None
    assert first.refresh_token
    (row,) = rows(w, "lenspin_installations", team_id=shop.team_id)
    assert row["bot_token_expires_at"] is not None
    assert row["bot_refresh_token_encrypted"]
    w.slack.expire_token(first.bot_token)
    refreshes, started = w.slack.token_refreshes, time.monotonic()

    save_settings(w, shop.admin, shop.team_id, users=[shop.tech], code=shop.code)
    get_pin(w, shop.tech, shop.team_id, "Rita Rotor")
    note_tokens(w)
    assert w.slack.token_refreshes > refreshes
    now = w.slack.installation(shop.team_id)
    assert now is not None
    assert now.bot_token != first.bot_token
    assert w.slack.token_status(now.bot_token) == "ok"
    assert w.slack.token_status(first.bot_token) == "token_expired"
    # Every call for the workspace since went with a fresh token, none with the expired one.
    used = [c for c in w.slack.calls if c.received_at >= started and c.token in now.tokens]
    assert used
    assert all(c.error is None and c.token != first.bot_token for c in used)


def test_uninstalling_one_workspace_forgets_it_at_once_and_the_other_keeps_working(
    w: World,
) -> None:
    gone, stays = new_shop(w, "Leaving Shop"), new_shop(w, "Staying Shop")
    for shop in (gone, stays):
        install(w, shop.team_id, user_id=shop.admin)
        save_settings(w, shop.admin, shop.team_id, users=[shop.tech], code=shop.code)
        get_pin(w, shop.tech, shop.team_id, f"Pat {shop.name}")
        connect_own_account(w, shop.outsider, shop.team_id)
        # A link asked for and never used.
        connect_link(w, shop.admin, shop.team_id)
    tables = (
        "lenspin_installations",
        "lenspin_workspace_settings",
        "lenspin_links",
        "lenspin_connect_links",
        "lenspin_watches",
    )
    for shop in (gone, stays):
        # The PIN is followed from its own threads: its watch is kept a moment after delivery.
        wait_until(lambda shop=shop: rows(w, "lenspin_watches", team_id=shop.team_id))
        assert all(rows(w, table, team_id=shop.team_id) for table in tables)
    # The other's rows, by how many (watches and audit rows change as the sessions are followed).
    kept = {t: len(rows(w, t, team_id=stays.team_id)) for t in (*tables, "lenspin_audit")}
    audit = rows(w, "lenspin_audit", team_id=gone.team_id)
    assert audit

    answers = w.slack.uninstall(w.web.events_url, team_id=gone.team_id)
    assert [a.status for a in answers] == [200, 200]
    wait_until(lambda: not rows(w, "lenspin_installations", team_id=gone.team_id))
    # Everything else of it went in the same transaction; its audit rows stay for retention.
    assert {t: rows(w, t, team_id=gone.team_id) for t in tables} == {t: [] for t in tables}
    assert rows(w, "lenspin_audit", team_id=gone.team_id) == audit
    assert {t: len(rows(w, t, team_id=stays.team_id)) for t in kept} == kept

    _, trigger, _ = w.slack.send_command(
        w.web.events_url, user_id=gone.tech, team_id=gone.team_id, text="Gus"
    )
    # Bolt's answer in a workspace lenspin no longer serves, before any listener: no form.
    w.slack.wait_for_message(
        gone.tech, predicate=lambda m: m["text"] == install_words.NOT_INSTALLED
    )
    assert [c for c in w.slack.calls_to("views.open") if c.args["trigger_id"] == trigger] == []
    get_pin(w, stays.tech, stays.team_id, "Sam Stays")
    assert len(pin_calls(w, stays.code)) == 2
    assert len(pin_calls(w, gone.code)) == 1
    # Installed again, it starts afresh: no settings, nobody on an allowlist.
    install(w, gone.team_id, user_id=gone.admin)
    w.slack.send_command(w.web.events_url, user_id=gone.tech, team_id=gone.team_id, text="Again")
    told = w.slack.wait_for_message(gone.tech, predicate=lambda m: texts.NEEDS_CONNECT in m["text"])
    assert told["text"].startswith(texts.NEEDS_CONNECT)
    assert len(pin_calls(w, gone.code)) == 1


def test_check_lists_the_installed_workspaces(w: World, tmp_path: Path) -> None:
    shop = new_shop(w, "Checked Shop")
    install(w, shop.team_id, user_id=shop.admin)
    result = run_bot(["check"], tmp_path, w.env)
    assert result.returncode == 0, result.stdout + result.stderr
    installs = sorted(rows(w, "lenspin_installations"), key=lambda r: r["installed_at"])
    line = next(x for x in result.stdout.splitlines() if "Installed in" in x)
    assert re.search(rf"\bInstalled in {len(installs)} workspaces?: ", line), line
    for row in installs[:NAMED_INSTALLS]:
        assert (row["team_name"] or row["enterprise_name"]) in line
    assert w.slack.client_secret not in result.stdout + result.stderr


def test_the_whole_run_logged_at_debug_holds_no_secret(w: World) -> None:
    # Run alone, this test still has a workspace's secrets to look for.
    shop = new_shop(w, "Quiet Shop")
    install(w, shop.team_id, user_id=shop.admin)
    save_settings(
        w,
        shop.admin,
        shop.team_id,
        users=[shop.tech],
        code=shop.code,
        sso_company="77",
        sso_password="quiet sso password",
    )
    get_pin(w, shop.tech, shop.team_id, "Quentin")
    note_tokens(w)
    logs = w.web.output()
    assert " DEBUG " in logs
    assert_no_secret_in(w, logs, database_dump(w.database_url))
