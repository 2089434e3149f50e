"""Accounts: which code a request uses when linking is off, and the shared seat kept safe."""

from __future__ import annotations

import pytest

from bot.accounts import Accounts, SharedAccount, Sso, StatusKind
from bot.domain import CodeSource, LinkSource
from bot.rescue.errors import Unavailable
from bot.rescue.models import Account
from tests.support.doubles import MemoryRescue, MemoryStore


def accounts(
    store: MemoryStore, rescue: MemoryRescue, *, sso: Sso | None = None, linking: bool = True
) -> Accounts:
    return Accounts(
        links=store,
        rescue=rescue,
        shared_code="shared",
        is_allowed=lambda _: True,
        sso=sso,
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
    sso = Sso("123", "sso-secret", {"U1": "jane@corp"})
    chosen = accounts(store, rescue, sso=sso, linking=False).credential_for("T1", "U1")
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
    assert not off.has_own_code("T1", "U1")
    assert off.status("T1", "U1").kind is StatusKind.SHARED
    assert off.credential_for("T1", "U1").source is CodeSource.SHARED
    on = accounts(store, rescue)
    assert on.has_own_code("T1", "U1")
    assert on.credential_for("T1", "U1").source is CodeSource.LINKED


def test_when_rescue_cannot_say_whose_the_shared_code_is_no_password_is_sent() -> None:
    class Down(MemoryRescue):
        def get_account(self, auth_code: str) -> Account:
            raise Unavailable("down")

    rescue = Down()
    with pytest.raises(Unavailable):
        accounts(MemoryStore(), rescue).connect_with_password(
            "T1", "U1", email="a@b.example", password="pw"
        )
    assert rescue.sign_ins == []


def test_the_shared_seat_is_refused_whatever_the_case_and_spaces() -> None:
    rescue = MemoryRescue()
    rescue.add_account("shared", email="Seat@Helpdesk.example")
    with pytest.raises(SharedAccount):
        accounts(MemoryStore(), rescue).connect_with_password(
            "T1", "U1", email="  seat@helpdesk.EXAMPLE", password="pw"
        )
    assert rescue.sign_ins == []
