"""What one look at a Rescue queue tells about each watched PIN: pure rules, no I/O.

A PIN's session is a session that was not in the queue when the PIN was issued and whose
Name and custom fields equal what the technician submitted. What was there is the queue at
the first look after the PIN (the baseline), less the sessions that carry the PIN's fields
and, by Rescue's waiting time, began waiting after the PIN: a first look that came late
(Rescue failing) must not count the PIN's own customer as someone already there.
Fields are compared as Rescue keeps them: case and inner spaces count; only surrounding
whitespace and the line-ending style do not (a SOAP round trip or Rescue may trim the one,
and XML turns every CR LF into LF).

One match binds the watch to that session for good. Two or more at the first sight make the
watch ambiguous: it then speaks of "a session for <name>" and follows every candidate (new
ones too), saying only what is true of at least one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import SESSION_KEYS, SessionState, Watch
from bot.rescue.models import QueueSession, SessionStatus

# How long a session that connected is followed at most, if it never ends in the queue.
AFTER_CONNECT = 3600.0
# How long past its end a watch whose queue cannot be read is kept, in case Rescue answers.
BLIND_GRACE = 120.0
# Rescue counts a session's waiting time before lenspin reads the answer: a session counts
# as come after the PIN only if it began waiting this much after it, at least.
ARRIVAL_MARGIN = 2.0

_S = SessionStatus
_STATES: Mapping[SessionStatus, SessionState] = {
    # Connected and not yet taken: in the queue.
    _S.STARTING: SessionState.WAITING,
    _S.CONNECTING: SessionState.WAITING,
    _S.WAITING: SessionState.WAITING,
    _S.TRANSFERRING_NOT_PICKED_UP: SessionState.WAITING,
    # Each of these needs a technician to have taken the session first.
    _S.PICKED_UP: SessionState.PICKED_UP,
    _S.ON_HOLD: SessionState.PICKED_UP,
    _S.REBOOTING: SessionState.PICKED_UP,
    _S.WAITING_TIMEOUT_PICKED_UP: SessionState.PICKED_UP,
    _S.SYSTEM_TIMEOUT_PICKED_UP: SessionState.PICKED_UP,
    _S.CLOSED_BY_ACTIVE_CUSTOMER: SessionState.PICKED_UP,
    # Ended before anyone took it (a pick-up would have been seen first, and is final).
    _S.CLOSED_BY_CUSTOMER: SessionState.LEFT,
    _S.CLOSED_BY_WAITING_CUSTOMER: SessionState.LEFT,
    _S.CUSTOMER_LEFT_NOT_PICKED_UP: SessionState.LEFT,
    _S.WAITING_TIMEOUT_NOT_PICKED_UP: SessionState.LEFT,
    _S.SYSTEM_TIMEOUT_NOT_PICKED_UP: SessionState.LEFT,
    _S.CLOSED_BY_TECHNICIAN: SessionState.LEFT,
    _S.REVOKED: SessionState.LEFT,
    _S.TERMS_DECLINED: SessionState.LEFT,
    # OFFLINE, CONNECTION_PROBLEM, NOT_SUPPORTED and UNKNOWN may come before or after a
    # pick-up: shown in Rescue's own words (OTHER), and followed on.
}


def state_of(session: QueueSession) -> SessionState:
    """A queued session's status in a technician's terms; OTHER where lenspin cannot say."""
    return _STATES.get(session.status, SessionState.OTHER)


def same_fields(submitted: Mapping[str, str], carried: Mapping[str, str]) -> bool:
    """True when a session carries exactly the Name and custom fields that were submitted."""
    return all(
        _plain(submitted.get(key, "")) == _plain(carried.get(key, "")) for key in SESSION_KEYS
    )


def look(
    watch: Watch,
    sessions: Sequence[QueueSession],
    now: datetime,
    *,
    after_connect: float = AFTER_CONNECT,
) -> Watch:
    """The watch after one answer from its queue (Rescue answered OK) at now."""
    if watch.final:
        return watch
    baseline = watch.baseline
    if baseline is None:
        # The first look after the PIN was issued: what is there now was there before the PIN,
        # unless it carries the PIN's fields and began waiting after the PIN was issued (by
        # Rescue's own count), as when the first look came late because Rescue failed.
        arrived = {s.session_id for s in sessions if _arrived_since_issue(watch, s, now)}
        baseline = frozenset(s.session_id for s in sessions) - arrived
        watch = replace(watch, baseline=baseline, updated_at=now)
        if not arrived:
            return _unused_if_ended(watch, now)
    listed = {s.session_id: s for s in sessions}
    new = [
        s for s in sessions if s.session_id not in baseline and same_fields(watch.fields, s.fields)
    ]
    followed = dict(watch.sessions)
    ambiguous = watch.ambiguous
    if not followed:
        ambiguous = len(new) > 1
        followed = {s.session_id: SessionState.PENDING for s in new}
    elif ambiguous:
        followed.update(
            {s.session_id: SessionState.PENDING for s in new if s.session_id not in followed}
        )
    if not followed:
        return _unused_if_ended(watch, now)
    for session_id, before in followed.items():
        if before.final:
            continue
        session = listed.get(session_id)
        # Gone from the queue without being seen picked up: it left before the pick-up.
        followed[session_id] = SessionState.LEFT if session is None else state_of(session)
    return _moved(
        watch, followed, ambiguous=ambiguous, listed=listed, now=now, after_connect=after_connect
    )


def blind(watch: Watch, now: datetime, *, grace: float = BLIND_GRACE) -> Watch:
    """The watch after a look that failed: it ends (STOPPED) only once well past its end."""
    if watch.final or now < watch.expires_at + timedelta(seconds=grace):
        return watch
    # Not UNUSED: without an answer, lenspin cannot tell whether the PIN was used.
    return stopped(watch, now)


def stopped(watch: Watch, now: datetime) -> Watch:
    """The watch, no longer watched (its code was refused, or watching gave up)."""
    if watch.final:
        return watch
    return replace(watch, state=SessionState.STOPPED, updated_at=now)


def is_news(before: Watch, after: Watch) -> bool:
    """True when the technician should hear of the change from before to after."""
    if after.state is not before.state or after.ambiguous != before.ambiguous:
        return True
    return after.state is SessionState.OTHER and after.status_text != before.status_text


def _arrived_since_issue(watch: Watch, session: QueueSession, now: datetime) -> bool:
    if session.waiting_seconds is None or state_of(session) is not SessionState.WAITING:
        return False  # picked up or ended already: a look cannot tell when it came
    began = now - timedelta(seconds=session.waiting_seconds + ARRIVAL_MARGIN)
    return began >= watch.issued_at and same_fields(watch.fields, session.fields)


def _unused_if_ended(watch: Watch, now: datetime) -> Watch:
    if now < watch.expires_at:
        return watch
    return replace(watch, state=SessionState.UNUSED, updated_at=now)


def _moved(
    watch: Watch,
    followed: dict[int, SessionState],
    *,
    ambiguous: bool,
    listed: Mapping[int, QueueSession],
    now: datetime,
    after_connect: float,
) -> Watch:
    state = _together(followed.values())
    # The session the words are about: the one followed, or a candidate in the stated state.
    shown = next(
        (listed[i] for i, s in followed.items() if s is state and i in listed),
        None,
    )
    status_text, status_since = watch.status_text, watch.status_since
    if shown is not None and (shown.status_text != status_text or status_since is None):
        status_text = shown.status_text
        status_since = now - timedelta(seconds=shown.waiting_seconds or 0)
    connected_at, picked_up_at = watch.connected_at, watch.picked_up_at
    expires_at = watch.expires_at
    if connected_at is None:
        # Before the first sighting, by as long as it waited then (never before the PIN).
        waited = shown.waiting_seconds if shown and state is SessionState.WAITING else 0
        connected_at = max(watch.issued_at, now - timedelta(seconds=waited or 0))
        expires_at = max(expires_at, now + timedelta(seconds=after_connect))
    if state is SessionState.PICKED_UP and picked_up_at is None:
        since = shown.waiting_seconds if shown is not None else 0
        picked_up_at = max(connected_at, now - timedelta(seconds=since or 0))
    if not state.final and now >= expires_at:
        state = SessionState.STOPPED  # followed long enough: the queue never said more
    moved = replace(
        watch,
        sessions=followed,
        ambiguous=ambiguous,
        session_id=None if ambiguous else next(iter(followed)),
        state=state,
        status_text=status_text,
        status_since=status_since,
        connected_at=connected_at,
        picked_up_at=picked_up_at,
        expires_at=expires_at,
    )
    # Unchanged stays unchanged: a session waiting on is no write at every look.
    return watch if moved == watch else replace(moved, updated_at=now)


def _together(states: Iterable[SessionState]) -> SessionState:
    """What is true of at least one followed session: while one is in the queue, that;
    once all ended, picked up if one was, else left."""
    found = set(states)
    for open_state in (SessionState.WAITING, SessionState.OTHER):
        if open_state in found:
            return open_state
    return SessionState.PICKED_UP if SessionState.PICKED_UP in found else SessionState.LEFT


def _plain(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
