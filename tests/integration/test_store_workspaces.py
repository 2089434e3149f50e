"""Serving several workspaces, in the store: installs, OAuth states, settings, their change log,
forgetting a workspace, per-workspace purges, keys and the migration, on SQLite and PostgreSQL.

The behaviour tests run on the in-memory double too (tests/support/doubles.MemoryWorkspaces),
so the scenario tests' double keeps the database's rules.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from bot.domain import (
    CodeSource,
    ConnectLink,
    Credential,
    Installation,
    LinkSource,
    Policy,
    PolicyChange,
    Requester,
    SecretUnreadable,
    Watch,
    Workspace,
)
from bot.store import Keyring, Store, generate_key
from bot.store import schema as schema_module
from bot.store.models import VERSION_TABLE, Base
from bot.workspaces import WorkspaceStore
from tests.support import DATABASE_KINDS, ENCRYPTION_KEY, fresh_database
from tests.support.doubles import MemoryStore
from tests.support.records import T0, entry

NOW = datetime.now(UTC).replace(microsecond=0)
BOT_TOKEN = "xoxb-TEAM1-BOT-TOKEN-0123456789"
REFRESH_TOKEN = "xoxe-1-REFRESH-TOKEN-0123456789"
SHARED_CODE = "WORKSPACE-SHARED-RESCUE-CODE-0123456789abcdef"
SSO_PASSWORD = "workspace sso password <&>"
AUTH_CODE = "LINKED-AUTH-CODE-0123456789abcdef"
REPLY = "https://hooks.slack.com/actions/T1/1/SECRETREPLY"
OTHER_KEY = generate_key()

TEAM1 = Workspace("", "T1")
TEAM2 = Workspace("", "T2")
ORG1 = Workspace("E1", "")
ORG2 = Workspace("E2", "")
ADMIN = Requester("T1", "UADMIN")

AnyStore = Store | MemoryStore
OpenStore = Callable[..., Store]


@pytest.fixture(params=["memory", *DATABASE_KINDS])
def store(request: pytest.FixtureRequest) -> Iterator[AnyStore]:
    """A fresh store: the in-memory double, or a migrated SQLite or PostgreSQL database."""
    if request.param == "memory":
        yield MemoryStore()
        return
    opened = Store.from_url(fresh_database(request.param), Keyring.from_setting(ENCRYPTION_KEY))
    yield opened
    opened.engine.dispose()


def install(
    workspace: Workspace, *, token: str = BOT_TOKEN, refresh: str = "", at: datetime = NOW
) -> Installation:
    return Installation(
        workspace=workspace,
        team_name=f"Team {workspace.team_id}" if workspace.team_id else "",
        enterprise_name=f"Org {workspace.enterprise_id}" if workspace.enterprise_id else "",
        app_id="A1",
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write,users:read,users:read.email",
        bot_token=token,
        bot_refresh_token=refresh,
        bot_token_expires_at=at + timedelta(hours=12) if refresh else None,
        installer_user_id="UINSTALLER",
        installed_at=at,
    )


def policy(**overrides: object) -> Policy:
    base = Policy(
        allowed_users=frozenset({"U1", "U2"}),
        shared_code=SHARED_CODE,
        sso_company_id="42",
        sso_password=SSO_PASSWORD,
        labels={"custom1": "Ticket <number>", "name": "Customer"},
        customer_language="fr",
        audit_days=30,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def change(workspace: Workspace, at: datetime = NOW, **values: str) -> PolicyChange:
    return PolicyChange(
        workspace=workspace,
        changed_by=ADMIN,
        changed_at=at,
        changed=("shared_code", *values),
        values=values,
    )


def raw(store: Store, table: str) -> str:
    """Every row of a table as anyone reading the database sees it."""
    with store.engine.connect() as connection:
        return repr(connection.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608


def people_of(store: AnyStore, who: Requester, index: int) -> None:
    """A link, a connect link and a watch of who."""
    store.save_link(
        team_id=who.team_id,
        user_id=who.user_id,
        enterprise_id=who.enterprise_id,
        auth_code=AUTH_CODE,
        email=f"{who.user_id}@example.com",
        organization="Acme",
        source=LinkSource.PASSWORD,
    )
    store.connect_links().add_connect_link(
        ConnectLink(
            token_hash=f"hash-{index}",
            requester=who,
            team_name="Team",
            user_name="Tech",
            expires_at=NOW + timedelta(minutes=10),
            attempts=0,
            used=False,
        )
    )
    store.watches().add(
        Watch(
            id=0,
            requester=who,
            audit_id=None,
            node_id=3000 + index,
            credential=Credential(AUTH_CODE, CodeSource.LINKED),
            fields={"name": "Jane"},
            issued_at=NOW,
            expires_at=NOW + timedelta(minutes=20),
            updated_at=NOW,
            reply=REPLY,
        )
    )


def has_people(store: AnyStore, who: Requester, index: int) -> tuple[bool, bool, bool]:
    """Whether who's link, connect link and watch are still kept."""
    return (
        store.get_link(who.team_id, who.user_id) is not None,
        store.connect_links().get_connect_link(f"hash-{index}") is not None,
        bool(store.watches().of_technician(who.team_id, who.user_id, since=NOW)),
    )


# Installs


def test_installs_come_back_as_saved_each_by_its_own_workspace(store: AnyStore) -> None:
    workspaces: WorkspaceStore = store.workspaces()
    paris = timezone(timedelta(hours=1))
    team = install(TEAM1, refresh=REFRESH_TOKEN, at=datetime(2026, 5, 1, 13, 0, tzinfo=paris))
    org = install(ORG1, token="xoxb-ORG", at=datetime(2026, 4, 1, tzinfo=UTC))
    assert workspaces.find_installation(TEAM1) is None
    assert workspaces.installations() == []
    workspaces.save_installation(team)
    workspaces.save_installation(org)

    found = workspaces.find_installation(TEAM1)
    assert found == team
    assert found is not None
    assert found.installed_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert found.bot_refresh_token == REFRESH_TOKEN
    assert workspaces.find_installation(ORG1) == org
    # Exactly that workspace: an org's install is not a team's, nor the reverse.
    assert workspaces.find_installation(Workspace("E1", "T1")) is None
    assert workspaces.find_installation(Workspace("", "E1")) is None
    assert workspaces.find_installation(TEAM2) is None
    assert workspaces.installations() == [org, team]  # oldest first
    assert BOT_TOKEN not in repr(found)
    assert REFRESH_TOKEN not in repr(found)


def test_a_reinstall_replaces_the_install(store: AnyStore) -> None:
    workspaces = store.workspaces()
    workspaces.save_installation(install(TEAM1, refresh=REFRESH_TOKEN))
    workspaces.save_installation(install(TEAM2))
    again = replace(
        install(TEAM1, token="xoxb-NEW", at=NOW + timedelta(days=1)),
        bot_scopes="commands",
        team_name="Renamed",
    )
    workspaces.save_installation(again)
    assert workspaces.find_installation(TEAM1) == again  # no refresh token left behind
    assert [i.workspace for i in workspaces.installations()] == [TEAM2, TEAM1]


def test_the_tables_hold_no_token_state_or_secret_in_clear(open_store: OpenStore) -> None:
    store = open_store()
    workspaces = store.workspaces()
    workspaces.save_installation(install(TEAM1, refresh=REFRESH_TOKEN))
    workspaces.save_installation(install(TEAM2))
    workspaces.save_policy(TEAM1, policy(), change(TEAM1, customer_language="fr"))
    workspaces.save_policy(TEAM2, policy(shared_code="", sso_password=""), change(TEAM2))
    state = "oauth-state-0123456789abcdefghijklmnop"
    workspaces.issue_state(state, NOW + timedelta(minutes=10))

    installs = raw(store, "lenspin_installations")
    assert "Team T1" in installs  # the table was really read
    settings = raw(store, "lenspin_workspace_settings")
    assert "Ticket <number>" in settings
    changes = raw(store, "lenspin_settings_changes")
    assert "shared_code" in changes
    states = raw(store, "lenspin_oauth_states")
    assert hashlib.sha256(state.encode()).hexdigest() in states
    everything = installs + settings + changes + states
    for secret in (BOT_TOKEN, REFRESH_TOKEN, SHARED_CODE, SSO_PASSWORD, state):
        assert secret not in everything
    with store.engine.connect() as connection:
        refresh, code, password = connection.execute(
            text(
                "SELECT i.bot_refresh_token_encrypted, s.shared_code_encrypted, "
                "s.sso_password_encrypted FROM lenspin_installations i "
                "JOIN lenspin_workspace_settings s ON s.team_id = i.team_id "
                "WHERE i.team_id = 'T2'"
            )
        ).one()
    assert (refresh, code, password) == ("", "", "")  # never set: nothing encrypted


# OAuth states


def test_a_state_is_good_once(store: AnyStore) -> None:
    workspaces = store.workspaces()
    workspaces.issue_state("state-1", NOW + timedelta(minutes=10))
    workspaces.issue_state("state-2", NOW + timedelta(minutes=10))
    assert workspaces.consume_state("never-issued") is False
    assert workspaces.consume_state("state-1") is True
    assert workspaces.consume_state("state-1") is False  # replayed
    assert workspaces.consume_state("state-2") is True


def test_an_expired_state_is_refused_then_purged(store: AnyStore) -> None:
    workspaces = store.workspaces()
    workspaces.issue_state("expired", datetime.now(UTC) - timedelta(seconds=1))
    workspaces.issue_state("fresh", datetime.now(UTC) + timedelta(minutes=10))
    assert workspaces.consume_state("expired") is False
    assert store.purge_pacing(datetime.now(UTC)) == 1  # the expired one only
    assert workspaces.consume_state("fresh") is True
    with pytest.raises(ValueError, match="timezone-aware"):
        workspaces.issue_state("naive", datetime(2030, 1, 1))


def test_of_ten_threads_consuming_one_state_exactly_one_wins(store: AnyStore) -> None:
    workspaces = store.workspaces()
    barrier = threading.Barrier(10)
    for round_ in range(3):
        state = f"raced-{round_}"
        workspaces.issue_state(state, NOW + timedelta(minutes=10))

        def consume(_: int, state: str = state) -> bool:
            barrier.wait(timeout=20)
            return workspaces.consume_state(state)

        with ThreadPoolExecutor(10) as pool:
            won = list(pool.map(consume, range(10)))
        assert won.count(True) == 1, won


def test_two_processes_consuming_one_state_one_wins(open_store: OpenStore) -> None:
    # Two Stores are two processes' pools: only the database is shared.
    stores = [open_store(), open_store()]
    stores[0].workspaces().issue_state("shared", NOW + timedelta(minutes=10))
    barrier = threading.Barrier(2)

    def consume(store: Store) -> bool:
        barrier.wait(timeout=20)
        return store.workspaces().consume_state("shared")

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(consume, stores)) == [False, True]


# Each workspace's settings


def test_policies_are_kept_per_workspace(store: AnyStore) -> None:
    workspaces = store.workspaces()
    assert workspaces.get_policy(TEAM1) is None
    first = policy()
    second = policy(allowed_users=frozenset({"*"}), shared_code="other code", labels={})
    org = policy(sso_company_id="", sso_password="", customer_language="de", audit_days=7)
    workspaces.save_policy(TEAM1, first, change(TEAM1))
    workspaces.save_policy(TEAM2, second, change(TEAM2))
    workspaces.save_policy(ORG1, org, change(ORG1))
    assert workspaces.get_policy(TEAM1) == first
    assert workspaces.get_policy(TEAM2) == second
    assert workspaces.get_policy(ORG1) == org
    assert workspaces.get_policy(Workspace("E1", "T1")) is None

    changed = policy(customer_language="es", shared_code="new code")
    workspaces.save_policy(TEAM1, changed, change(TEAM1, NOW + timedelta(minutes=1)))
    assert workspaces.get_policy(TEAM1) == changed
    assert workspaces.get_policy(TEAM2) == second  # untouched


def test_a_change_is_recorded_by_name_never_with_a_secret_value(store: AnyStore) -> None:
    workspaces = store.workspaces()
    assert workspaces.policy_changes(TEAM1) == []
    admin = Requester("T1", "UADMIN", "E9")
    first = replace(change(TEAM1, customer_language="fr"), changed_by=admin)
    workspaces.save_policy(TEAM1, policy(), first)
    later = change(TEAM1, NOW + timedelta(minutes=5), labels='{"name": "Customer"}')
    workspaces.save_policy(TEAM1, policy(), later)
    workspaces.save_policy(TEAM2, policy(), change(TEAM2, NOW + timedelta(hours=1)))

    assert workspaces.policy_changes(TEAM1) == [later, first]  # newest first, its own only
    assert workspaces.policy_changes(TEAM1, limit=1) == [later]
    (kept,) = workspaces.policy_changes(TEAM1, limit=1)
    assert "shared_code" in kept.changed
    assert "shared_code" not in kept.values

    # A change carrying a secret's value is refused, and nothing of it is saved.
    leaking = change(TEAM1, NOW + timedelta(hours=2), note=SHARED_CODE)
    with pytest.raises(ValueError, match="never its value") as caught:
        workspaces.save_policy(TEAM1, policy(customer_language="xx"), leaking)
    assert SHARED_CODE not in str(caught.value)
    with pytest.raises(ValueError, match="workspace it changed"):
        workspaces.save_policy(TEAM1, policy(customer_language="xx"), change(TEAM2))
    assert workspaces.get_policy(TEAM1) == policy()
    assert workspaces.policy_changes(TEAM1) == [later, first]


def test_settings_and_their_change_are_saved_in_one_transaction(open_store: OpenStore) -> None:
    store = open_store()
    workspaces = store.workspaces()
    workspaces.save_policy(TEAM1, policy(), change(TEAM1))
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE lenspin_settings_changes RENAME TO moved_away"))
    with pytest.raises(DBAPIError):
        workspaces.save_policy(TEAM1, policy(customer_language="de"), change(TEAM1))
    # The change could not be logged, so the settings were not changed either.
    assert workspaces.get_policy(TEAM1) == policy()


# Forgetting a workspace


def test_forgetting_a_workspace_leaves_every_other_one(store: AnyStore) -> None:
    workspaces = store.workspaces()
    one, other = Requester("T1", "U1"), Requester("T2", "U2")
    for index, (workspace, who) in enumerate([(TEAM1, one), (TEAM2, other)]):
        workspaces.save_installation(install(workspace))
        workspaces.save_policy(workspace, policy(), change(workspace))
        people_of(store, who, index)
        store.record_request(entry(team_id=who.team_id, user_id=who.user_id))

    workspaces.forget_workspace(TEAM1)
    assert workspaces.find_installation(TEAM1) is None
    assert workspaces.get_policy(TEAM1) is None
    assert has_people(store, one, 0) == (False, False, False)
    # Its audit rows and settings changes stay, for retention to purge.
    assert len(store.recent_requests("T1", "U1")) == 1
    assert len(workspaces.policy_changes(TEAM1)) == 1

    assert workspaces.find_installation(TEAM2) == install(TEAM2)
    assert workspaces.get_policy(TEAM2) == policy()
    assert has_people(store, other, 1) == (True, True, True)
    workspaces.forget_workspace(TEAM1)  # twice is not an error
    with pytest.raises(ValueError, match="team id"):
        workspaces.forget_workspace(Workspace())


def test_forgetting_an_org_wide_install_forgets_every_team_of_its_enterprise(
    store: AnyStore,
) -> None:
    workspaces = store.workspaces()
    mine = [Requester("TA", "U1", "E1"), Requester("TB", "U2", "E1")]
    theirs = [Requester("TC", "U3", "E2"), Requester("TD", "U4")]
    for index, who in enumerate(mine + theirs):
        people_of(store, who, index)
    for workspace in (ORG1, ORG2, Workspace("", "TD")):
        workspaces.save_installation(install(workspace))
        workspaces.save_policy(workspace, policy(), change(workspace))

    workspaces.forget_workspace(ORG1)
    assert workspaces.find_installation(ORG1) is None
    assert workspaces.get_policy(ORG1) is None
    assert [has_people(store, who, i) for i, who in enumerate(mine)] == [(False,) * 3] * 2
    assert [has_people(store, who, i + 2) for i, who in enumerate(theirs)] == [(True,) * 3] * 2
    assert {i.workspace for i in workspaces.installations()} == {ORG2, Workspace("", "TD")}
    assert workspaces.get_policy(ORG2) == policy()


# Purging the audit trail


def test_the_audit_is_purged_per_workspace(store: AnyStore) -> None:
    old, recent = T0, T0 + timedelta(days=10)
    cutoff = T0 + timedelta(days=5)
    people = {
        "team1": Requester("T1", "U1"),
        "team2": Requester("T2", "U2"),
        "org-a": Requester("TA", "U3", "E1"),
        "org-b": Requester("TB", "U4", "E1"),
    }
    for name, who in people.items():
        for at in (old, recent):
            store.record_request(
                entry(
                    team_id=who.team_id,
                    user_id=who.user_id,
                    enterprise_id=who.enterprise_id,
                    requested_at=at,
                    name=name,
                )
            )
    workspaces = store.workspaces()
    for workspace in (TEAM1, TEAM2, ORG1):
        workspaces.save_policy(workspace, policy(), change(workspace, old))
        workspaces.save_policy(workspace, policy(), change(workspace, recent))

    def kept(who: Requester) -> int:
        return len(store.recent_requests(who.team_id, who.user_id))

    assert store.purge_audit(cutoff, TEAM1) == 2  # a request and a change
    assert [kept(who) for who in people.values()] == [1, 2, 2, 2]
    assert [len(workspaces.policy_changes(w)) for w in (TEAM1, TEAM2, ORG1)] == [1, 2, 2]
    assert store.purge_audit(cutoff, ORG1) == 3  # both teams of the org, and its change
    assert [kept(who) for who in people.values()] == [1, 2, 1, 1]
    (record,) = store.recent_requests("TA", "U3")
    assert record.enterprise_id == "E1"
    assert store.purge_audit(cutoff) == 2  # every workspace's
    assert [kept(who) for who in people.values()] == [1, 1, 1, 1]
    assert [len(workspaces.policy_changes(w)) for w in (TEAM1, TEAM2, ORG1)] == [1, 1, 1]
    with pytest.raises(ValueError, match="team id"):
        store.purge_audit(cutoff, Workspace())


def test_links_keep_their_enterprise(open_store: OpenStore) -> None:
    store = open_store()
    people_of(store, Requester("TA", "U1", "E1"), 0)
    store.save_link(
        team_id="T2",
        user_id="U2",
        auth_code="c",
        email="e",
        organization="o",
        source=LinkSource.TOKEN,
    )
    with store.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT team_id, enterprise_id FROM lenspin_links ORDER BY team_id")
        ).all()
    assert [tuple(row) for row in rows] == [("T2", ""), ("TA", "E1")]


# Keys


@pytest.mark.parametrize(
    ("stored", "named"),
    [("install", "bot tokens of installs"), ("settings", "shared codes of workspaces")],
)
def test_a_key_that_cannot_read_the_new_secrets_is_caught(
    open_store: OpenStore, stored: str, named: str
) -> None:
    workspaces = open_store(OTHER_KEY).workspaces()
    if stored == "install":
        workspaces.save_installation(install(TEAM1, refresh=REFRESH_TOKEN))
    else:
        workspaces.save_policy(TEAM1, policy(), change(TEAM1))
    with pytest.raises(SecretUnreadable, match=named) as caught:
        open_store(ENCRYPTION_KEY).check_key()
    assert "lenspin_installations" in str(caught.value)
    open_store(f"{ENCRYPTION_KEY},{OTHER_KEY}").check_key()


def test_rotating_keys_covers_installs_and_settings(open_store: OpenStore) -> None:
    old = open_store(OTHER_KEY).workspaces()
    old.save_installation(install(TEAM1, refresh=REFRESH_TOKEN))
    old.save_installation(install(TEAM2))
    old.save_policy(TEAM1, policy(), change(TEAM1))
    old.save_policy(TEAM2, policy(shared_code="", sso_password=""), change(TEAM2))

    assert open_store(f"{ENCRYPTION_KEY},{OTHER_KEY}").rotate_keys() == 4
    store = open_store(ENCRYPTION_KEY)
    store.check_key()
    new = store.workspaces()
    assert new.find_installation(TEAM1) == install(TEAM1, refresh=REFRESH_TOKEN)
    assert new.find_installation(TEAM2) == install(TEAM2)
    assert new.get_policy(TEAM1) == policy()
    assert new.get_policy(TEAM2) == policy(shared_code="", sso_password="")
    with pytest.raises(SecretUnreadable):
        old.find_installation(TEAM1)


# The migration


def test_the_migration_goes_down_to_0004_and_up_again(open_store: OpenStore) -> None:
    store = open_store()
    store.save_link(
        team_id="T1",
        user_id="U1",
        enterprise_id="E1",
        auth_code=AUTH_CODE,
        email="e",
        organization="o",
        source=LinkSource.TOKEN,
    )
    request_id = store.record_request(entry(enterprise_id="E1"))
    store.workspaces().save_installation(install(TEAM1))
    new_tables = {
        "lenspin_installations",
        "lenspin_oauth_states",
        "lenspin_workspace_settings",
        "lenspin_settings_changes",
    }

    config = schema_module._alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    found = inspect(store.engine)
    assert new_tables.isdisjoint(found.get_table_names())
    for table in ("lenspin_links", "lenspin_audit"):
        assert "enterprise_id" not in {c["name"] for c in found.get_columns(table)}
    with store.engine.connect() as connection:
        assert connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all() == [  # noqa: S608
            ("0004",)
        ]
        if connection.dialect.name == "sqlite":
            # Rebuilt to drop a column, the audit table still never reuses an id.
            sql = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'lenspin_audit'")
            ).scalar_one()
            assert "AUTOINCREMENT" in sql

    assert store.migrate() == ["0005"]
    store.check_schema()
    link = store.get_link("T1", "U1")
    assert link is not None
    assert link.auth_code == AUTH_CODE  # the rows lived through it; their enterprise did not
    assert [(r.id, r.enterprise_id) for r in store.recent_requests("T1", "U1")] == [
        (request_id, "")
    ]
    assert store.workspaces().installations() == []
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, Base.metadata) == []
