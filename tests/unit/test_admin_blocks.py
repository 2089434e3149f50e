"""The Admin section, the settings modal and its reading: words, no secret shown, Slack's limits.

Fed the longest and most-escaping settings a workspace can save, every view passes the
stand-in Slack's checks; the modal submitted as it opens gives back the settings it showed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import texts
from bot.domain import Policy, PolicyChange, Requester, Workspace
from bot.env import LABEL_LIMIT
from bot.fields import NAME, PIN_FIELDS, TRACKING
from bot.slack import ids
from bot.slack.blocks.admin import admin_errors, admin_modal, admin_section
from bot.slack.blocks.home import home
from bot.slack.blocks.modals import pin_modal_for
from bot.slack.forms import read_admin_form
from bot.texts import admin as words
from bot.workspaces import POLICY_SETTINGS, Problem, label_setting
from devtools.fake_slack import home_view_errors, view_errors
from devtools.fake_slack.views import state_values
from tests.support import settings_for

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KINDS = {
    "escaping": lambda n: ("&<>" * n)[:n],
    "ampersands": lambda n: "&" * n,
    "emoji": lambda n: "\U0001f600" * n,
    "cjk": lambda n: "\u4e2d\u6587" * (n // 2),
}
# Every PIN field's label at the deployment's longest too (LENSPIN_LABEL_*).
SETTINGS = settings_for(
    **{f"LENSPIN_LABEL_{f.setting}": "&" * LABEL_LIMIT for f in PIN_FIELDS},
    LENSPIN_AUDIT_DAYS="365",
)
SECRETS = ("shared-secret-code", "sso-secret-password")


def fullest(kind: str) -> Policy:
    """What a workspace may save at most: hundreds of people, every label its longest."""
    return Policy(
        allowed_users=frozenset(f"W{i:010d}" for i in range(500)),
        shared_code=SECRETS[0],
        sso_company_id="9" * 20,
        sso_password=SECRETS[1],
        labels={f.key: KINDS[kind](LABEL_LIMIT) for f in PIN_FIELDS},
        customer_language="es",
        audit_days=365,
    )


def changes(count: int = 20) -> list[PolicyChange]:
    return [
        PolicyChange(
            workspace=Workspace(team_id="T1"),
            changed_by=Requester(team_id="T1", user_id="W" + "9" * 20),
            changed_at=NOW - timedelta(hours=i),
            changed=POLICY_SETTINGS,
            values={
                "allowed_users": ",".join(f"W{n:010d}" for n in range(500)),
                "sso_company_id": "9" * 20,
                "labels": "; ".join(f"{f.key}={'&' * LABEL_LIMIT}" for f in PIN_FIELDS),
                "customer_language": "es",
                "audit_days": "365",
            },
        )
        for i in range(count)
    ]


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


@pytest.mark.parametrize("kind", KINDS)
def test_the_fullest_admin_section_fits_a_home_tab_and_shows_no_secret(kind: str) -> None:
    section = admin_section(fullest(kind), changes(), fields=SETTINGS.fields)
    view = home("status", connected=True, can_connect=True, history=[], admin=section)
    assert home_view_errors(view) == []
    text = shown(view)
    assert not any(secret in text for secret in SECRETS)
    assert words.CODE_SET in text
    assert words.SSO_ON.format(company="9" * 20, password=words.SECRET_SET) in text
    assert "and 470 more" in text
    assert [e["action_id"] for b in section if b["type"] == "actions" for e in b["elements"]] == [
        ids.ADMIN_OPEN_ACTION
    ]


def test_the_section_says_a_new_workspaces_settings_plainly() -> None:
    section = admin_section(Policy(audit_days=90), [], fields=SETTINGS.fields)
    text = shown({"blocks": section})
    for said in (
        words.USERS_NOBODY,
        words.CODE_NOT_SET,
        words.SSO_OFF,
        words.LABELS_DEFAULT,
        words.CHANGES_NONE,
        words.AUDIT_DAYS.format(days=90),
        words.LANGUAGE.format(language="English"),
    ):
        assert json.dumps(said, ensure_ascii=False)[1:-1] in text


def test_a_change_line_says_who_when_and_what_never_a_secret_value() -> None:
    change = PolicyChange(
        workspace=Workspace(team_id="T1"),
        changed_by=Requester(team_id="T1", user_id="UADMIN"),
        changed_at=NOW,
        changed=("allowed_users", "shared_code", "customer_language"),
        values={"allowed_users": "*", "customer_language": "de"},
    )
    text = shown({"blocks": admin_section(Policy(), [change], fields=SETTINGS.fields)})
    assert "<@UADMIN> changed who may use the shared code (everyone), the shared code, " in text
    assert "the customer's language (Deutsch)" in text
    assert f"<!date^{int(NOW.timestamp())}^" in text


@pytest.mark.parametrize("kind", KINDS)
def test_the_fullest_settings_modal_is_accepted_and_shows_no_secret(kind: str) -> None:
    view = admin_modal(
        fullest(kind),
        fields=SETTINGS.visible_fields,
        max_audit_days=365,
        label_limit=LABEL_LIMIT,
    )
    assert view_errors(view) == []
    assert not any(secret in shown(view) for secret in SECRETS)
    assert view["callback_id"] == ids.ADMIN_MODAL
    assert "private_metadata" not in view


@pytest.mark.parametrize("kind", KINDS)
def test_the_modal_submitted_as_it_opened_gives_back_the_same_settings(kind: str) -> None:
    policy = fullest(kind)
    view = admin_modal(
        policy, fields=SETTINGS.visible_fields, max_audit_days=365, label_limit=LABEL_LIMIT
    )
    new, errors = read_admin_form(state_values(view["blocks"], {}), policy, SETTINGS.fields)
    assert errors == {}
    # A label the same as the deployment's (all "&" here) is the deployment's, not the workspace's.
    deployment = {f.key: f.label for f in SETTINGS.fields}
    own = {key: label for key, label in policy.labels.items() if label != deployment[key]}
    assert new == replace(policy, labels=own)


@pytest.mark.parametrize("kind", KINDS)
def test_the_pin_form_takes_the_workspaces_longest_labels(kind: str) -> None:
    policy = fullest(kind)
    view = pin_modal_for(SETTINGS, policy)
    assert view_errors(view) == []
    labels = {b["block_id"]: b["label"]["text"] for b in view["blocks"] if b["type"] == "input"}
    assert labels[ids.field_block(NAME)] == policy.labels[NAME]


def values(**by_block: Any) -> dict[str, Any]:
    """A submission's state: the modal's initial values, with these by block id instead."""
    view = admin_modal(
        Policy(shared_code="old-code", sso_company_id="12", sso_password="old-pw", audit_days=9),
        fields=SETTINGS.visible_fields,
        max_audit_days=30,
        label_limit=LABEL_LIMIT,
    )
    return state_values(view["blocks"], by_block)


CURRENT = Policy(shared_code="old-code", sso_company_id="12", sso_password="old-pw", audit_days=9)


def test_empty_secrets_keep_theirs_typed_ones_replace_them() -> None:
    kept, _ = read_admin_form(values(), CURRENT, SETTINGS.fields)
    assert kept is not None
    assert (kept.shared_code, kept.sso_password) == ("old-code", "old-pw")
    new, _ = read_admin_form(
        values(**{ids.ADMIN_CODE_BLOCK: " new-code\n", ids.ADMIN_SSO_PASSWORD_BLOCK: "new-pw"}),
        CURRENT,
        SETTINGS.fields,
    )
    assert new is not None
    assert (new.shared_code, new.sso_password) == ("new-code", "new-pw")


def test_the_shared_code_is_removed_only_by_ticking_the_box() -> None:
    forget = {ids.ADMIN_CODE_FORGET_BLOCK: [ids.ADMIN_CODE_FORGET_OPTION]}
    gone, _ = read_admin_form(values(**forget), CURRENT, SETTINGS.fields)
    assert gone is not None
    assert gone.shared_code == ""
    both = {**forget, ids.ADMIN_CODE_BLOCK: "new-code"}
    assert read_admin_form(values(**both), CURRENT, SETTINGS.fields) == (
        None,
        {ids.ADMIN_CODE_BLOCK: words.FORGET_AND_REPLACE},
    )


def test_emptying_the_company_turns_single_sign_on_off_password_and_all() -> None:
    off, _ = read_admin_form(values(**{ids.ADMIN_SSO_COMPANY_BLOCK: ""}), CURRENT, SETTINGS.fields)
    assert off is not None
    assert (off.sso_company_id, off.sso_password) == ("", "")


def test_everyone_or_the_people_chosen() -> None:
    everyone = {ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_EVERYONE}
    policy, _ = read_admin_form(values(**everyone), CURRENT, SETTINGS.fields)
    assert policy is not None
    assert policy.allowed_users == frozenset({"*"})
    chosen = {
        ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_CHOSEN,
        ids.ADMIN_USERS_BLOCK: ["U1AAA", "W2BBB"],
    }
    policy, _ = read_admin_form(values(**chosen), CURRENT, SETTINGS.fields)
    assert policy is not None
    assert policy.allowed_users == frozenset({"U1AAA", "W2BBB"})


@pytest.mark.parametrize(
    "forged",
    [
        {ids.ADMIN_USERS_MODE_BLOCK: "someone-else"},
        {ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_CHOSEN, ids.ADMIN_USERS_BLOCK: ["*"]},
    ],
)
def test_a_forged_allowlist_choice_is_refused(forged: dict[str, Any]) -> None:
    policy, errors = read_admin_form(values(**forged), CURRENT, SETTINGS.fields)
    assert policy is None
    assert errors


def test_a_label_equal_to_the_deployments_or_empty_is_no_label_of_the_workspaces() -> None:
    deployment = next(f.label for f in SETTINGS.fields if f.key == TRACKING)
    by_block = {ids.admin_label_block(NAME): "", ids.admin_label_block(TRACKING): deployment}
    policy, _ = read_admin_form(values(**by_block), CURRENT, SETTINGS.fields)
    assert policy is not None
    assert dict(policy.labels) == {}


@pytest.mark.parametrize("days", ["", "abc", "1e3", "-5", "9" * 30, "²"])
def test_days_that_are_no_number_are_none(days: str) -> None:
    policy, _ = read_admin_form(
        values(**{ids.ADMIN_AUDIT_DAYS_BLOCK: days}), CURRENT, SETTINGS.fields
    )
    assert policy is not None
    assert policy.audit_days == 0


def test_every_problem_shows_on_an_input_of_the_modal_in_words() -> None:
    view = admin_modal(CURRENT, fields=SETTINGS.visible_fields, max_audit_days=30, label_limit=150)
    blocks = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    problems = {
        "allowed_users": Problem.NOT_USER_IDS,
        "shared_code": Problem.CODE_UNUSABLE,
        "sso_company_id": Problem.COMPANY_NOT_NUMBER,
        "sso_password": Problem.SSO_NEEDS_PASSWORD,
        label_setting(NAME): Problem.LABEL_TOO_LONG,
        "labels": Problem.UNKNOWN_FIELD,
        "customer_language": Problem.UNKNOWN_LANGUAGE,
        "audit_days": Problem.AUDIT_DAYS,
    }
    errors = admin_errors(
        problems, fields=SETTINGS.visible_fields, max_audit_days=30, label_limit=150
    )
    assert set(errors) <= blocks
    assert errors[ids.ADMIN_AUDIT_DAYS_BLOCK] == words.AUDIT_DAYS_RANGE.format(most=30)
    assert errors[ids.admin_label_block(NAME)] == words.LABEL_TOO_LONG.format(limit=150)
    assert len(errors) == len(problems)
    assert all(text and "{" not in text for text in errors.values())
    assert view["close"]["text"] == texts.MODAL_CLOSE
