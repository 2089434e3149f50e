"""Policies: each request's workspace settings, checked in one place, changed with a record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain import Policy, Requester, Workspace
from bot.env import LABEL_LIMIT
from bot.fields import NAME, TRACKING
from bot.workspaces import (
    SECRET_SETTINGS,
    InvalidPolicy,
    NotEditable,
    Policies,
    Problem,
    label_setting,
)
from tests.support.doubles import MemoryWorkspaces, installation

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# The environment's settings: in single-workspace mode the only ones.
ENVIRONMENT = Policy(
    allowed_users=frozenset({"*"}),
    shared_code="operator-code",
    sso_company_id="42",
    sso_password="operator-sso",
    customer_language="de",
    audit_days=30,
)
ALPHA = Workspace(team_id="TALPHA")
BETA = Workspace(team_id="TBETA")
GRID = Workspace(enterprise_id="EGRID")
ADMIN = Requester(team_id="TALPHA", user_id="UADMIN")
GOOD = Policy(
    allowed_users=frozenset({"UTECH1", "WTECH2"}),
    shared_code="alpha-code",
    labels={NAME: "Caller"},
    customer_language="fr",
    audit_days=7,
)


def installed(*workspaces: Workspace) -> MemoryWorkspaces:
    """A WorkspaceStore holding installs of these workspaces, and nothing else."""
    store = MemoryWorkspaces()
    for workspace in workspaces:
        store.save_installation(installation(workspace, bot_token="xoxb-test"))
    return store


def multi(store: MemoryWorkspaces) -> Policies:
    return Policies(store, ENVIRONMENT, multi=True, clock=lambda: NOW)


def test_serving_one_workspace_the_environment_is_the_only_source() -> None:
    policies = Policies(None, ENVIRONMENT, multi=False)
    anyone = Requester(team_id="TANY", user_id="UANY", enterprise_id="EANY")
    assert policies.for_(anyone) is ENVIRONMENT
    assert policies.workspace_of(anyone) == Workspace("EANY", "TANY")
    assert policies.changes(anyone) == []
    assert policies.retentions() == []
    with pytest.raises(NotEditable):
        policies.change(anyone, GOOD)


def test_serving_several_needs_the_workspace_store() -> None:
    with pytest.raises(ValueError, match="WorkspaceStore"):
        Policies(None, ENVIRONMENT, multi=True)


def test_a_new_workspace_shares_nothing_of_the_operators() -> None:
    policies = multi(installed(ALPHA))
    fresh = policies.for_(ADMIN)
    assert fresh == Policy(
        allowed_users=frozenset(),
        shared_code="",
        sso_company_id="",
        sso_password="",
        customer_language="de",
        audit_days=30,
    )
    # A request from no install at all gets the same: nothing to use.
    assert policies.for_(Requester(team_id="TNONE", user_id="U1")) == fresh


def test_each_workspace_has_its_own_and_a_change_touches_no_other() -> None:
    store = installed(ALPHA, BETA)
    policies = multi(store)
    policies.change(ADMIN, GOOD)
    assert policies.for_(Requester(team_id="TALPHA", user_id="UOTHER")) == GOOD
    beta = policies.for_(Requester(team_id="TBETA", user_id="UADMIN"))
    assert beta.shared_code == ""
    assert beta.allowed_users == frozenset()
    assert store.get_policy(BETA) is None


def test_an_org_wide_install_holds_every_team_of_its_org_unless_a_team_has_its_own() -> None:
    team = Workspace(enterprise_id="EGRID", team_id="TOWN")
    store = installed(GRID, team)
    policies = multi(store)
    org_admin = Requester(team_id="TANY", user_id="WADMIN", enterprise_id="EGRID")
    assert policies.workspace_of(org_admin) == GRID
    policies.change(org_admin, GOOD)
    assert store.get_policy(GRID) == GOOD
    assert policies.for_(Requester(team_id="TOTHER", user_id="W1", enterprise_id="EGRID")) == GOOD
    own = Requester(team_id="TOWN", user_id="W2", enterprise_id="EGRID")
    assert policies.workspace_of(own) == team
    assert policies.for_(own).shared_code == ""


def test_a_change_records_who_when_and_what_but_never_a_secret() -> None:
    store = installed(ALPHA)
    policies = multi(store)
    change = policies.change(ADMIN, replace(GOOD, sso_company_id="123", sso_password="sso-pw"))
    assert change.workspace == ALPHA
    assert change.changed_by == ADMIN
    assert change.changed_at == NOW
    assert change.changed == (
        "allowed_users",
        "shared_code",
        "sso_company_id",
        "sso_password",
        "labels",
        "customer_language",
        "audit_days",
    )
    assert dict(change.values) == {
        "allowed_users": "UTECH1,WTECH2",
        "sso_company_id": "123",
        "labels": f"{NAME}=Caller",
        "customer_language": "fr",
        "audit_days": "7",
    }
    assert not SECRET_SETTINGS & set(change.values)
    assert "alpha-code" not in repr(change)
    assert "sso-pw" not in repr(change)
    assert store.changes == [change]
    assert policies.changes(ADMIN) == [change]


def test_only_what_changed_is_recorded_and_nothing_saves_nothing() -> None:
    store = installed(ALPHA)
    policies = multi(store)
    policies.change(ADMIN, GOOD)
    second = policies.change(ADMIN, replace(GOOD, shared_code="new-code", audit_days=9))
    assert second.changed == ("shared_code", "audit_days")
    assert dict(second.values) == {"audit_days": "9"}
    same = policies.change(ADMIN, replace(GOOD, shared_code="new-code", audit_days=9))
    assert same.changed == ()
    assert len(store.changes) == 2


def test_everyone_and_member_ids_are_an_allowlist() -> None:
    policies = multi(installed(ALPHA))
    assert policies.problems(GOOD) == {}
    assert policies.problems(replace(GOOD, allowed_users=frozenset({"*"}))) == {}
    assert policies.problems(Policy(audit_days=30)) == {}


@pytest.mark.parametrize(
    ("changed", "setting", "problem"),
    [
        ({"allowed_users": frozenset({"UTECH1", "jane"})}, "allowed_users", Problem.NOT_USER_IDS),
        ({"allowed_users": frozenset({"u0lower"})}, "allowed_users", Problem.NOT_USER_IDS),
        ({"shared_code": "x" * 513}, "shared_code", Problem.CODE_UNUSABLE),
        ({"shared_code": "code\x00"}, "shared_code", Problem.CODE_UNUSABLE),
        (
            {"sso_company_id": "acme", "sso_password": "p"},
            "sso_company_id",
            Problem.COMPANY_NOT_NUMBER,
        ),
        (
            {"sso_company_id": "1" * 21, "sso_password": "p"},
            "sso_company_id",
            Problem.COMPANY_NOT_NUMBER,
        ),
        ({"sso_company_id": "123"}, "sso_password", Problem.SSO_NEEDS_PASSWORD),
        (
            {"sso_company_id": "123", "sso_password": "\x07"},
            "sso_password",
            Problem.PASSWORD_UNUSABLE,
        ),
        ({"labels": {NAME: "x" * (LABEL_LIMIT + 1)}}, label_setting(NAME), Problem.LABEL_TOO_LONG),
        ({"labels": {TRACKING: "  "}}, label_setting(TRACKING), Problem.LABEL_EMPTY),
        ({"labels": {"password": "Yours?"}}, "labels", Problem.UNKNOWN_FIELD),
        ({"customer_language": "xx"}, "customer_language", Problem.UNKNOWN_LANGUAGE),
        ({"audit_days": 0}, "audit_days", Problem.AUDIT_DAYS),
        ({"audit_days": 31}, "audit_days", Problem.AUDIT_DAYS),
    ],
)
def test_each_bad_value_is_named_and_nothing_is_saved(
    changed: dict[str, object], setting: str, problem: Problem
) -> None:
    store = installed(ALPHA)
    policies = multi(store)
    bad = replace(GOOD, **changed)  # type: ignore[arg-type]
    assert policies.problems(bad) == {setting: problem}
    with pytest.raises(InvalidPolicy) as refused:
        policies.change(ADMIN, bad)
    assert refused.value.problems == {setting: problem}
    assert store.get_policy(ALPHA) is None
    assert store.changes == []


def test_the_limits_themselves_are_allowed() -> None:
    policies = multi(installed(ALPHA))
    longest = replace(
        GOOD,
        shared_code="c" * 512,
        sso_company_id="9" * 20,
        sso_password="p" * 256,
        labels={NAME: "&" * LABEL_LIMIT},
        audit_days=ENVIRONMENT.audit_days,
    )
    assert policies.problems(longest) == {}
    assert policies.problems(replace(GOOD, audit_days=1)) == {}


def test_retentions_are_those_of_installs_whose_admins_saved_settings() -> None:
    store = installed(ALPHA, BETA)
    policies = multi(store)
    policies.change(ADMIN, GOOD)
    assert policies.retentions() == [(ALPHA, 7)]
