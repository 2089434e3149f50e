"""Accounts: which code a request uses, by its workspace's settings; the shared seat kept safe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.accounts import Accounts, NotConnected, SharedAccount, StatusKind
from bot.domain import CodeSource, Link, LinkSource, Policy, Requester
from bot.rescue.errors import Unavailable
from bot.rescue.models import Account
from tests.support.doubles import MemoryRescue, MemoryStore

WHO = Requester(team_id="T1", user_id="U1")
SHARED = Policy(allowed_users=frozenset({"*"}), shared_code="shared")


def accounts(
    store: MemoryStore,
    rescue: MemoryRescue,
    *,
    policy: Policy = SHARED,
    sso_ids: Mapping[str, str] | None = None,
    linking: bool = True,
) -> Accounts:
    return Accounts(
        links=store,
        rescue=rescue,
        policy_of=lambda _who: policy,
        sso_ids=sso_ids,
        linking=linking,
    )


def test_with_linking_off_sso_technicians_never_get_a_code_connected_earlier() -> None:
    store, rescue = MemoryStore(), MemoryRescue()
    rescue.add_account("sso-code", email="jane@corp", sso_id="jane@corp")
    store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code="pasted-code",
        email="jane@corp",
        organization="",
        source=LinkSource.TOKEN,
    )
    sso = Policy(
        allowed_users=frozenset({"*"}),
        shared_code="shared",
        sso_company_id="123",
        sso_password="sso-secret",
    )
    chosen = accounts(
        store, rescue, policy=sso, sso_ids={"U1": "jane@corp"}, linking=False
    ).credential_for(WHO)
    assert (chosen.auth_code, chosen.source) == ("sso-code", CodeSource.SSO)


def test_with_linking_off_a_connected_account_is_neither_own_code_nor_status() -> None:
    store, rescue = MemoryStore(), MemoryRescue()
    store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code="pasted-code",
        email="jane@corp",
        organization="",
        source=LinkSource.TOKEN,
    )
    off = accounts(store, rescue, linking=False)
    assert not off.has_own_code(WHO)
    assert off.status(WHO).kind is StatusKind.SHARED
    assert off.credential_for(WHO).source is CodeSource.SHARED
    on = accounts(store, rescue)
    assert on.has_own_code(WHO)
    assert on.credential_for(WHO).source is CodeSource.LINKED


def test_when_rescue_cannot_say_whose_the_shared_code_is_no_password_is_sent() -> None:
    class Down(MemoryRescue):
        def get_account(self, auth_code: str) -> Account:
            raise Unavailable("down")

    rescue = Down()
    with pytest.raises(Unavailable):
        accounts(MemoryStore(), rescue).connect_with_password(
            WHO, email="a@b.example", password="pw"
        )
    assert rescue.sign_ins == []


def test_the_shared_seat_is_refused_whatever_the_case_and_spaces() -> None:
    rescue = MemoryRescue()
    rescue.add_account("shared", email="Seat@Helpdesk.example")
    with pytest.raises(SharedAccount):
        accounts(MemoryStore(), rescue).connect_with_password(
            WHO, email="  seat@helpdesk.EXAMPLE", password="pw"
        )
    assert rescue.sign_ins == []


# --- serving several workspaces: each request follows its own workspace's settings ------------

ALPHA = Requester(team_id="TALPHA", user_id="UALPHA1")
BETA = Requester(team_id="TBETA", user_id="UBETA1")
POLICIES = {
    "TALPHA": Policy(allowed_users=frozenset({"UALPHA1"}), shared_code="alpha-code"),
    "TBETA": Policy(allowed_users=frozenset({"*"}), shared_code="beta-code"),
}


def two_workspaces(store: MemoryStore, rescue: MemoryRescue) -> Accounts:
    return Accounts(
        links=store,
        rescue=rescue,
        policy_of=lambda who: POLICIES.get(who.team_id, Policy()),
        linking=True,
    )


def test_each_workspace_uses_its_own_shared_code_and_allowlist() -> None:
    chosen = two_workspaces(MemoryStore(), MemoryRescue())
    assert chosen.credential_for(ALPHA).auth_code == "alpha-code"
    assert chosen.credential_for(BETA).auth_code == "beta-code"
    # Beta lets everyone use its code; alpha only UALPHA1, whoever else asks there.
    assert chosen.credential_for(Requester("TBETA", "UBETA2")).auth_code == "beta-code"
    with pytest.raises(NotConnected):
        chosen.credential_for(Requester("TALPHA", "UALPHA2"))
    assert chosen.status(Requester("TALPHA", "UALPHA2")).kind is StatusKind.NOTHING
    assert chosen.status(Requester("TBETA", "UALPHA2")).kind is StatusKind.SHARED


def test_a_workspace_with_no_settings_shares_nothing() -> None:
    chosen = two_workspaces(MemoryStore(), MemoryRescue())
    newcomer = Requester(team_id="TNEW", user_id="UNEW1")
    with pytest.raises(NotConnected):
        chosen.credential_for(newcomer)
    assert chosen.status(newcomer).kind is StatusKind.NOTHING


def test_the_shared_seat_is_each_workspaces_own() -> None:
    rescue = MemoryRescue()
    rescue.add_account("alpha-code", email="seat@alpha.example")
    rescue.add_account("beta-code", email="seat@beta.example")
    rescue.add_account("beta-own", email="seat@alpha.example", login="pw")
    chosen = two_workspaces(MemoryStore(), rescue)
    with pytest.raises(SharedAccount):
        chosen.connect_with_password(ALPHA, email="seat@alpha.example", password="pw")
    # Alpha's seat is nobody's shared seat in beta: connecting it there is only a sign-in.
    account = chosen.connect_with_password(BETA, email="seat@alpha.example", password="pw")
    assert account.email == "seat@alpha.example"
    assert rescue.sign_ins == ["seat@alpha.example"]
    # Each workspace's own shared code was asked about, then the account just connected.
    assert rescue.account_lookups == ["alpha-code", "beta-code", "beta-own"]


def test_a_link_is_kept_with_its_enterprise() -> None:
    class Kept(MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.enterprises: list[str] = []

        def save_link(self, *, enterprise_id: str = "", **kwargs: Any) -> Link:
            self.enterprises.append(enterprise_id)
            return super().save_link(**kwargs)

    store, rescue = Kept(), MemoryRescue()
    rescue.add_account("own-code")
    grid = Requester(team_id="TGRID", user_id="WGRID1", enterprise_id="EGRID")
    two_workspaces(store, rescue).connect_with_code(grid, "own-code")
    assert store.enterprises == ["EGRID"]
    assert store.get_link("TGRID", "WGRID1") is not None
