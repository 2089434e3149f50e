"""The LogMeIn Rescue SOAP client: zeep over our shipped WSDL, with a total deadline per call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeGuard, TypeVar
from urllib.parse import urlsplit

import requests
import zeep
import zeep.exceptions
from lxml import etree

from bot.fields import PIN_FIELDS
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import (
    SMS_LANGUAGES,
    Account,
    AccountResult,
    AuthResult,
    Pin,
    PinRequest,
    QueueSession,
    ResultCode,
    SessionResult,
    SessionStatus,
    is_xml_safe,
)
from bot.rescue.reading import LiberalReader
from bot.rescue.transport import DeadlineAdapter, DeadlineTransport

__all__ = ["RescueClient"]

# Operations called on a timer rather than by a technician (bot.watch polls queues).
_POLLED = frozenset({"getSession_V3"})
log = logging.getLogger("bot.rescue")

WSDL_PATH = Path(__file__).with_name("wsdl") / "API.wsdl"
_TNS = "https://secure.logmeinrescue.com/API/API.asmx"
_BINDINGS = {"1.1": f"{{{_TNS}}}APISoap", "1.2": f"{{{_TNS}}}APISoap12"}

# Above the thread pool that calls us, so concurrent calls keep their connections.
_POOL_SIZE = 16
# Rescue's own strings (an unknown result code) end up in logs; keep them short.
_MAX_RAW = 80
_MISSING = object()

# Constrained rather than bound to ResultEnum: these are what Rejected can carry.
_Result = TypeVar("_Result", ResultCode, AuthResult, AccountResult, SessionResult)
# Where getSession_V3's SESSION_V3 elements carry the PIN fields, by lenspin's key.
_SESSION_FIELDS = {f.key: f.session_element for f in PIN_FIELDS if f.session_element}
# iNodeID is an xsd:int; node ids (technicians, channels) are positive.
_MAX_INT32 = 2**31 - 1


class RescueClient:
    """Calls Rescue's API.asmx; one instance is built at start-up and shared by all threads."""

    def __init__(
        self,
        *,
        api_url: str,
        soap_version: str = "1.1",
        timeout: float = 15.0,
        session: requests.Session | None = None,
    ) -> None:
        """Load the shipped WSDL and bind it to api_url.

        A session passed in is used as is and left open by close(); without this module's
        adapter mounted, its deadline is enforced between reads only, not within one.
        """
        if soap_version not in _BINDINGS:
            raise ValueError("soap_version must be '1.1' or '1.2'")
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise ValueError("api_url must be an http(s) URL")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=_POOL_SIZE)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session
        settings = zeep.Settings(
            # Strict, for the XML and the namespaces; LiberalReader lets unknown elements by.
            strict=True,
            xml_huge_tree=False,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        transport = DeadlineTransport(session=session, timeout=timeout)
        client = zeep.Client(str(WSDL_PATH), transport=transport, settings=settings)
        binding = _BINDINGS[soap_version]
        client.plugins.append(LiberalReader(client.wsdl.bindings[binding]))
        self._service = client.create_service(binding, api_url)

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        """Ask Rescue for a Lens PIN (and an SMS invite); raise Rejected, Unavailable or Timeout."""
        # V3 is V2 plus the SMS invitation; without a number V2 stays the call we know best.
        operation = "requestLensPINCodeV3" if request.sms_number else "requestLensPINCodeV2"
        fields = {f.element: request.fields[f.key] for f in PIN_FIELDS}
        fields["sAuthCode"] = auth_code
        if request.sms_number:
            if request.sms_language not in SMS_LANGUAGES:
                # A guard (callers validate first), raised before anything is sent; the message
                # leaves out the value, since whatever a caller let through may be anything.
                raise ValueError(f"sms_language must be one of {', '.join(SMS_LANGUAGES)}")
            # zeep sends elements in the WSDL's order, so these follow sAuthCode on the wire.
            fields["sPhoneNumber"] = request.sms_number
            fields["sLangCode"] = request.sms_language
        flags = {"bNoTechConsole": bool(request.no_tech_console)}
        try:
            reply = self._ask(operation, ResultCode.OK, fields, flags)
        except Rejected as exc:
            # An unknown result is quoted in the error's text, which is logged; the customer's
            # number must not ride along should a reply ever echo it there.
            if request.sms_number and _digits(request.sms_number) in _digits(exc.raw):
                raise Rejected(exc.code, "(a result quoting the phone number)") from None
            raise
        try:
            return Pin.from_rescue(getattr(reply, "sPINCode", None))
        except ValueError:
            raise _unusable(operation, "PIN") from None

    def request_auth_code(self, *, email: str, password: str) -> str:
        """Log in by email and password; return the auth code, which voids the user's last one."""
        operation = "requestAuthCode"
        fields = {"sEmail": email, "sPassword": password}
        return _auth_code(operation, self._ask(operation, AuthResult.OK, fields))

    def request_auth_code_sso(self, *, sso_id: str, password: str, company_id: str) -> str:
        """Get an SSO user's auth code with the company's global SSO password (voids the last)."""
        operation = "requestAuthCodeSSO"
        fields = {"sSSOID": sso_id, "sPassword": password, "sCompany": company_id}
        reply = self._ask(operation, AuthResult.OK, fields, parse=AuthResult.parse_sso)
        return _auth_code(operation, reply)

    def get_account(self, auth_code: str) -> Account:
        """Say whose auth_code is; raise Rejected, Unavailable or Timeout."""
        operation = "getAccount_v2"
        reply = self._ask(operation, AccountResult.OK, {"sAuthCode": auth_code})
        account_id, admin_id, tech_id, running = (
            getattr(reply, name, None)
            for name in ("iAccountID", "iAdminID", "iTechID", "bTcRunning")
        )
        # Tested in the if itself (not saved in a variable first), so the guards narrow below.
        if not (
            _is_int(account_id)
            and _is_int(admin_id)
            and _is_int(tech_id)
            and isinstance(running, bool)
        ):
            raise _unusable(operation, "account")
        return Account(
            account_id=account_id,
            # ASMX leaves out a null string; an account without one is still an account.
            organization=_text(getattr(reply, "sOrganization", None)),
            admin_id=admin_id,
            tech_id=tech_id,
            email=_text(getattr(reply, "sEmail", None)),
            console_running=running,
        )

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        """List the sessions in node_id's queue (a technician's iTechID, or a channel).

        An empty or absent list is no session. Raise Rejected, Unavailable or Timeout.
        """
        if not _is_int(node_id) or not 0 < node_id <= _MAX_INT32:
            raise ValueError("node_id must be a positive 32-bit integer")
        operation = "getSession_V3"
        # eNodeRef (NODE or CHANNEL) is left out, as public clients leave it: Rescue's default.
        reply = self._ask(
            operation, SessionResult.OK, {"sAuthCode": auth_code}, {"iNodeID": node_id}
        )
        listed = getattr(reply, "aSessions", None)
        raw_sessions = getattr(listed, "SESSION_V3", None) if listed is not None else None
        sessions = [_session(raw) for raw in raw_sessions or ()]
        if any(session is None for session in sessions):
            raise _unusable(operation, "session id")
        return [session for session in sessions if session is not None]

    def close(self) -> None:
        """Release pooled connections (a session passed in stays open)."""
        if self._own_session:
            self._session.close()

    def _call(self, operation: str, **kwargs: Any) -> tuple[Any, int]:
        """Send one operation; return zeep's reply and the latency, or raise Unavailable/Timeout.

        Exception texts are written here and in the transport, short and free of envelopes
        and values, and raised `from None` because the originals (zeep's) can quote the body.
        """
        started = time.monotonic()
        try:
            return getattr(self._service, operation)(**kwargs), _ms_since(started)
        except RescueError as exc:  # from DeadlineTransport: the network side
            error: RescueError = exc
        except zeep.exceptions.Fault as exc:
            error = Unavailable(f"Rescue answered a SOAP fault ({_short(exc.code)})")
        except zeep.exceptions.TransportError as exc:
            error = Unavailable(f"Rescue answered HTTP {exc.status_code}, not a SOAP reply")
        except (zeep.exceptions.Error, etree.LxmlError, ValueError) as exc:
            error = Unavailable(f"Rescue answered something unreadable ({type(exc).__name__})")
        kind = "timeout" if isinstance(error, Timeout) else "unavailable"
        log.warning(
            "Rescue %s failed: %s (%s) after %d ms", operation, kind, error, _ms_since(started)
        )
        raise error from None

    def _ask(
        self,
        operation: str,
        ok: _Result,
        fields: dict[str, str],
        typed: Mapping[str, bool | int] | None = None,
        *,
        parse: Callable[[object], _Result] | None = None,
    ) -> Any:
        """Send one operation and return zeep's reply if its result is ok, else raise.

        fields are the text values (checked before sending); typed the booleans and numbers;
        parse reads the result code (by default the enum of ok).
        """
        _require_xml_safe(fields)
        reply, elapsed_ms = self._call(operation, **fields, **(typed or {}))
        code, raw = self._result(operation, reply, parse or type(ok).parse, elapsed_ms)
        if code is not ok:
            raise Rejected(code, raw)
        return reply

    def _result(
        self, operation: str, reply: Any, parse: Callable[[object], _Result], elapsed_ms: int
    ) -> tuple[_Result, str]:
        """Read an operation's result code from the reply and log the call's one INFO line."""
        # ASMX names the result element after the operation, in every operation.
        raw = getattr(reply, f"{operation}Result", _MISSING)
        if raw is _MISSING:
            log.warning("Rescue %s failed: unavailable (no result code)", operation)
            raise Unavailable("Rescue answered without a result code")
        # An empty result element is a result all the same: parse makes it UNKNOWN.
        raw = "" if raw is None else _short(raw)
        code = parse(raw)
        # A queue is polled every few seconds while PINs are watched: its routine answers would
        # drown the log at INFO, so they go to DEBUG; anything else about it stays at INFO.
        routine = operation in _POLLED and code.name == "OK"
        log.log(
            logging.DEBUG if routine else logging.INFO,
            "Rescue %s answered %s in %d ms",
            operation,
            code.name,
            elapsed_ms,
        )
        return code, raw


def _auth_code(operation: str, reply: Any) -> str:
    """Read the auth code from an OK reply, or raise Unavailable."""
    code = _text(getattr(reply, "sAuthCode", None))
    if not code:
        raise _unusable(operation, "auth code")
    return code


def _session(raw: Any) -> QueueSession | None:
    """Read one SESSION_V3, or None without a usable iID.

    ASMX leaves out a null string, so an absent text reads as ""; an absent waiting time reads
    as None, and a status lenspin does not know as UNKNOWN (its sStatus says what it is).
    """
    session_id = getattr(raw, "iID", None)
    if not _is_int(session_id):
        return None
    waiting = getattr(raw, "iWaitingTimeInSec", None)
    status = getattr(raw, "bStatus", None)
    return QueueSession(
        session_id=session_id,
        status=SessionStatus.parse(status),
        status_text=_text(getattr(raw, "sStatus", None)),
        raw_status=_text(status),
        waiting_seconds=waiting if _is_int(waiting) else None,
        # As sent, spaces and all: the watcher compares them with what lenspin asked for.
        fields={
            key: _as_sent(getattr(raw, element, None)) for key, element in _SESSION_FIELDS.items()
        },
        technician=_text(getattr(raw, "sTechnician", None)),
    )


def _as_sent(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_int(value: object) -> TypeGuard[int]:
    # isinstance counts a bool as an int.
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _unusable(operation: str, what: str) -> Unavailable:
    """Log and return the error for an OK reply that lacks what the caller asked for."""
    log.warning("Rescue %s failed: unavailable (OK without a usable %s)", operation, what)
    return Unavailable(f"Rescue answered OK without a usable {what}")


def _require_xml_safe(fields: dict[str, str]) -> None:
    # Names only in the message: the values are customer data or the auth code.
    bad = [name for name, value in fields.items() if not is_xml_safe(value)]
    if bad:
        raise ValueError(f"XML 1.0 cannot carry the text of {', '.join(bad)}")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch in "0123456789")


def _short(text: object) -> str:
    return str(text)[:_MAX_RAW]


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
