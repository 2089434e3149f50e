"""The queues getSession_V3 lists: scripted customers, per node, on a clock a test may move.

A test scripts what Rescue's queue would show, relative to the moment a PIN is issued or to
now: a Customer appears `after` seconds later, goes through its Stages (each lasting its
`seconds`) and leaves when the last one ends. The timeline is read afresh on every call, on
the stand-in's clock: time.monotonic by default, or a ManualClock the test advances, so no
test needs to sleep for a customer to arrive.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from devtools.fake_rescue.soap import Child

if TYPE_CHECKING:
    from devtools.fake_rescue.faults import Behaviour

GET_SESSION = "getSession_V3"
WAITING = "SESSION_WAITING"
PICKED_UP = "SESSION_PICKEDUP"
# The six fields a PIN request carries (sCField0..5) and the session shows (sCustomField0..5);
# the tracking field (sTracking0) is not in a session.
FIELD_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (f"sCField{i}", f"sCustomField{i}") for i in range(6)
)
SESSION_FIELDS: tuple[str, ...] = tuple(element for _, element in FIELD_PAIRS)
# sStatus for the bStatus values whose words are known or easily guessed; others show bStatus.
STATUS_TEXTS: dict[str, str] = {
    "SESSION_STARTING": "Starting",
    "SESSION_CONNECTING": "Connecting",
    WAITING: "Waiting",
    "SESSION_OFFLINE": "Offline",
    PICKED_UP: "Active",
    "SESSION_ONHOLD": "On Hold",
    "SESSION_REBOOTING": "Rebooting",
    "SESSION_CONNECTIONPROBLEM": "Connection Problem",
    "SESSION_TRANSFERINGBUTNOTPICKEDUP": "Transferring",
    "SESSION_CLOSEDBYCUSTOMER": "Closed by Customer",
    "SESSION_CLOSEDBYTECHNICIAN": "Closed by Technician",
}
_FIRST_SESSION_ID = 700001


class ManualClock:
    """A clock that stands still until advanced: FakeRescue(clock=ManualClock())."""

    def __init__(self, start: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._now = start

    def __call__(self) -> float:
        """The current time, in seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward; return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds
            return self._now


@dataclass(frozen=True)
class Stage:
    """One status of a session: bStatus, how long it lasts (None: for good), its sStatus."""

    status: str = WAITING
    seconds: float | None = None
    text: str | None = None  # None: STATUS_TEXTS' words for status, else status itself

    def __post_init__(self) -> None:
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("Stage.seconds must not be negative")

    @property
    def shown(self) -> str:
        """What sStatus says during this stage."""
        return self.text if self.text is not None else STATUS_TEXTS.get(self.status, self.status)


@dataclass(frozen=True)
class Customer:
    """A session's life in the queue: it appears `after` seconds on, then goes through stages.

    The session leaves when its last stage ends (never, if that stage has no seconds). A
    negative `after` puts it there already, as long a wait behind it. `omit` leaves SESSION_V3
    elements out and `add` appends elements the WSDL does not list, as a newer Rescue might.
    """

    after: float = 0.0
    stages: tuple[Stage, ...] = (Stage(),)
    technician: str | None = None  # sTechnician; None: "Technician <node>"
    omit: tuple[str, ...] = ()
    add: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a Customer needs at least one Stage")
        if any(stage.seconds is None for stage in self.stages[:-1]):
            raise ValueError("only the last Stage may last for good (seconds=None)")


@dataclass(frozen=True)
class SessionPoll:
    """One well-formed getSession_V3 call for a node."""

    node: int
    at: float  # the stand-in's clock when it came
    received_at: float  # time.monotonic() when it came, as RescueCall.received_at


@dataclass
class _Session:
    """A customer in a node's queue, from the moment their session appears."""

    session_id: int
    customer: Customer
    fields: dict[str, str]  # by SESSION_V3 element (sCustomField0..5)
    appears_at: float

    def state(self, now: float) -> tuple[Stage, float] | None:
        """The stage at now and when it began; None before the session appears or after."""
        start = self.appears_at
        if now < start:
            return None
        for stage in self.customer.stages:
            if stage.seconds is None or now < start + stage.seconds:
                return stage, start
            start += stage.seconds
        return None


@dataclass
class _Expected:
    """A customer waiting for a PIN to be issued on a node (a given PIN, or the next one)."""

    session_id: int
    customer: Customer
    pin: str | None


@dataclass
class _Node:
    """Everything scripted for one node."""

    sessions: list[_Session] = field(default_factory=list)
    expected: list[_Expected] = field(default_factory=list)
    behaviours: deque[Behaviour] = field(default_factory=deque)
    default: Behaviour | None = None


class Queues:
    """The sessions of every node, their scripts, the node's behaviours and its polls."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._polled = threading.Condition(self._lock)
        self._nodes: dict[int, _Node] = {}
        self._polls: list[SessionPoll] = []
        self._ids = itertools.count(_FIRST_SESSION_ID)

    # --- scripting -------------------------------------------------------------------------------

    def on_pin(self, node: int, customer: Customer, *, pin: str | None = None) -> int:
        """Let customer connect once a PIN is issued on node (that pin, or the next); its id.

        The session shows the Name and custom fields of that PIN's request.
        """
        with self._lock:
            session_id = next(self._ids)
            self._node_locked(node).expected.append(_Expected(session_id, customer, pin))
            return session_id

    def add(self, node: int, customer: Customer, *, fields: Mapping[str, str] | None = None) -> int:
        """Put customer in node's queue, `after` counted from now; return the session's id.

        fields are by SESSION_V3 element: {"sCustomField0": "Jane Doe"}.
        """
        fields = fields or {}
        unknown = sorted(set(fields) - set(SESSION_FIELDS))
        if unknown:
            raise ValueError(f"not session fields: {', '.join(unknown)}")
        now = self.clock()
        with self._lock:
            session_id = next(self._ids)
            values = {name: fields.get(name, "") for name in SESSION_FIELDS}
            session = _Session(session_id, customer, values, now + customer.after)
            self._node_locked(node).sessions.append(session)
            return session_id

    def queue(self, node: int, *behaviours: Behaviour) -> None:
        """Answer node's next getSession_V3 calls with these, in order, once each."""
        with self._lock:
            self._node_locked(node).behaviours.extend(behaviours)

    def set_default(self, node: int, behaviour: Behaviour | None) -> None:
        """Answer node's calls with this once its queue is empty (None: the fake's own answer)."""
        with self._lock:
            self._node_locked(node).default = behaviour

    def reset(self) -> None:
        """Forget every node's sessions, scripts, behaviours and polls."""
        with self._lock:
            self._nodes.clear()
            self._polls.clear()

    # --- inspection ------------------------------------------------------------------------------

    def polls(self, node: int | None = None) -> list[SessionPoll]:
        """The well-formed getSession_V3 calls so far (for node, or all), oldest first."""
        with self._lock:
            return [p for p in self._polls if node is None or p.node == node]

    def wait_for_polls(self, node: int, n: int, timeout: float = 5.0) -> list[SessionPoll]:
        """Block until node was polled at least n times; AssertionError on timeout."""

        def mine() -> list[SessionPoll]:
            return [p for p in self._polls if p.node == node]

        with self._polled:
            if not self._polled.wait_for(lambda: len(mine()) >= n, timeout):
                raise AssertionError(
                    f"FakeRescue expected at least {n} getSession_V3 call(s) for node {node} "
                    f"within {timeout}s but received {len(mine())}"
                )
            return mine()

    # --- used by the operations and the fake ---------------------------------------------------

    def knows(self, node: int) -> bool:
        """Tell whether anything was scripted for node (a channel, another technician...)."""
        with self._lock:
            return node in self._nodes

    def pin_issued(self, node: int, pin: str, request: Mapping[str, str | None]) -> None:
        """A PIN was issued on node: the customer expecting it (if any) starts their wait."""
        now = self.clock()
        with self._lock:
            state = self._nodes.get(node)
            if state is None:
                return
            match = next((e for e in state.expected if e.pin == pin), None) or next(
                (e for e in state.expected if e.pin is None), None
            )
            if match is None:
                return
            state.expected.remove(match)
            fields = {shown: request.get(sent) or "" for sent, shown in FIELD_PAIRS}
            appears_at = now + match.customer.after
            state.sessions.append(_Session(match.session_id, match.customer, fields, appears_at))

    def polled(self, fields: Mapping[str, str | None], received_at: float) -> Behaviour | None:
        """Record a call for its node; return the node's scripted behaviour, if it has one."""
        node = parse_node(fields.get("iNodeID"))
        if node is None:
            return None
        now = self.clock()
        with self._polled:
            self._polls.append(SessionPoll(node, now, received_at))
            self._polled.notify_all()
            state = self._nodes.get(node)
            if state is None:
                return None
            return state.behaviours.popleft() if state.behaviours else state.default

    def listing(self, node: int) -> list[Child]:
        """node's aSessions now: a SESSION_V3 for each session between appearing and leaving."""
        now = self.clock()
        wall = datetime.now()  # local time, as Rescue writes it (its zone is not stated)
        with self._lock:
            state = self._nodes.get(node)
            sessions = list(state.sessions) if state is not None else []
        listed: list[Child] = []
        for session in sessions:
            current = session.state(now)
            if current is not None:
                stage, since = current
                started = wall - timedelta(seconds=now - session.appears_at)
                listed.append(
                    ("SESSION_V3", _session_v3(node, session, stage, now - since, started))
                )
        return listed

    def _node_locked(self, node: int) -> _Node:
        return self._nodes.setdefault(node, _Node())


def parse_node(text: str | None) -> int | None:
    """iNodeID as XmlSerializer reads an xsd:int, or None."""
    try:
        node = int((text or "").strip())
    except ValueError:
        return None
    return node if -(2**31) <= node < 2**31 else None


def _session_v3(
    node: int, session: _Session, stage: Stage, in_stage: float, started: datetime
) -> list[Child]:
    customer = session.customer
    technician = customer.technician if customer.technician is not None else f"Technician {node}"
    children: list[Child] = [
        ("iID", str(session.session_id)),
        ("bStatus", stage.status),
        ("sStatus", stage.shown),
        ("iEntry", "0"),
        ("sEntry", "Private Code"),
        ("iTechnician", str(node)),
        ("sTechnician", technician),
        ("sStartTime", _us_time(started)),
        ("iWaitingTimeInSec", str(int(in_stage))),
        *((name, session.fields[name]) for name in SESSION_FIELDS),
        ("sLanguage", "en"),
        ("sTransferredTo", ""),
        ("sTransferredComment", ""),
        ("bIsLead", "false"),
        ("bHandingOff", "false"),
    ]
    kept = [child for child in children if child[0] not in customer.omit]
    return [*kept, *customer.add]


def _us_time(moment: datetime) -> str:
    """Rescue's sStartTime style: 2/19/2024 2:36:37 PM."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half}"
