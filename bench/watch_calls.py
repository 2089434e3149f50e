"""getSession_V3 calls per minute while PINs are watched: 50 PINs on 5 queues by default.

    .venv/bin/python bench/watch_calls.py                      # 60 s, interval 5 s, SQLite
    .venv/bin/python bench/watch_calls.py --seconds 20 --interval 1 --processes 3 \
        --database-url postgresql://postgres@127.0.0.1:5432/test

Each "process" is a Store and a Watcher of its own on one database, as gunicorn workers and
dynos are. Rescue is a stand-in that answers an empty queue after --latency seconds; nobody
ever connects, so every PIN stays watched for the whole run.
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain import CodeSource, Credential, Requester
from bot.rescue.models import Account, PinRequest, QueueSession
from bot.store import Keyring, Store, generate_key, make_engine
from bot.watch import Watcher

FIRST_NODE = 5001


class CountingRescue:
    """Answers every queue as empty after a delay, and keeps when each call came."""

    def __init__(self, latency: float) -> None:
        self._latency = latency
        self._lock = threading.Lock()
        self.calls: dict[int, list[float]] = defaultdict(list)

    def get_account(self, auth_code: str) -> Account:
        node = int(auth_code.rsplit("-", 1)[1])
        return Account(1, "Bench", 1, node, f"{node}@example.com", console_running=True)

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        with self._lock:
            self.calls[node_id].append(time.monotonic())
        time.sleep(self._latency)
        return []


class NoRefusals:
    def refused(self, *_: object) -> bool:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pins", type=int, default=50)
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.2, help="Rescue's answer time")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}"
    schema = ""
    if args.database_url:
        # A schema of its own, dropped afterwards: the database is left as it was found.
        schema = f"lenspin_watch_bench_{secrets.token_hex(4)}"
        admin = make_engine(args.database_url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    key = Keyring.from_setting(generate_key())
    stores = [Store.from_url(url, key) for _ in range(args.processes)]
    stores[0].migrate()
    rescue = CountingRescue(args.latency)
    watchers = [
        Watcher(
            store.watches(),
            rescue,
            refusals=NoRefusals(),
            on_change=lambda _watch, _reply: None,
            interval=args.interval,
            validity=args.seconds + 600,
        )
        for store in stores
    ]
    nodes = [FIRST_NODE + n for n in range(args.nodes)]
    for pin, node, watcher in zip(
        range(args.pins), itertools.cycle(nodes), itertools.cycle(watchers), strict=False
    ):
        credential = Credential(f"bench-code-{node}", CodeSource.LINKED)
        who = Requester("T1", f"U{pin:04d}")
        watcher.watch(who, credential, PinRequest(name=f"Customer {pin}"), None, "reply")
    started = time.monotonic()
    for watcher in watchers:
        watcher.start()
    time.sleep(args.seconds)  # the measurement window itself
    for watcher in watchers:
        watcher.stop()
    elapsed = time.monotonic() - started
    total = sum(len(times) for times in rescue.calls.values())
    gaps = [b - a for times in rescue.calls.values() for a, b in itertools.pairwise(times)]
    per_minute = total * 60 / elapsed
    ceiling = 60 / args.interval * args.nodes
    print(
        f"getSession calls: {total} in {elapsed:.1f} s = {per_minute:.1f}/min for {args.pins} "
        f"PINs on {args.nodes} queues, {args.processes} processes, interval {args.interval:g} s "
        f"(the interval allows at most {ceiling:.0f}/min; one call per queue per turn, "
        f"shared by its {args.pins // max(args.nodes, 1)} PINs)"
    )
    if gaps:
        print(f"closest two calls for one queue: {min(gaps):.3f} s apart")
    for store in stores:
        store.engine.dispose()
    if schema:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
