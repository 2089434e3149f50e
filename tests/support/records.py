"""Audit entries for tests that need rows in a store (a database, or MemoryStore)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.domain import AuditEntry, CodeSource
from bot.fields import FIELD_KEYS

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

FIELDS = {
    "name": "Jane Doe",
    "custom1": "c1",
    "custom2": "c2",
    "custom3": "c3",
    "custom4": "c4",
    "custom5": "c5",
    "tracking": "INC-1",
}


def entry(**overrides: object) -> AuditEntry:
    """An audit entry with everything filled in; overrides replace attributes or PIN fields."""
    fields = {**FIELDS, **{k: str(v) for k, v in overrides.items() if k in FIELD_KEYS}}
    base = AuditEntry(
        team_id="T1",
        user_id="U1",
        requested_at=T0,
        fields=fields,
        no_tech_console=True,
        code_source=CodeSource.SHARED,
        result="OK",
        latency_ms=812,
        pin="004821",
    )
    rest = {k: v for k, v in overrides.items() if k not in FIELD_KEYS}
    return replace(base, **rest)  # type: ignore[arg-type]
