"""RescueClient.get_sessions against the fake API.asmx over real HTTP on loopback."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterator

import pytest

from bot.fields import FIELD_KEYS, TRACKING
from bot.rescue import QueueSession, SessionResult, SessionStatus
from bot.rescue.client import RescueClient
from bot.rescue.errors import Rejected, Timeout, Unavailable
from bot.rescue.models import PinRequest
from bot.rescue.transport import MAX_REPLY_BYTES
from tests.support import (
    NS,
    PICKED_UP,
    WAITING,
    Amend,
    Customer,
    Delay,
    FakeRescue,
    Fault,
    Garbage,
    Hang,
    HttpError,
    MakeClient,
    ManualClock,
    Result,
    Stage,
    build_response,
)

AUTH = "sessions-auth-code"
OTHER_AUTH = "sessions-other-auth-code"
SHORT = 0.3  # the timeout where a test waits for it to pass
SLACK = 0.35  # how late past the deadline a Timeout may still arrive on a busy machine
SESSION_KEYS = tuple(key for key in FIELD_KEYS if key != TRACKING)
FULL_FIELDS = {
    "sCustomField0": "Jane Doe",
    "sCustomField1": "Printer on floor 3",
    "sCustomField2": "custom 2",
    "sCustomField3": "custom 3",
    "sCustomField4": "custom 4",
    "sCustomField5": "custom 5",
}
FULL_KEYS = {
    "name": "Jane Doe",
    "custom1": "Printer on floor 3",
    "custom2": "custom 2",
    "custom3": "custom 3",
    "custom4": "custom 4",
    "custom5": "custom 5",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(AUTH, OTHER_AUTH), rate_limit=None, clock=clock) as server:
        yield server


@pytest.fixture
def node(fake: FakeRescue) -> int:
    return fake.tech_id(AUTH)


def session_body(children: list[tuple[str, str]], version: str = "1.1") -> bytes:
    """A getSession_V3 OK answer holding one SESSION_V3 with exactly these children."""
    sessions = [("SESSION_V3", children)]
    return build_response(version, "getSession_V3", "getSession_OK", [("aSessions", sessions)])


# --- What goes on the wire -------------------------------------------------------------------


@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_an_empty_queue_is_an_empty_list_and_enoderef_is_not_sent(
    fake: FakeRescue, make_client: MakeClient, node: int, soap_version: str
) -> None:
    sessions = make_client(soap_version=soap_version).get_sessions(AUTH, node)

    assert sessions == []
    [call] = fake.calls
    assert call.operation == "getSession_V3"
    assert call.soap_version == soap_version
    assert call.soap_action == f"{NS}/getSession_V3"
    assert call.fields == {"iNodeID": str(node), "sAuthCode": AUTH}
    assert b"eNodeRef" not in call.body


@pytest.mark.parametrize("node_id", [0, -5001, 2**31, True])
def test_a_node_that_is_no_int32_id_is_refused_before_sending(
    fake: FakeRescue, client: RescueClient, node_id: int
) -> None:
    with pytest.raises(ValueError, match="node_id must be a positive 32-bit integer"):
        client.get_sessions(AUTH, node_id)

    assert fake.calls == []


def test_an_auth_code_xml_cannot_carry_is_refused_before_sending(
    fake: FakeRescue, client: RescueClient, node: int
) -> None:
    with pytest.raises(ValueError, match=r"XML 1\.0 cannot carry the text of sAuthCode$"):
        client.get_sessions(f"{AUTH}\x00", node)

    assert fake.calls == []


# --- OK: none, one, many ---------------------------------------------------------------------


@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_one_session_is_read_whole(
    fake: FakeRescue, make_client: MakeClient, node: int, soap_version: str
) -> None:
    session_id = fake.sessions.add(
        node,
        Customer(after=-75, stages=(Stage(WAITING),), technician="Tess Tech"),
        fields=FULL_FIELDS,
    )

    sessions = make_client(soap_version=soap_version).get_sessions(AUTH, node)

    assert sessions == [
        QueueSession(
            session_id=session_id,
            status=SessionStatus.WAITING,
            status_text="Waiting",
            raw_status="SESSION_WAITING",
            waiting_seconds=75,
            fields=FULL_KEYS,
            technician="Tess Tech",
        )
    ]


def test_many_sessions_are_read_in_the_order_rescue_lists_them(
    fake: FakeRescue, client: RescueClient, clock: ManualClock, node: int
) -> None:
    ids = [
        fake.sessions.add(
            node,
            Customer(after=-i, stages=(Stage(PICKED_UP if i % 2 else WAITING),)),
            fields={"sCustomField0": f"Customer {i}"},
        )
        for i in range(40)
    ]
    clock.advance(10)

    sessions = client.get_sessions(AUTH, node)

    assert [s.session_id for s in sessions] == ids
    assert [s.fields["name"] for s in sessions] == [f"Customer {i}" for i in range(40)]
    assert [s.waiting_seconds for s in sessions] == [10 + i for i in range(40)]
    assert [s.status for s in sessions[:2]] == [SessionStatus.WAITING, SessionStatus.PICKED_UP]
    assert {s.status_text for s in sessions} == {"Waiting", "Active"}


def test_a_pins_session_carries_its_fields_by_key_and_no_tracking(
    fake: FakeRescue, client: RescueClient, clock: ManualClock, node: int
) -> None:
    fake.sessions.on_pin(node, Customer(after=3))
    request = PinRequest(
        name="  Jane Doe ",
        custom1="Printer on floor 3",
        custom5="five",
        tracking="INC-20418",
        no_tech_console=True,
    )
    client.request_lens_pin(request, auth_code=AUTH)
    assert client.get_sessions(AUTH, node) == []

    clock.advance(3)
    [session] = client.get_sessions(AUTH, node)

    assert set(session.fields) == set(SESSION_KEYS)
    assert TRACKING not in session.fields
    # As sent, spaces and all; a field the request left empty reads as "".
    assert session.fields == {
        "name": "  Jane Doe ",
        "custom1": "Printer on floor 3",
        "custom2": "",
        "custom3": "",
        "custom4": "",
        "custom5": "five",
    }


def test_a_session_changes_status_then_leaves(
    fake: FakeRescue, client: RescueClient, clock: ManualClock, node: int
) -> None:
    stages = (Stage(WAITING, seconds=5), Stage(PICKED_UP, seconds=20))
    fake.sessions.add(node, Customer(stages=stages), fields={"sCustomField0": "Jane"})

    seen = []
    for step in (2, 4, 10, 20):
        clock.advance(step)
        seen.append([(s.status, s.waiting_seconds) for s in client.get_sessions(AUTH, node)])

    assert seen == [
        [(SessionStatus.WAITING, 2)],
        [(SessionStatus.PICKED_UP, 1)],
        [(SessionStatus.PICKED_UP, 11)],
        [],
    ]


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [code for code in SessionResult if code not in (SessionResult.OK, SessionResult.UNKNOWN)],
)
@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_every_other_result_is_rejected_with_that_code(
    fake: FakeRescue, make_client: MakeClient, node: int, code: SessionResult, soap_version: str
) -> None:
    fake.sessions.add(node, Customer())  # a refusal lists nothing, whatever the queue holds
    fake.sessions.queue(node, Result(code=code.value))

    with pytest.raises(Rejected) as caught:
        make_client(soap_version=soap_version).get_sessions(AUTH, node)

    assert caught.value.code is code
    assert caught.value.raw == code.value


@pytest.mark.parametrize("sent", ["getSession_SomethingNew", "getAccount_OK", ""])
def test_an_unknown_result_is_rejected_as_unknown(
    fake: FakeRescue, client: RescueClient, node: int, sent: str
) -> None:
    fake.sessions.queue(node, Result(code=sent))

    with pytest.raises(Rejected) as caught:
        client.get_sessions(AUTH, node)

    assert caught.value.code is SessionResult.UNKNOWN
    assert caught.value.raw == sent


def test_rescue_logic_of_the_fake_maps_to_rejections(
    fake: FakeRescue, client: RescueClient, node: int
) -> None:
    with pytest.raises(Rejected) as bad_code:
        client.get_sessions("not-a-known-code", node)
    with pytest.raises(Rejected) as bad_node:
        client.get_sessions(AUTH, fake.tech_id(OTHER_AUTH) + 100)

    assert bad_code.value.code is SessionResult.INVALID_SECRET_AUTH_CODE
    assert bad_node.value.code is SessionResult.INVALID_NODE


# --- What the notes leave open ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("SESSION_UACCESS_WAITINGFORCUSTOMER", "Waiting for customer"),
        ("SESSION_CLOSED_BYADMIN", "Closed by Admin"),
        ("SESSION_FROM_A_NEWER_RESCUE", "Something new"),
        ("session_waiting", "Waiting (lower case)"),
    ],
)
def test_an_unknown_status_is_kept_with_its_text(
    fake: FakeRescue, client: RescueClient, node: int, status: str, text: str
) -> None:
    fake.sessions.add(node, Customer(stages=(Stage(status, text=text),)))

    [session] = client.get_sessions(AUTH, node)

    assert session.status is SessionStatus.UNKNOWN
    assert session.raw_status == status
    assert session.status_text == text


@pytest.mark.parametrize(
    "status", [s for s in SessionStatus if s is not SessionStatus.UNKNOWN], ids=lambda s: s.name
)
def test_every_status_the_notes_list_is_read_as_its_member(
    fake: FakeRescue, client: RescueClient, node: int, status: SessionStatus
) -> None:
    fake.sessions.add(node, Customer(stages=(Stage(status.value, text="shown"),)))

    [session] = client.get_sessions(AUTH, node)

    assert session.status is status
    assert (session.raw_status, session.status_text) == (status.value, "shown")


def test_a_session_with_only_its_id_is_still_read(
    fake: FakeRescue, client: RescueClient, node: int
) -> None:
    everything_but_the_id = (
        "bStatus",
        "sStatus",
        "iEntry",
        "sEntry",
        "iTechnician",
        "sTechnician",
        "sStartTime",
        "iWaitingTimeInSec",
        *FULL_FIELDS,
        "sLanguage",
        "sTransferredTo",
        "sTransferredComment",
        "bIsLead",
        "bHandingOff",
    )
    session_id = fake.sessions.add(node, Customer(omit=everything_but_the_id), fields=FULL_FIELDS)

    assert client.get_sessions(AUTH, node) == [
        QueueSession(
            session_id=session_id,
            status=SessionStatus.UNKNOWN,
            status_text="",
            raw_status="",
            waiting_seconds=None,
            fields=dict.fromkeys(SESSION_KEYS, ""),
            technician="",
        )
    ]


def test_empty_elements_read_as_empty_texts_and_no_waiting_time(
    fake: FakeRescue, client: RescueClient
) -> None:
    children = [
        ("iID", "31337"),
        ("bStatus", ""),
        ("sStatus", ""),
        ("iWaitingTimeInSec", ""),
        ("sCustomField0", ""),
        ("sTechnician", ""),
    ]
    fake.queue(Garbage(body=session_body(children)))

    [session] = client.get_sessions(AUTH, 5001)

    assert session.session_id == 31337
    assert session.status is SessionStatus.UNKNOWN
    assert session.waiting_seconds is None
    assert session.fields["name"] == ""
    assert session.technician == ""


@pytest.mark.parametrize(
    "amend",
    [Amend(add=(), omit=("aSessions",)), Amend(add=(("aSessions", ""),), omit=("aSessions",))],
    ids=["absent", "empty"],
)
def test_an_absent_or_empty_list_is_no_session(
    fake: FakeRescue, client: RescueClient, node: int, amend: Amend
) -> None:
    fake.sessions.add(node, Customer())
    fake.sessions.queue(node, amend)

    assert client.get_sessions(AUTH, node) == []


def test_unknown_elements_inside_a_session_and_any_order_are_read_alike(
    fake: FakeRescue, client: RescueClient, node: int
) -> None:
    session_id = fake.sessions.add(
        node,
        Customer(add=(("sBrowserType", "Lens"), ("{urn:elsewhere}iID", "1"))),
        fields=FULL_FIELDS,
    )
    plain = client.get_sessions(AUTH, node)
    children: list[tuple[str, str]] = [
        ("sNewField", "x"),
        ("sCustomField0", "Jane Doe"),
        ("iWaitingTimeInSec", "12"),
        ("sStatus", "Active"),
        ("bStatus", "SESSION_PICKEDUP"),
        ("iID", "555"),
    ]
    fake.queue(Garbage(body=session_body(children)))

    [reordered] = client.get_sessions(AUTH, node)

    assert [s.session_id for s in plain] == [session_id]
    assert plain[0].fields == FULL_KEYS
    assert (reordered.session_id, reordered.status, reordered.waiting_seconds) == (
        555,
        SessionStatus.PICKED_UP,
        12,
    )
    assert reordered.fields["name"] == "Jane Doe"


@pytest.mark.parametrize(
    "children",
    [
        [("bStatus", "SESSION_WAITING")],
        [("iID", "")],
        [("iID", "not a number")],
        [("iID", "1"), ("iID", "2")],
    ],
    ids=["no-id", "empty-id", "bad-id", "two-ids"],
)
def test_a_session_without_one_usable_id_makes_the_answer_unavailable(
    fake: FakeRescue, client: RescueClient, children: list[tuple[str, str]]
) -> None:
    fake.queue(Garbage(body=session_body(children)))

    with pytest.raises(Unavailable):
        client.get_sessions(AUTH, 5001)


# --- Failures that are not results -----------------------------------------------------------


def test_a_slow_answer_times_out_within_the_deadline(
    fake: FakeRescue, make_client: MakeClient, node: int
) -> None:
    fake.sessions.queue(node, Delay(SHORT + 5))
    client = make_client(timeout=SHORT)
    started = time.monotonic()

    with pytest.raises(Timeout):
        client.get_sessions(AUTH, node)

    assert SHORT - 0.05 < time.monotonic() - started < SHORT + SLACK
    assert len(fake.sessions.polls(node)) == 1


def test_a_hanging_node_times_out_and_the_next_call_answers(
    fake: FakeRescue, make_client: MakeClient, node: int
) -> None:
    fake.sessions.queue(node, Hang())
    client = make_client(timeout=SHORT)

    with pytest.raises(Timeout):
        client.get_sessions(AUTH, node)

    assert client.get_sessions(AUTH, node) == []


def test_a_slow_but_timely_answer_is_read(
    fake: FakeRescue, make_client: MakeClient, node: int
) -> None:
    fake.sessions.add(node, Customer())
    fake.sessions.queue(node, Delay(0.1))

    assert len(make_client(timeout=2.0).get_sessions(AUTH, node)) == 1


def test_an_answer_over_the_size_cap_is_unavailable(
    fake: FakeRescue, client: RescueClient, node: int
) -> None:
    # A queue no technician has: 300 sessions with long custom fields, over the cap in all.
    long_fields = {f"sCustomField{i}": "x" * 1000 for i in range(1, 5)}
    for _ in range(300):
        fake.sessions.add(node, Customer(), fields=long_fields)
    assert MAX_REPLY_BYTES < 300 * 4 * 1000

    with pytest.raises(Unavailable, match="too large"):
        client.get_sessions(AUTH, node)


@pytest.mark.parametrize(
    "behaviour",
    [Fault(), HttpError(status=503), Garbage(body=b"<soap:Envelope><unclosed")],
    ids=["fault", "html-error", "garbage"],
)
def test_a_fault_an_error_page_or_garbage_is_unavailable(
    fake: FakeRescue, client: RescueClient, node: int, behaviour: Fault | HttpError | Garbage
) -> None:
    fake.sessions.queue(node, behaviour)

    with pytest.raises(Unavailable):
        client.get_sessions(AUTH, node)


# --- Customer data stays out of logs, errors and reprs ----------------------------------------


def test_no_customer_field_or_auth_code_reaches_logs_errors_or_reprs(
    fake: FakeRescue, client: RescueClient, node: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, so zeep and urllib3 speak up too
    secret_fields = {name: f"secret-{name}-8812" for name in FULL_FIELDS}
    fake.sessions.add(
        node, Customer(add=(("sUnknown", "secret-unknown-8812"),)), fields=secret_fields
    )
    sessions = client.get_sessions(AUTH, node)
    errors: list[BaseException] = []
    for behaviour in (
        Result(code=SessionResult.ERROR.value),
        Fault(message=f"It broke on {secret_fields['sCustomField1']}"),
        Garbage(body=session_body([("iID", "x"), ("sCustomField0", "secret-garbage-8812")])),
    ):
        fake.sessions.queue(node, behaviour)
        try:
            client.get_sessions(AUTH, node)
        except (Rejected, Unavailable) as exc:
            errors.append(exc)

    assert len(sessions) == 1
    assert sessions[0].fields["name"] == "secret-sCustomField0-8812"
    assert len(errors) == 3
    shown = repr(sessions) + str(sessions)
    assert "secret-" not in shown
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    raised = "".join("".join(traceback.format_exception(error)) for error in errors)
    for text in (logged, raised):
        assert "-8812" not in text
        assert AUTH not in text
        assert "Envelope" not in text
    # The routine answer of a polled queue is logged, but at DEBUG: it comes every few seconds.
    routine = [
        r for r in caplog.records if r.getMessage().startswith("Rescue getSession_V3 answered OK")
    ]
    assert routine
    assert {r.levelno for r in routine} == {logging.DEBUG}
