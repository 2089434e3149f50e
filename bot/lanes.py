"""One auth code's line of PIN requests: turns by technician, a cap each, an age limit."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

from bot.domain import Credential, Requester, StoreError
from bot.rescue.errors import RescueError

logger = logging.getLogger(__name__)

# Requests one technician may have in one code's line, the one being served included; more
# are refused at once. Three covers a few customers at a time; the flood was eight.
# Counted for every process sharing the database (Seats), or in this process when it fails.
MAX_PER_TECHNICIAN = 3
# A request still waiting for its turn after this long is answered "try again" and never
# sent: by then the technician on the phone has given up or asked again, and a PIN made for
# nobody still opens a session in a Rescue queue. About 40 turns at Rescue's pace; with the
# retry budget (10 s) and Rescue's timeout after the turn, the slowest answer still comes
# within about a minute and a half.
MAX_WAIT = 45.0
# A turn further away than this is worth a note saying where the request stands.
NOTE_AFTER = 3.0


def pace_key(credential: Credential) -> str:
    """The name of a code's lane, pace and places in line; it names the code without holding it."""
    # Rescue's limit is per auth code. The store hashes this again, keyed, before keeping it.
    return hashlib.sha256(credential.auth_code.encode()).hexdigest()[:16]


class NotSent(RescueError):
    """The request never reached Rescue (the bot was stopping, or had no code to use)."""


class StoreFailed(NotSent):
    """lenspin's own database failed before the request was sent; cause says how."""

    def __init__(self, cause: StoreError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class QueueFull(NotSent):
    """The technician already has as many requests in this code's line as one may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"already {limit} requests in line")
        self.limit = limit


class WaitedTooLong(NotSent):
    """The request's turn did not come in time, so it was never sent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no turn within {seconds:g} s")
        self.seconds = seconds


class Queued(Protocol):
    """What a lane needs to know of a request."""

    @property
    def who(self) -> Hashable:
        """The technician who asked."""
        ...

    @property
    def seq(self) -> int:
        """Submission order."""
        ...

    @property
    def started(self) -> float:
        """When it was submitted, on the service's clock."""
        ...


J = TypeVar("J", bound=Queued)


class Lane(Generic[J]):
    """Requests for one auth code: one is served at a time, the rest wait their turn.

    Turns go round the technicians waiting (round robin), not first come, first served: a
    technician with three requests queued gets one turn per round like everyone else, so a
    colleague's single request waits behind at most one of theirs, never all of them, and a
    newcomer waits at most one turn per technician ahead. Each technician's own requests
    keep the order they were submitted in.
    """

    def __init__(self, *, per_technician: int = MAX_PER_TECHNICIAN) -> None:
        self._per_technician = per_technician
        self.serving: J | None = None
        # Technicians with requests waiting, in the order their next turn comes.
        self._rotation: deque[Hashable] = deque()
        self._waiting: dict[Hashable, list[J]] = {}

    def join(self, job: J) -> int | None:
        """Queue job; how many requests are ahead of it, or None if its technician has enough."""
        mine = self._waiting.get(job.who, [])
        serving_mine = self.serving is not None and self.serving.who == job.who
        if len(mine) + serving_mine >= self._per_technician:
            return None
        if not mine:
            self._waiting[job.who] = mine
            # A newcomer goes to the back of the round, but ahead of technicians who joined
            # it with a later request: choosing a code may take longer for some, and the
            # line keeps the order requests were submitted in.
            index = len(self._rotation)
            while index and self._waiting[self._rotation[index - 1]][0].seq > job.seq:
                index -= 1
            self._rotation.insert(index, job.who)
        index = len(mine)
        while index and mine[index - 1].seq > job.seq:
            index -= 1
        mine.insert(index, job)
        return self.order().index(job) + (self.serving is not None)

    def take(self) -> J | None:
        """Make the next request the one being served, and return it (None: nobody waits)."""
        self.serving = None
        if not self._rotation:
            return None
        who = self._rotation.popleft()
        mine = self._waiting[who]
        self.serving = mine.pop(0)
        if mine:
            self._rotation.append(who)
        else:
            del self._waiting[who]
        return self.serving

    def order(self) -> list[J]:
        """The waiting requests in the order their turns come."""
        rotation = deque(self._rotation)
        queues = {who: deque(jobs) for who, jobs in self._waiting.items()}
        result = []
        while rotation:
            who = rotation.popleft()
            result.append(queues[who].popleft())
            if queues[who]:
                rotation.append(who)
        return result

    def drop_older_than(self, cutoff: float) -> list[J]:
        """Remove and return the waiting requests submitted before cutoff."""
        dropped = [job for job in self.order() if job.started < cutoff]
        for job in dropped:
            mine = self._waiting[job.who]
            mine.remove(job)
            if not mine:
                del self._waiting[job.who]
                self._rotation.remove(job.who)
        return dropped

    def __len__(self) -> int:
        return sum(map(len, self._waiting.values())) + (self.serving is not None)


class Lanes(Generic[J]):
    """Every auth code's lane by key, and how long a turn has taken lately; not thread-safe."""

    def __init__(self, *, interval: float, per_technician: int = MAX_PER_TECHNICIAN) -> None:
        self._interval = interval
        self._per_technician = per_technician
        # A lane exists exactly while it holds requests.
        self._lanes: dict[str, Lane[J]] = {}
        # Seconds a turn took lately, by key (kept when a lane empties: Rescue stays slow).
        self._turn_seconds: dict[str, float] = {}

    def join(self, key: str, job: J) -> tuple[bool, int | None, float]:
        """Queue job: (whether its lane is new, requests ahead or None if refused, wait)."""
        lane = self._lanes.get(key)
        new = lane is None
        if lane is None:
            lane = self._lanes[key] = Lane(per_technician=self._per_technician)
        ahead = lane.join(job)
        # Never below the pace: turns can't come faster than that.
        turn = max(self._interval, self._turn_seconds.get(key, self._interval))
        return new, ahead, (ahead or 0) * turn

    def take(self, key: str) -> J | None:
        """The key's next request to serve; None ends the lane."""
        job = self._lanes[key].take()
        if job is None:
            del self._lanes[key]
        return job

    def turn_taken(self, key: str, seconds: float, *, cutoff: float) -> list[J]:
        """Note a turn's length; remove and return the requests submitted before cutoff."""
        # A moving average follows a slow Rescue within a few turns.
        previous = self._turn_seconds.get(key, self._interval)
        self._turn_seconds[key] = 0.7 * previous + 0.3 * seconds
        return self._lanes[key].drop_older_than(cutoff)


class Seats(Protocol):
    """Places in each code's line, counted for every process (bot.store.Store.seats)."""

    def take(self, key: str, requester: Requester, request_id: str, *, limit: int) -> bool:
        """Take a place for the request unless its technician already holds limit."""
        ...

    def release(self, request_id: str) -> None:
        """Give the request's place back."""
        ...


class Places:
    """A request's place in its code's line, held from routing to outcome; thread-safe.

    The shared count (seats) decides refusals; the lanes keep their own cap as well, which is
    all there is when seats is None or the database fails: a technician is never refused
    because lenspin's own database did.
    """

    def __init__(self, seats: Seats | None, *, limit: int) -> None:
        self._seats = seats
        self._limit = limit
        self._lock = threading.Lock()
        self._held: set[str] = set()

    def take(self, key: str, requester: Requester, request_id: str) -> bool:
        """False if the technician already has limit requests in key's line, in any process."""
        # A request routed again (a fresh SSO code) gives back the place it held first.
        self.release(request_id)
        if self._seats is None:
            return True
        try:
            taken = self._seats.take(key, requester, request_id, limit=self._limit)
        except StoreError as error:
            logger.warning(
                "The database could not count %s's requests in line (%s); counting them in "
                "this process only",
                requester.user_id,
                error,
            )
            return True
        except Exception:
            logger.exception("Counting %s's requests in line failed", requester.user_id)
            return True
        if taken:
            with self._lock:
                self._held.add(request_id)
        return taken

    def release(self, request_id: str) -> None:
        """Give the request's place back, if it holds one."""
        with self._lock:
            if request_id not in self._held:
                return
            self._held.discard(request_id)
        assert self._seats is not None  # only places taken through seats are held
        try:
            self._seats.release(request_id)
        except StoreError as error:
            # The place stops counting once it is older than any request can live.
            logger.warning("The database could not give back a place in line (%s)", error)
        except Exception:
            logger.exception("Giving back a place in line failed")
