"""Rescue's side of the operations: technicians and their auth codes, consoles, PINs and pace."""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from devtools.fake_rescue.sessions import GET_SESSION, Queues, parse_node
from devtools.fake_rescue.soap import Child, is_true

if TYPE_CHECKING:
    from devtools.fake_rescue.faults import Result

# What getAccount_v2 reports about the (single) account every fake technician belongs to.
ACCOUNT_ID = 4242
ORGANIZATION = "Example Support"
ADMIN_ID = 1000

_AUTH_CODE_ALPHABET = string.ascii_lowercase + string.digits
_AUTH_CODE_LENGTH = 80

PIN_OK = "requestPINCode_OK"
PIN_INVALID_AUTH_CODE = "requestPINCode_Invalid_SecretAuthCode"
PIN_NO_CONSOLE = "requestPINCode_NoTechConsoleRunning"
PIN_POLL_RATE = "requestPINCode_PollRateExceeded"
AUTH_OK = "requestAuthCode_OK"
AUTH_INVALID = "requestAuthCode_Invalid"
AUTH_INVALID_COMPANY = "requestAuthCode_InvalidParam_Company"
# requestAuthCodeSSO answers requestAuthCode_* unless told to spell its results as its own
# (requestAuthCodeSSO_OK...): the guide leaves the spelling open (API-NOTES, Authentication).
_AUTH_PREFIX = "requestAuthCode_"
_SSO_PREFIX = "requestAuthCodeSSO_"
ACCOUNT_OK = "getAccount_OK"
ACCOUNT_INVALID_AUTH_CODE = "getAccount_Invalid_SecretAuthCode"
SESSION_OK = "getSession_OK"
SESSION_INVALID_NODE = "getSession_InvalidParam_NodeID"
SESSION_INVALID_AUTH_CODE = "getSession_Invalid_SecretAuthCode"

Fields = Mapping[str, str | None]
# A result code and the further values of the response, in order.
Outcome = tuple[str, list[Child]]


@dataclass
class _Identity:
    """Who an auth code belongs to, for getAccount_v2."""

    tech_id: int
    email: str


@dataclass
class _Account:
    """A Rescue login for requestAuthCode."""

    password: str
    identity: _Identity


@dataclass
class _SsoCompany:
    """A company that allows requestAuthCodeSSO."""

    password: str
    users: dict[str, _Identity]


class Directory:
    """The technicians Rescue knows, their codes and consoles, and the pace of their PINs."""

    def __init__(
        self, *, rate_limit: float | None, pins: Iterable[str] | None, queues: Queues
    ) -> None:
        self._lock = threading.Lock()
        self._queues = queues
        self._rate_limit = rate_limit
        self._codes: dict[str, _Identity] = {}
        self._console_running: dict[str, bool] = {}
        self._last_pin_at: dict[str, float] = {}
        self._accounts: dict[str, _Account] = {}
        self._sso: dict[str, _SsoCompany] = {}
        # The code each user last obtained: a new one replaces it, as in Rescue.
        self._current_code: dict[int, str] = {}
        self._pins: Iterator[str] | None = iter(pins) if pins is not None else None
        self._sso_own_names = False
        self._pin_counter = 100000
        self._next_tech_id = 5001

    # --- scripting -------------------------------------------------------------------------------

    def set_console_running(self, auth_code: str, running: bool) -> None:
        """Say whether the Technician Console of this code's user is running (default True)."""
        with self._lock:
            self._console_running[auth_code] = running

    def add_auth_code(self, code: str) -> None:
        """Make a code valid, as if its technician had requested it."""
        with self._lock:
            if code not in self._codes:
                identity = self._new_identity_locked(None)
                self._codes[code] = identity
                self._current_code[identity.tech_id] = code

    def add_account(self, email: str, password: str) -> None:
        """Create a Rescue login that requestAuthCode accepts."""
        with self._lock:
            identity = self._new_identity_locked(email)
            self._accounts[email.strip().lower()] = _Account(password, identity)

    def enable_sso(self, company_id: str, password: str, sso_ids: Iterable[str]) -> None:
        """Let requestAuthCodeSSO issue codes for these SSO ids of this company."""
        with self._lock:
            company = self._sso.setdefault(str(company_id), _SsoCompany(password, {}))
            company.password = password
            for sso_id in sso_ids:
                if sso_id not in company.users:
                    email = sso_id if "@" in sso_id else f"{sso_id}@company{company_id}.example"
                    company.users[sso_id] = self._new_identity_locked(email)

    def set_sso_own_names(self, own: bool) -> None:
        """Spell requestAuthCodeSSO's results requestAuthCodeSSO_* (True) or requestAuthCode_*."""
        with self._lock:
            self._sso_own_names = own

    def tech_id(self, auth_code: str) -> int:
        """The node (iTechID) of the technician a valid code belongs to; KeyError if unknown."""
        with self._lock:
            return self._codes[auth_code].tech_id

    def reset(self) -> None:
        """Forget the PIN pace; every Technician Console runs again."""
        with self._lock:
            self._last_pin_at.clear()
            # A test that stopped a console must not leave it stopped for the next test.
            self._console_running.clear()

    # --- state helpers; callers hold self._lock --------------------------------------------------

    def _new_identity_locked(self, email: str | None) -> _Identity:
        tech_id = self._next_tech_id
        self._next_tech_id += 1
        return _Identity(tech_id, email or f"tech{tech_id}@example.com")

    def _next_pin_locked(self) -> str:
        if self._pins is not None:
            try:
                return str(next(self._pins))
            except StopIteration:
                self._pins = None  # then carry on with the sequence
        pin = f"{self._pin_counter % 1_000_000:06d}"
        self._pin_counter += 1
        return pin

    def _issue_code_locked(self, identity: _Identity) -> str:
        code = "".join(secrets.choice(_AUTH_CODE_ALPHABET) for _ in range(_AUTH_CODE_LENGTH))
        old = self._current_code.get(identity.tech_id)
        if old is not None:
            self._codes.pop(old, None)
        self._current_code[identity.tech_id] = code
        self._codes[code] = identity
        return code

    # --- operations: Rescue's logic (fields, received_at), or a forced Result's answer -----------

    def lens_pin(self, fields: Fields, received_at: float) -> Outcome:
        """requestLensPINCodeV2/V3: a PIN for a valid code whose console runs, at Rescue's pace."""
        auth_code = fields.get("sAuthCode") or ""
        with self._lock:
            identity = self._codes.get(auth_code)
            if identity is None:
                return PIN_INVALID_AUTH_CODE, [("sPINCode", "")]
            running = self._console_running.get(auth_code, True)
            if not running and not is_true(fields.get("bNoTechConsole")):
                return PIN_NO_CONSOLE, [("sPINCode", "")]
            last = self._last_pin_at.get(auth_code)
            limit = self._rate_limit
            if limit is not None and last is not None and received_at - last < limit:
                return PIN_POLL_RATE, [("sPINCode", "")]
            self._last_pin_at[auth_code] = max(received_at, last or received_at)
            pin = self._next_pin_locked()
        self._queues.pin_issued(identity.tech_id, pin, fields)
        return PIN_OK, [("sPINCode", pin)]

    def lens_pin_forced(self, fields: Fields, result: Result) -> Outcome:
        """The PIN operations' answer to a forced Result."""
        pin = result.pin
        with self._lock:
            if pin is None:
                # Rescue only hands out a PIN with _OK; an error with a PIN would be a new
                # failure mode nobody asked for (pass pin= explicitly to get one).
                pin = self._next_pin_locked() if result.code == PIN_OK else ""
            identity = self._codes.get(fields.get("sAuthCode") or "")
        if result.code == PIN_OK and pin and identity is not None:
            # A forced PIN is a PIN all the same: a customer scripted for it connects.
            self._queues.pin_issued(identity.tech_id, pin, fields)
        return result.code, [("sPINCode", pin)]

    def auth_code(self, fields: Fields, received_at: float) -> Outcome:
        """requestAuthCode: a fresh code for a known login and its password."""
        email = (fields.get("sEmail") or "").strip().lower()
        with self._lock:
            account = self._accounts.get(email)
            if account is None or account.password != (fields.get("sPassword") or ""):
                return AUTH_INVALID, [("sAuthCode", "")]
            return AUTH_OK, [("sAuthCode", self._issue_code_locked(account.identity))]

    def auth_code_sso(self, fields: Fields, received_at: float) -> Outcome:
        """requestAuthCodeSSO: a fresh code for an SSO id of a company that allows it."""
        company_id = (fields.get("sCompany") or "").strip()
        with self._lock:
            company = self._sso.get(company_id)
            if company is None or not company_id.isdigit():
                return self._sso_spelled_locked(AUTH_INVALID_COMPANY), [("sAuthCode", "")]
            identity = company.users.get(fields.get("sSSOID") or "")
            if identity is None or company.password != (fields.get("sPassword") or ""):
                return self._sso_spelled_locked(AUTH_INVALID), [("sAuthCode", "")]
            code = self._issue_code_locked(identity)
            return self._sso_spelled_locked(AUTH_OK), [("sAuthCode", code)]

    def auth_code_sso_forced(self, fields: Fields, result: Result) -> Outcome:
        """requestAuthCodeSSO's answer to a forced Result, in the spelling the switch says."""
        # A forced code in either spelling reads as requestAuthCode's; the switch decides.
        code = result.code
        if code.startswith(_SSO_PREFIX):
            code = _AUTH_PREFIX + code.removeprefix(_SSO_PREFIX)
        code, values = self.auth_code_forced(fields, replace(result, code=code))
        with self._lock:
            return self._sso_spelled_locked(code), values

    def _sso_spelled_locked(self, code: str) -> str:
        if self._sso_own_names and code.startswith(_AUTH_PREFIX):
            return _SSO_PREFIX + code.removeprefix(_AUTH_PREFIX)
        return code

    def auth_code_forced(self, fields: Fields, result: Result) -> Outcome:
        """The auth-code operations' answer to a forced Result."""
        code = result.pin
        if code is None:
            with self._lock:
                # A forced OK hands out a working code so the flow under test can go on.
                code = (
                    self._issue_code_locked(self._new_identity_locked(None))
                    if result.code == AUTH_OK
                    else ""
                )
        return result.code, [("sAuthCode", code)]

    def account(self, fields: Fields, received_at: float) -> Outcome:
        """getAccount_v2: who the code belongs to, and whether their console runs."""
        known, values = self._account_values(fields.get("sAuthCode") or "")
        return (ACCOUNT_OK if known else ACCOUNT_INVALID_AUTH_CODE), values

    def account_forced(self, fields: Fields, result: Result) -> Outcome:
        """getAccount_v2's answer to a forced Result."""
        return result.code, self._account_values(fields.get("sAuthCode") or "")[1]

    def _account_values(self, auth_code: str) -> tuple[bool, list[Child]]:
        with self._lock:
            identity = self._codes.get(auth_code)
            running = self._console_running.get(auth_code, True)
        if identity is None:
            return False, [
                ("iAccountID", "0"),
                ("sOrganization", ""),
                ("iAdminID", "0"),
                ("iTechID", "0"),
                ("sEmail", ""),
                ("bTcRunning", "false"),
            ]
        return True, [
            ("iAccountID", str(ACCOUNT_ID)),
            ("sOrganization", ORGANIZATION),
            ("iAdminID", str(ADMIN_ID)),
            ("iTechID", str(identity.tech_id)),
            ("sEmail", identity.email),
            ("bTcRunning", "true" if running else "false"),
        ]

    def sessions(self, fields: Fields, received_at: float) -> Outcome:
        """getSession_V3: the sessions in a node's queue, for a valid code.

        A node is valid for a code if it is the code's own technician or anything scripted
        (another technician's queue, a channel): who may see which queue is not modelled.
        """
        with self._lock:
            identity = self._codes.get(fields.get("sAuthCode") or "")
        if identity is None:
            return SESSION_INVALID_AUTH_CODE, []
        node = parse_node(fields.get("iNodeID"))
        if node is None or node <= 0 or (node != identity.tech_id and not self._queues.knows(node)):
            return SESSION_INVALID_NODE, []
        return SESSION_OK, [("aSessions", self._queues.listing(node))]

    def sessions_forced(self, fields: Fields, result: Result) -> Outcome:
        """getSession_V3's answer to a forced Result: the node's queue with an OK, else none."""
        node = parse_node(fields.get("iNodeID"))
        if result.code != SESSION_OK:
            return result.code, []
        return result.code, [("aSessions", self._queues.listing(node) if node else [])]


@dataclass(frozen=True)
class Operation:
    """One SOAP operation: its normal logic, its answer to a forced Result, its boolean fields."""

    handle: Callable[[Directory, Fields, float], Outcome]
    forced: Callable[[Directory, Fields, Result], Outcome]
    booleans: frozenset[str] = frozenset()


# Add an operation here: its normal logic, its forced-Result answer and its boolean fields.
OPERATIONS: dict[str, Operation] = {
    "requestLensPINCodeV2": Operation(
        Directory.lens_pin, Directory.lens_pin_forced, frozenset({"bNoTechConsole"})
    ),
    "requestLensPINCodeV3": Operation(
        Directory.lens_pin, Directory.lens_pin_forced, frozenset({"bNoTechConsole"})
    ),
    "requestAuthCode": Operation(Directory.auth_code, Directory.auth_code_forced),
    "requestAuthCodeSSO": Operation(Directory.auth_code_sso, Directory.auth_code_sso_forced),
    "getAccount_v2": Operation(Directory.account, Directory.account_forced),
    GET_SESSION: Operation(Directory.sessions, Directory.sessions_forced),
}
# What the request checks need to know of each operation.
SIGNATURES = {name: operation.booleans for name, operation in OPERATIONS.items()}
