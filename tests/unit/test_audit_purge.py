"""AuditPurger: the deployment's retention for every row, each workspace's own where shorter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.audit import AuditPurger
from bot.domain import Workspace

ALPHA = Workspace(team_id="TALPHA")
BETA = Workspace(team_id="TBETA")
GRID = Workspace(enterprise_id="EGRID")


class Purges:
    """bot.audit.Purgeable that notes each purge_audit's cutoff (in days ago) and workspace."""

    def __init__(self) -> None:
        self.audit: list[tuple[int, Workspace | None]] = []

    def purge_audit(self, older_than: datetime, workspace: Workspace | None = None) -> int:
        days = round((datetime.now(UTC) - older_than) / timedelta(days=1))
        self.audit.append((days, workspace))
        return 1

    def purge_pacing(self, older_than: datetime) -> int:
        return 0

    def purge_watches(self, older_than: datetime) -> int:
        return 0


def test_serving_one_workspace_every_row_keeps_the_deployments_days() -> None:
    store = Purges()
    assert AuditPurger(store, days=90).purge_now() == 1
    assert store.audit == [(90, None)]


def test_a_workspace_keeping_rows_for_less_is_purged_on_its_own_days() -> None:
    store = Purges()
    retentions = [(ALPHA, 7), (BETA, 90), (GRID, 30)]
    removed = AuditPurger(store, days=90, retentions=lambda: retentions).purge_now()
    # Beta keeps the deployment's days: the purge of every row is its purge.
    assert store.audit == [(7, ALPHA), (30, GRID), (90, None)]
    assert removed == 3
