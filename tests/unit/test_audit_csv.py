"""The audit trail's CSV (bot/audit.py): its header, and each request's session outcome."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

from bot.audit import CSV_COLUMNS, write_csv
from bot.domain import AuditRecord, CodeSource

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(**changes: object) -> AuditRecord:
    base = AuditRecord(
        team_id="T1",
        user_id="U1",
        requested_at=WHEN,
        fields={
            "name": "Jane Doe",
            "custom1": "Acme",
            "custom2": "",
            "custom3": "",
            "custom4": "",
            "custom5": "",
            "tracking": "INC-1",
        },
        no_tech_console=False,
        code_source=CodeSource.SHARED,
        result="OK",
        latency_ms=812,
        pin="004821",
        id=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def rows(*records: AuditRecord) -> tuple[list[str], list[dict[str, str]]]:
    out = io.StringIO()
    assert write_csv(records, out) == len(records)
    header, *lines = list(csv.reader(io.StringIO(out.getvalue())))
    return header, [dict(zip(header, line, strict=True)) for line in lines]


def test_the_header_ends_with_the_sessions_three_columns() -> None:
    header, _ = rows()
    assert header == list(CSV_COLUMNS)
    assert header == [
        "requested_at",
        "team_id",
        "user_id",
        "name",
        "tracking",
        "code_source",
        "result",
        "latency_ms",
        "session_state",
        "connect_seconds",
        "pickup_seconds",
    ]


def test_each_request_says_what_became_of_its_session() -> None:
    _, (picked, left, unused, watched, failed) = rows(
        record(session_state="picked_up", connect_seconds=41, pickup_seconds=95),
        record(session_state="left", connect_seconds=30),
        record(session_state="unused"),
        record(),  # still watched, or watching was off
        record(result="NO_TECH_CONSOLE_RUNNING", pin=None, latency_ms=None),
    )
    cells = ("session_state", "connect_seconds", "pickup_seconds")
    assert [picked[c] for c in cells] == ["picked_up", "41", "95"]
    assert [left[c] for c in cells] == ["left", "30", ""]
    assert [unused[c] for c in cells] == ["unused", "", ""]
    assert [watched[c] for c in cells] == ["", "", ""]
    assert [failed[c] for c in cells] == ["", "", ""]
    assert picked["requested_at"] == "2026-03-01T12:00:00+00:00"
    assert picked["latency_ms"] == "812"
    assert failed["latency_ms"] == ""
    # A second counted as zero is written, not left empty.
    _, (instant,) = rows(record(session_state="picked_up", connect_seconds=0, pickup_seconds=0))
    assert [instant[c] for c in cells] == ["picked_up", "0", "0"]


def test_no_pin_and_no_code_ever_reach_the_file() -> None:
    out = io.StringIO()
    write_csv([record(session_state="picked_up", connect_seconds=1, pickup_seconds=2)], out)
    assert "004821" not in out.getvalue()


def test_a_name_a_spreadsheet_would_run_stays_text() -> None:
    _, (row,) = rows(record(fields={"name": '=HYPERLINK("x")', "tracking": "@a"}))
    assert (row["name"], row["tracking"]) == ('\'=HYPERLINK("x")', "'@a")
