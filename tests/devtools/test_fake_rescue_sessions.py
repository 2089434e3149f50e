"""The fake Rescue's getSession_V3: scripted queues on its clock, per-node behaviours, polls."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import requests
from lxml import etree

from devtools.fake_rescue import (
    NS,
    PICKED_UP,
    SOAP11_NS,
    SOAP12_NS,
    WAITING,
    Customer,
    Delay,
    FakeRescue,
    Fault,
    Hang,
    ManualClock,
    Result,
    Stage,
)

AUTH = "sessions-auth-code"
OTHER = "sessions-other-code"
TIMEOUT = 5.0
WSDL = Path(__file__).resolve().parents[2] / "bot" / "rescue" / "wsdl" / "API.wsdl"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
REQUEST = {
    "sCField0": "Jane Doe",
    "sCField1": "Printer",
    "sCField2": "",
    "sCField3": "three",
    "sCField4": "",
    "sCField5": "five",
    "sTracking0": "INC-1",
    "bNoTechConsole": "false",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(AUTH, OTHER), rate_limit=None, clock=clock) as server:
        yield server


@pytest.fixture
def node(fake: FakeRescue) -> int:
    return fake.tech_id(AUTH)


def call(
    fake: FakeRescue,
    operation: str,
    fields: Mapping[str, str],
    version: str = "1.1",
    timeout: float = TIMEOUT,
) -> requests.Response:
    """POST one SOAP call, shaped as zeep sends it."""
    env_ns = SOAP11_NS if version == "1.1" else SOAP12_NS
    root = etree.Element(f"{{{env_ns}}}Envelope", nsmap={"soap": env_ns, "xsi": XSI})
    body = etree.SubElement(root, f"{{{env_ns}}}Body")
    op = etree.SubElement(body, f"{{{NS}}}{operation}", nsmap={None: NS})
    for name, value in fields.items():
        etree.SubElement(op, f"{{{NS}}}{name}").text = value
    action = f"{NS}/{operation}"
    headers = (
        {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        if version == "1.1"
        else {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
    )
    data = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return requests.post(fake.url, data=data, headers=headers, timeout=timeout)


def pin(fake: FakeRescue, auth_code: str = AUTH, operation: str = "requestLensPINCodeV2") -> str:
    """Ask the fake for a PIN with REQUEST's fields; return it ("" if refused)."""
    answer = response(call(fake, operation, {**REQUEST, "sAuthCode": auth_code}), operation)
    return answer.findtext(f"{{{NS}}}sPINCode") or ""


def response(answer: requests.Response, operation: str) -> etree._Element:
    found = etree.fromstring(answer.content).find(f".//{{{NS}}}{operation}Response")
    assert found is not None, answer.text
    return found


def ask(
    fake: FakeRescue, node: int | str, auth_code: str = AUTH
) -> tuple[str, list[dict[str, str]]]:
    """getSession_V3 for node: its result and each session's children by local name."""
    fields = {"iNodeID": str(node), "sAuthCode": auth_code}
    found = response(call(fake, "getSession_V3", fields), "getSession_V3")
    result = found.findtext(f"{{{NS}}}getSession_V3Result") or ""
    listed = found.find(f"{{{NS}}}aSessions")
    sessions = [] if listed is None else list(listed)
    return result, [
        {etree.QName(child).localname: child.text or "" for child in session}
        for session in sessions
    ]


def statuses(fake: FakeRescue, node: int) -> list[tuple[str, str, str]]:
    """(bStatus, sStatus, iWaitingTimeInSec) of each session in node's queue."""
    result, sessions = ask(fake, node)
    assert result == "getSession_OK"
    return [(s["bStatus"], s["sStatus"], s["iWaitingTimeInSec"]) for s in sessions]


# --- The timeline ----------------------------------------------------------------------------


def test_a_customer_appears_after_the_pin_changes_status_then_leaves(
    fake: FakeRescue, clock: ManualClock, node: int
) -> None:
    stages = (Stage(WAITING, seconds=5), Stage(PICKED_UP, seconds=10))
    fake.sessions.on_pin(node, Customer(after=3, stages=stages))
    assert statuses(fake, node) == []
    clock.advance(60)  # time before the PIN counts for nothing
    pin(fake)

    seen = []
    for step in (0, 2.9, 0.1, 4.9, 0.1, 9.9, 0.1):
        clock.advance(step)
        seen.append(statuses(fake, node))

    assert seen == [
        [],
        [],
        [("SESSION_WAITING", "Waiting", "0")],
        [("SESSION_WAITING", "Waiting", "4")],
        [("SESSION_PICKEDUP", "Active", "0")],
        [("SESSION_PICKEDUP", "Active", "9")],
        [],
    ]


def test_the_session_shows_the_pins_name_and_custom_fields_and_no_tracking(
    fake: FakeRescue, node: int
) -> None:
    session_id = fake.sessions.on_pin(node, Customer())
    pin(fake, operation="requestLensPINCodeV3")

    _, [session] = ask(fake, node)

    assert session["iID"] == str(session_id)
    assert {name: session[name] for name in session if name.startswith("sCustomField")} == {
        "sCustomField0": "Jane Doe",
        "sCustomField1": "Printer",
        "sCustomField2": "",
        "sCustomField3": "three",
        "sCustomField4": "",
        "sCustomField5": "five",
    }
    assert "INC-1" not in session.values()


def test_a_session_lists_the_wsdls_elements_in_its_order(fake: FakeRescue, node: int) -> None:
    fake.sessions.add(node, Customer(after=-3725, technician="Tess Tech"))

    _, [session] = ask(fake, node)

    schema = etree.parse(str(WSDL))
    xs = "http://www.w3.org/2001/XMLSchema"
    declared = schema.find(f".//{{{xs}}}complexType[@name='SESSION_V3']")
    assert declared is not None
    assert list(session) == [e.get("name") for e in declared.iter(f"{{{xs}}}element")]
    assert session["iTechnician"] == str(node)
    assert session["sTechnician"] == "Tess Tech"
    assert session["iWaitingTimeInSec"] == "3725"
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d [AP]M", session["sStartTime"])


def test_a_customer_waits_for_their_own_pin_when_given_one(
    fake: FakeRescue, clock: ManualClock, node: int
) -> None:
    first = pin(fake)
    later = f"{int(first) + 2:06d}"  # the PIN after next
    fake.sessions.on_pin(node, Customer(after=1), pin=later)
    fake.sessions.on_pin(node, Customer(after=2))
    pin(fake)  # the next one: for the customer expecting any PIN
    clock.advance(5)
    assert len(statuses(fake, node)) == 1

    pin(fake)
    clock.advance(1)

    assert len(statuses(fake, node)) == 2


def test_only_a_pin_issued_on_that_node_brings_its_customer(
    fake: FakeRescue, clock: ManualClock, node: int
) -> None:
    fake.sessions.on_pin(node, Customer())
    fake.set_console_running(AUTH, False)
    assert pin(fake) == ""  # refused: no PIN, no customer
    pin(fake, auth_code=OTHER)  # another technician's PIN
    clock.advance(1)
    assert statuses(fake, node) == []

    fake.set_console_running(AUTH, True)
    pin(fake)

    assert len(statuses(fake, node)) == 1


def test_a_forced_pin_brings_its_customer_too(fake: FakeRescue, node: int) -> None:
    fake.sessions.on_pin(node, Customer(), pin="004821")
    fake.queue(Result(pin="004821"))

    assert pin(fake) == "004821"
    assert len(statuses(fake, node)) == 1


def test_sessions_added_now_or_already_waiting(
    fake: FakeRescue, clock: ManualClock, node: int
) -> None:
    fake.sessions.add(node, Customer(after=-120), fields={"sCustomField0": "Jane Doe"})
    fake.sessions.add(node, Customer(after=10), fields={"sCustomField0": "Jane Doe"})
    assert statuses(fake, node) == [("SESSION_WAITING", "Waiting", "120")]

    clock.advance(10)

    assert statuses(fake, node) == [
        ("SESSION_WAITING", "Waiting", "130"),
        ("SESSION_WAITING", "Waiting", "0"),
    ]


def test_unknown_statuses_show_the_text_given_or_their_own_name(
    fake: FakeRescue, node: int
) -> None:
    fake.sessions.add(node, Customer(stages=(Stage("SESSION_UACCESS_X", text="Remote access"),)))
    fake.sessions.add(node, Customer(stages=(Stage("SESSION_CLOSED_Y"),)))

    assert [s[:2] for s in statuses(fake, node)] == [
        ("SESSION_UACCESS_X", "Remote access"),
        ("SESSION_CLOSED_Y", "SESSION_CLOSED_Y"),
    ]


def test_a_session_can_leave_out_elements_and_carry_unknown_ones(
    fake: FakeRescue, node: int
) -> None:
    fake.sessions.add(node, Customer(omit=("sStatus", "iWaitingTimeInSec"), add=(("sNew", "x"),)))

    _, [session] = ask(fake, node)

    assert "sStatus" not in session
    assert "iWaitingTimeInSec" not in session
    assert list(session)[-1] == "sNew"


def test_scripts_that_cannot_happen_are_refused(fake: FakeRescue, node: int) -> None:
    with pytest.raises(ValueError, match="at least one Stage"):
        Customer(stages=())
    with pytest.raises(ValueError, match="only the last Stage"):
        Customer(stages=(Stage(), Stage(PICKED_UP)))
    with pytest.raises(ValueError, match="negative"):
        Stage(seconds=-1)
    with pytest.raises(ValueError, match="not session fields: sCField0"):
        fake.sessions.add(node, Customer(), fields={"sCField0": "x"})
    with pytest.raises(ValueError, match="does not go back"):
        ManualClock().advance(-1)


# --- Rescue's logic --------------------------------------------------------------------------


def test_a_code_sees_its_own_node_and_scripted_ones_only(fake: FakeRescue, node: int) -> None:
    other_node = fake.tech_id(OTHER)
    channel = 900

    assert ask(fake, node) == ("getSession_OK", [])
    assert ask(fake, node, auth_code="unknown-code")[0] == "getSession_Invalid_SecretAuthCode"
    assert ask(fake, other_node)[0] == "getSession_InvalidParam_NodeID"
    assert ask(fake, "not-a-number")[0] == "getSession_InvalidParam_NodeID"
    assert ask(fake, channel)[0] == "getSession_InvalidParam_NodeID"
    fake.sessions.add(channel, Customer())
    assert ask(fake, channel)[0] == "getSession_OK"
    assert len(ask(fake, channel)[1]) == 1


def test_an_empty_queue_answers_an_empty_list_and_a_refusal_none(
    fake: FakeRescue, node: int
) -> None:
    fields = {"iNodeID": str(node), "sAuthCode": AUTH}
    ok = response(call(fake, "getSession_V3", fields, "1.2"), "getSession_V3")
    refused = response(call(fake, "getSession_V3", {**fields, "sAuthCode": "x"}), "getSession_V3")

    assert [etree.QName(child).localname for child in ok] == ["getSession_V3Result", "aSessions"]
    assert len(ok[1]) == 0
    assert [etree.QName(child).localname for child in refused] == ["getSession_V3Result"]


# --- Per-node behaviours and polls -----------------------------------------------------------


def test_a_nodes_behaviours_come_first_once_each_then_its_default(
    fake: FakeRescue, node: int
) -> None:
    other_node = fake.tech_id(OTHER)
    fake.sessions.add(node, Customer())
    fake.sessions.queue(node, Result(code="getSession_NotLoggedIn"))

    assert ask(fake, node) == ("getSession_NotLoggedIn", [])
    assert ask(fake, other_node, auth_code=OTHER) == ("getSession_OK", [])
    assert ask(fake, node)[0] == "getSession_OK"
    fake.sessions.set_default(node, Result(code="getSession_User_Deleted_Or_Disabled"))
    assert ask(fake, node)[0] == "getSession_User_Deleted_Or_Disabled"
    assert ask(fake, node)[0] == "getSession_User_Deleted_Or_Disabled"
    fake.sessions.set_default(node, None)
    assert ask(fake, node)[0] == "getSession_OK"


def test_a_nodes_script_leaves_the_shared_queue_for_other_calls(
    fake: FakeRescue, node: int
) -> None:
    fake.sessions.queue(node, Fault())
    fake.queue(Result(pin="123456"))

    answer = call(fake, "getSession_V3", {"iNodeID": str(node), "sAuthCode": AUTH})

    assert answer.status_code == 500
    assert pin(fake) == "123456"


def test_a_forced_ok_lists_the_queue_as_it_stands(fake: FakeRescue, node: int) -> None:
    fake.sessions.add(node, Customer())
    fake.sessions.queue(node, Result(code="getSession_OK"))

    assert statuses(fake, node) == [("SESSION_WAITING", "Waiting", "0")]


def test_a_slow_node_answers_late_and_a_hanging_one_never(fake: FakeRescue, node: int) -> None:
    fake.sessions.queue(node, Delay(0.2), Hang())
    fields = {"iNodeID": str(node), "sAuthCode": AUTH}
    started = time.monotonic()

    assert call(fake, "getSession_V3", fields).status_code == 200
    assert time.monotonic() - started >= 0.2
    with pytest.raises(requests.ReadTimeout):
        call(fake, "getSession_V3", fields, timeout=0.3)
    assert len(fake.sessions.polls(node)) == 2


def test_polls_are_counted_per_node_with_their_times(
    fake: FakeRescue, clock: ManualClock, node: int
) -> None:
    other_node = fake.tech_id(OTHER)
    ask(fake, node)
    clock.advance(5)
    ask(fake, node)
    ask(fake, other_node, auth_code=OTHER)
    ask(fake, "garbage")  # no node: not a poll of anyone

    polls = fake.sessions.polls(node)

    assert [p.at for p in polls] == [1000.0, 1005.0]
    assert all(p.node == node for p in polls)
    assert polls[0].received_at <= polls[1].received_at
    assert [p.node for p in fake.sessions.polls()] == [node, node, other_node]
    assert [c.received_at for c in fake.calls[:2]] == [p.received_at for p in polls]


def test_wait_for_polls_returns_once_they_arrive_or_says_how_many_came(
    fake: FakeRescue, node: int
) -> None:
    def poll_three_times() -> None:
        for _ in range(3):
            ask(fake, node)

    worker = threading.Thread(target=poll_three_times)
    worker.start()
    polls = fake.sessions.wait_for_polls(node, 3)
    worker.join(TIMEOUT)

    assert len(polls) == 3
    with pytest.raises(AssertionError, match="at least 4 getSession_V3 call\\(s\\) for node"):
        fake.sessions.wait_for_polls(node, 4, timeout=0.05)


def test_reset_forgets_sessions_scripts_behaviours_and_polls(
    fake: FakeRescue, clock: ManualClock, node: int
) -> None:
    fake.sessions.add(node, Customer())
    fake.sessions.on_pin(node, Customer())
    fake.sessions.set_default(node, Result(code="getSession_Error"))
    ask(fake, node)

    fake.reset()
    pin(fake)

    assert statuses(fake, node) == []
    assert len(fake.sessions.polls(node)) == 1
    assert clock() == 1000.0  # the clock is the test's: reset leaves it
