"""Helpers the tests share: small doubles that stand in for the database where it is not tested."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class MemoryPacer:
    """The database pacer's rule in one process: a key's calls leave an interval apart."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, key: str) -> None:
        """Return once the last call for key is an interval old; never book ahead."""
        while True:
            with self._lock:
                now = self._clock()
                last = self._last.get(key)
                if last is None or now >= last + self._interval - 0.001:
                    self._last[key] = now
                    return
                wait = last + self._interval - now
            self._sleep(wait)
