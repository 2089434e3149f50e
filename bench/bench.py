"""Benchmark lenspin against a bare Bolt app, both served by the Procfile's gunicorn line."""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/ itself, where "bench" would name this file rather
# than the package: the repository root (for bot.* and bench.*) takes its place.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bare_app, headline  # noqa: E402
from bench.launcher import (  # noqa: E402
    BARE_CONFIG,
    BARE_TARGET,
    GUNICORN_CONFIG,
    LENSPIN_TARGET,
    ServedApp,
    Worker,
)
from bench.tree import tree_memory  # noqa: E402
from bot import texts  # noqa: E402
from bot.domain import LinkSource  # noqa: E402
from bot.rescue.models import RESCUE_INTERVAL  # noqa: E402
from bot.slack import bolt  # noqa: E402
from bot.store import Keyring, Store, generate_key  # noqa: E402
from devtools.fake_rescue import Delay, FakeRescue  # noqa: E402
from devtools.fake_slack import FakeSlack  # noqa: E402
from devtools.scenario import OpenedModal, open_pin_modal, submit_pin_modal  # noqa: E402

# Fixed, bench-only codes: lenspin paces per auth code across processes (a file under the
# temp dir), so the main and burst instances, and any test run, must not share a code.
MAIN_AUTH_CODE = "benchmainauthcode" + "0" * 40
ENCRYPTION_KEY = generate_key()
BURST_AUTH_CODE = "benchburstauthcode" + "1" * 40
# Technicians with their own Rescue accounts keep asking for PINs while the memory checkpoints
# are filled: each code is paced on its own, so they add PIN traffic alongside the commands.
FILL_CODES = tuple(f"benchfillauthcode{i:02d}" + "2" * 40 for i in range(8))
RESCUE_DELAY = 0.3
PIN_OPERATION = "requestLensPINCodeV2"
# A generous ceiling for any one wait: the point is to report a stuck app, never to hang.
WAIT_SECONDS = 15.0
# The burst's last PIN comes after about (N-1) turns; allow that plus this much.
BURST_EXTRA_WAIT_SECONDS = 60.0
# Submissions start this long after lenspin's pacing interval (bot.rescue.models.RESCUE_INTERVAL).
SPACING_MARGIN = 0.1
LENSPIN, BARE, BURST = "lenspin", "bare", "burst"

_T = TypeVar("_T")


@dataclass(frozen=True)
class Plan:
    """How much of each measurement to do."""

    startups: int
    sequential: int
    clients: int
    per_client: int
    rounds: int
    # The paced phase: the same clients, each starting a command every 1/rate seconds, a load
    # well below what two shared cores can take, so latency is measured, not queueing.
    paced_rate_per_client: float
    submissions: int
    # PIN requests in the burst, and how many technicians send them (each sends its share).
    burst: int
    burst_users: int
    # Requests per app at each memory checkpoint; PINs are part of the traffic in between.
    # The second is the "after 1,500 requests".
    rss_checkpoints: tuple[int, ...]
    # Requests per app before the whole-tree memory of the pair with the default workers.
    footprint_requests: int


FULL = Plan(
    startups=5,
    sequential=300,
    clients=20,
    per_client=15,
    rounds=3,
    paced_rate_per_client=4.0,
    submissions=50,
    # Three forms each and about 32 s of turns: lenspin refuses a technician's fourth request
    # on one code (bot.lanes.MAX_PER_TECHNICIAN) and never sends one that waited over 45 s
    # (MAX_WAIT), so the line issue 5's 200-from-50 burst formed can no longer build up.
    # 30 PINs: issue 15's burst.
    burst=30,
    burst_users=10,
    rss_checkpoints=(500, 1500, 3000),
    footprint_requests=1500,
)
QUICK = Plan(
    startups=1,
    sequential=30,
    clients=5,
    per_client=4,
    rounds=2,
    paced_rate_per_client=4.0,
    submissions=3,
    burst=12,
    burst_users=4,
    rss_checkpoints=(50, 150, 300),
    footprint_requests=150,
)


class BenchError(RuntimeError):
    """A request the benchmark made did not get the answer the flow needs."""


@dataclass
class CommandSample:
    """One /lenspin: the ack's latency and the time until the fake Slack saw views.open."""

    ack: float
    modal: float
    cycle: float


@dataclass
class Tally:
    """Samples, failures, wall time and CPU time of one app in one phase."""

    samples: list[CommandSample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    # CPU seconds of the app's gunicorn processes, and of this process (clients and fakes).
    app_cpu: float = 0.0
    bench_cpu: float | None = None


@dataclass
class Bench:
    """The fakes, the served apps and the counters shared by the phases."""

    slack: FakeSlack
    apps: dict[str, ServedApp]
    pool: ThreadPoolExecutor
    pool_threads: int
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys((LENSPIN, BARE, BURST), 0))
    _users: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def user(self) -> str:
        """A Slack user id never used before in this run."""
        with self._lock:
            return f"U0BENCH{next(self._users):06d}"

    def count(self, name: str, n: int = 1) -> None:
        """Count signed requests sent to an app (the RSS checkpoints are in these)."""
        with self._lock:
            self.sent[name] += n


# --- statistics and formatting ------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks; NaN when empty."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def ms(seconds: float) -> str:
    """Seconds as milliseconds with a unit."""
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    """Seconds with a unit."""
    return f"{seconds:.2f} s"


def mib(kib: float) -> str:
    """KiB as MiB with a unit."""
    return f"{kib / 1024:.1f} MiB"


def ratio(a: float, b: float) -> str:
    """a/b to two decimals, or a dash."""
    return f"{a / b:.2f}" if b and math.isfinite(a) and math.isfinite(b) else "-"


# --- machine ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.partition(":")[2].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def revision() -> dict[str, Any]:
    """The commit measured, and whether bot/ had uncommitted changes."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607 (git from PATH, read-only)
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except OSError:
            return ""
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "bot_files_modified": len(git("status", "--porcelain", "--", "bot").splitlines()),
    }


def same_server(envs: dict[str, dict[str, str]]) -> dict[str, int]:
    """Resolve lenspin's workers and threads and hand the bare app the same numbers."""
    resolved = gunicorn_settings(envs[LENSPIN])
    envs[BARE]["WEB_CONCURRENCY"] = str(resolved["workers"])
    envs[BARE]["GUNICORN_THREADS"] = str(resolved["threads"])
    return resolved


def gunicorn_settings(env: dict[str, str]) -> dict[str, int]:
    """Workers and threads bot/gunicorn_conf.py resolves for this environment."""
    code = "import bot.gunicorn_conf as c; print(c.workers, c.threads)"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    workers, threads = done.stdout.split()
    return {"workers": int(workers), "threads": int(threads)}


def tcp_counters() -> dict[str, int]:
    """System-wide TCP listen-queue overflows and SYN retransmits (/proc/net/netstat)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    counters: dict[str, int] = {}
    for header, values in zip(lines[::2], lines[1::2], strict=False):
        if header.startswith("TcpExt:"):
            counters = dict(zip(header.split()[1:], map(int, values.split()[1:]), strict=False))
    return {k: counters.get(k, 0) for k in ("ListenOverflows", "TCPSynRetrans")}


# --- driving the apps --------------------------------------------------------------------------


def fresh_database() -> str:
    """A new, migrated SQLite database in the temp dir (the default store, as on a laptop)."""
    directory = Path(tempfile.mkdtemp(prefix="lenspin-bench-"))
    return migrated(f"sqlite:///{directory / 'lenspin.sqlite3'}")


def migrated(url: str) -> str:
    """url, once lenspin's schema is in that database."""
    store = Store.from_url(url, Keyring.from_setting(ENCRYPTION_KEY))
    try:
        store.migrate()
    finally:
        store.engine.dispose()
    return url


def app_env(
    slack: FakeSlack, rescue: FakeRescue, auth_code: str, extra: dict[str, str]
) -> dict[str, str]:
    """The config vars both apps get (gunicorn_conf validates lenspin's settings in the master)."""
    return {
        "DATABASE_URL": fresh_database(),
        "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "RESCUE_AUTH_CODE": auth_code,
        "RESCUE_API_URL": rescue.url,
        "LENSPIN_ALLOWED_USERS": "*",
        **extra,
    }


def command_once(bench: Bench, name: str) -> CommandSample:
    """Send one signed /lenspin and wait until the app's views.open reaches the fake Slack."""
    app = bench.apps[name]
    user = bench.user()
    bench.count(name)
    started = time.monotonic()
    ack, trigger_id, _ = bench.slack.send_command(app.events_url, user_id=user, text="Bench")
    if ack.status != 200:
        raise BenchError(f"{name}: /lenspin answered {ack.status}: {ack.body[:200]}")
    try:
        call = bench.slack.wait_for_call(
            "views.open", lambda c: c.args.get("trigger_id") == trigger_id, timeout=WAIT_SECONDS
        )
    except AssertionError as error:
        raise BenchError(f"{name}: no views.open: {str(error)[:200]}") from None
    if call.error:
        raise BenchError(f"{name}: views.open failed: {call.error}")
    modal = call.received_at - started
    return CommandSample(ack=ack.elapsed, modal=modal, cycle=max(ack.elapsed, modal))


def record(tally: Tally, run: Callable[[], CommandSample]) -> None:
    """Run one request into tally, keeping a failure as a counted error rather than a crash."""
    try:
        tally.samples.append(run())
    except (BenchError, OSError) as error:
        tally.errors.append(str(error))


def on_threads(bench: Bench, n: int, work: Callable[[int], _T]) -> tuple[list[_T], float]:
    """Run work(i) on n distinct pool threads released together; results and wall seconds."""
    if n > bench.pool_threads:
        raise ValueError(f"{n} clients but only {bench.pool_threads} pool threads")
    barrier = threading.Barrier(n)
    spans: list[tuple[float, float]] = []

    def task(i: int) -> _T:
        # Every task holds its thread at the barrier, so n tasks run on n different threads
        # (each keeps its own keep-alive session to the apps).
        barrier.wait(timeout=WAIT_SECONDS)
        started = time.monotonic()
        try:
            return work(i)
        finally:
            spans.append((started, time.monotonic()))

    futures = [bench.pool.submit(task, i) for i in range(n)]
    results = [f.result() for f in futures]
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return results, wall


def alternate(i: int) -> tuple[str, str]:
    """Which app goes first in turn i: alternating, so drift and warm-up hit both alike."""
    return (LENSPIN, BARE) if i % 2 == 0 else (BARE, LENSPIN)


def fill_to(bench: Bench, target: int, rescue: FakeRescue | None = None) -> int:
    """Send unmeasured traffic until each app has had target requests; return lenspin's PINs.

    With rescue given, connected technicians keep asking lenspin for PINs alongside the
    commands, so the memory checkpoints cover the whole PIN path, not just the form. Apps not
    served in this run (the soak serves lenspin alone) are skipped.
    """
    pins = 0
    for name in (n for n in (LENSPIN, BARE) if n in bench.apps):
        missing = target - bench.sent[name]
        if missing <= 0:
            continue
        clients = min(bench.pool_threads, missing)
        tally = Tally()
        done = threading.Event()
        delivered: list[Delivery] = []

        def commands(_: int, name: str = name, tally: Tally = tally) -> None:
            # Counted as sent, so the PIN thread's requests make up part of the target.
            while bench.sent[name] < target:
                record(tally, lambda: command_once(bench, name))

        asker = None
        if rescue is not None and name == LENSPIN:
            asker = threading.Thread(target=ask_until, args=(bench, rescue, done, delivered, tally))
            asker.start()
        try:
            on_threads(bench, clients, commands)
        finally:
            done.set()
            if asker is not None:
                asker.join()
        if tally.errors:
            raise BenchError(
                f"{name}: {len(tally.errors)} failures while filling: {tally.errors[0]}"
            )
        pins += sum(d.ok for d in delivered)
    return pins


def ask_until(
    bench: Bench, rescue: FakeRescue, done: threading.Event, out: list[Delivery], tally: Tally
) -> None:
    """Connected technicians ask lenspin for PINs until done is set; failures go to tally."""

    def ask(i: int) -> None:
        user = fill_user(i)
        while not done.is_set():
            customer = f"Fill {bench.user()}"
            try:
                opened = open_modal(bench, LENSPIN, user, customer)
                sent = submit(bench, LENSPIN, opened, user=user, customer=customer)
                delivery = wait_delivered(bench, rescue, LENSPIN, sent, timeout=WAIT_SECONDS)
            except (BenchError, OSError, AssertionError) as error:
                tally.errors.append(str(error)[:300])
                continue
            out.append(delivery)
            if not delivery.ok:
                tally.errors.append(f"no PIN while filling: {delivery.text}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(FILL_CODES))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fill_user(i: int) -> str:
    """The Slack user whose connected account is FILL_CODES[i]."""
    return f"U0BENCHFILL{i:02d}"


def connect_fill_users(database_url: str, team_id: str) -> None:
    """Link each fill user to their own code, as /lenspin connect would have."""
    store = Store.from_url(database_url, Keyring.from_setting(ENCRYPTION_KEY))
    for i, code in enumerate(FILL_CODES):
        store.save_link(
            team_id=team_id,
            user_id=fill_user(i),
            auth_code=code,
            email=f"fill{i}@example.com",
            organization="Bench",
            source=LinkSource.TOKEN,
        )
    store.engine.dispose()


def memory(app: ServedApp) -> dict[str, Any]:
    """Peak and current RSS of an app's gunicorn workers, and RSS and PSS of its whole tree."""
    workers: list[Worker] = app.workers()
    return {
        "workers": [asdict(w) for w in workers],
        "max_worker_hwm_kib": max((w.vm_hwm_kib for w in workers), default=0),
        "sum_worker_hwm_kib": sum(w.vm_hwm_kib for w in workers),
        "tree": tree_memory(app),
    }


# --- phases ------------------------------------------------------------------------------------


def phase_startup(
    plan: Plan, envs: dict[str, dict[str, str]], kept: dict[str, ServedApp]
) -> dict[str, list[float]]:
    """Start each app plan.startups times, interleaved; the last pair stays running in kept."""
    times: dict[str, list[float]] = {LENSPIN: [], BARE: []}
    targets = {LENSPIN: LENSPIN_TARGET, BARE: BARE_TARGET}
    for run in range(plan.startups):
        started: dict[str, ServedApp] = {}
        try:
            for name in alternate(run):
                config = BARE_CONFIG if name == BARE else GUNICORN_CONFIG
                app = ServedApp(envs[name], name=name, target=targets[name], config=config)
                started[name] = app
                app.start()
                times[name].append(app.startup_seconds or 0.0)
        except BaseException:
            kept.update(started)  # the caller stops them and keeps their logs
            raise
        if run == plan.startups - 1:
            kept.update(started)
        else:
            stop_all(started.values())
    return times


def phase_sequential(plan: Plan, bench: Bench) -> dict[str, Tally]:
    """One /lenspin at a time, alternating between the apps."""
    tallies = {LENSPIN: Tally(), BARE: Tally()}
    cpu = {name: bench.apps[name].cpu_seconds() for name in tallies}
    for i in range(plan.sequential):
        for name in alternate(i):
            record(tallies[name], lambda name=name: command_once(bench, name))
    for name, tally in tallies.items():
        # A client that waits for its modal before the next command: cycles back to back.
        tally.wall = sum(s.cycle for s in tally.samples)
        tally.app_cpu = bench.apps[name].cpu_seconds() - cpu[name]
    bench.slack.reset()
    return tallies


def phase_concurrent(plan: Plan, bench: Bench, *, paced: bool = False) -> dict[str, Tally]:
    """plan.clients clients, back to back or paced, in rounds that alternate between the apps."""
    tallies = {LENSPIN: Tally(), BARE: Tally()}
    per_round = plan.per_client // plan.rounds
    period = 1 / plan.paced_rate_per_client if paced else 0.0
    for r in range(plan.rounds):
        for name in alternate(r):
            tally = tallies[name]

            def work(i: int, name: str = name, tally: Tally = tally) -> None:
                # Paced clients start out of step, as technicians do, not all at once.
                start = time.monotonic() + period * i / plan.clients
                for k in range(per_round):
                    wait = start + k * period - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    record(tally, lambda: command_once(bench, name))

            app_cpu, bench_cpu = bench.apps[name].cpu_seconds(), time.process_time()
            _, wall = on_threads(bench, plan.clients, work)
            tally.wall += wall
            tally.app_cpu += bench.apps[name].cpu_seconds() - app_cpu
            tally.bench_cpu = (tally.bench_cpu or 0.0) + time.process_time() - bench_cpu
        bench.slack.reset()
    return tallies


@dataclass
class Delivery:
    """One submission's way to its PIN, timed on the bench's monotonic clock."""

    user: str
    ok: bool
    ack: float
    started: float
    delivered: float
    rescue_at: float | None
    text: str

    @property
    def end_to_end(self) -> float:
        """Seconds from sending the view_submission to the message reaching the fake Slack."""
        return self.delivered - self.started


@dataclass(frozen=True)
class Submitted:
    """A submission the app acknowledged, waiting for its PIN."""

    user: str
    customer: str
    ack: float
    started: float


def open_modal(bench: Bench, name: str, user: str, customer: str) -> OpenedModal:
    """Open the PIN modal for user, prefilled with a customer name unique in the run."""
    bench.count(name)
    return open_pin_modal(
        bench.slack,
        bench.apps[name].events_url,
        user_id=user,
        text=customer,
        timeout=WAIT_SECONDS,
    )


def submit(bench: Bench, name: str, opened: OpenedModal, *, user: str, customer: str) -> Submitted:
    """Submit an opened modal as user (opened for customer); raise unless the app closes it."""
    bench.count(name)
    ack = submit_pin_modal(
        bench.slack, bench.apps[name].events_url, opened, user_id=user, values={}
    )
    if ack.status != 200 or ack.body:
        raise BenchError(f"{name}: view_submission answered {ack.status}: {ack.body[:200]}")
    # Timed from the moment the request leaves, as from Slack's servers: building and signing
    # the payload is the harness's work (about 1.4 ms cold), not the bot's.
    return Submitted(user, customer, ack.elapsed, ack.sent_at)


def wait_delivered(
    bench: Bench, rescue: FakeRescue, name: str, sent: Submitted, *, timeout: float
) -> Delivery:
    """Wait until the message for this submission's customer reaches its user."""
    customer, user = sent.customer, sent.user
    try:
        message = bench.slack.wait_for_message(
            user, timeout=timeout, predicate=lambda m: customer in str(m.get("text"))
        )
    except AssertionError as error:
        raise BenchError(f"{name}: {str(error)[:300]}") from None
    delivered = time.monotonic()
    first_call = next(
        (
            c
            for c in rescue.calls
            if c.operation == PIN_OPERATION and c.fields.get("sCField0") == customer
        ),
        None,
    )
    text = str(message.get("text") or "")
    failed = text.startswith(texts.FAILURE_HEADING.format(name=customer))
    return Delivery(
        user=user,
        ok=not failed and re.search(r"\b\d{6}\b", text) is not None,
        ack=sent.ack,
        started=sent.started,
        delivered=delivered,
        rescue_at=first_call.received_at if first_call else None,
        text=text[:160],
    )


def phase_submissions(
    plan: Plan, bench: Bench, rescue: FakeRescue
) -> tuple[list[Delivery], list[str]]:
    """Sequential submissions; Rescue answers in 300 ms and has no rate limit."""
    rescue.reset()
    rescue.set_default(Delay(RESCUE_DELAY))
    # lenspin paces PINs per auth code itself; spacing submissions beyond its interval keeps
    # that deliberate wait out of the overhead figure (the burst measures pacing).
    spacing = RESCUE_INTERVAL + SPACING_MARGIN
    results: list[Delivery] = []
    errors: list[str] = []
    previous = -spacing
    for _ in range(plan.submissions):
        user = bench.user()
        try:
            customer = f"Bench {user}"
            opened = open_modal(bench, LENSPIN, user, customer)
            pause = previous + spacing - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            previous = time.monotonic()
            sent = submit(bench, LENSPIN, opened, user=user, customer=customer)
            results.append(wait_delivered(bench, rescue, LENSPIN, sent, timeout=WAIT_SECONDS))
        except (BenchError, OSError, AssertionError) as error:
            errors.append(str(error)[:300])
    bench.slack.reset()
    return results, errors


def phase_burst(
    plan: Plan, bench: Bench, rescue: FakeRescue
) -> tuple[list[Delivery], list[str], int]:
    """plan.burst_users technicians send plan.burst requests at once on the shared code."""
    rescue.reset()
    rescue.set_default(Delay(RESCUE_DELAY))
    users = [bench.user() for _ in range(plan.burst_users)]
    # Request k goes to user k % users: every technician has a few forms open at once.
    opened = []
    for k in range(plan.burst):
        user, customer = users[k % len(users)], f"Burst {k:04d}"
        opened.append((user, customer, open_modal(bench, BURST, user, customer)))
    interval = RESCUE_INTERVAL
    timeout = plan.burst * interval + BURST_EXTRA_WAIT_SECONDS

    def work(i: int) -> list[Delivery | str]:
        mine = opened[i :: len(users)]
        sent: list[Submitted | str] = []
        # Submitted back to back, as fast as Slack forwards them, before any PIN comes.
        for user, customer, modal in mine:
            try:
                sent.append(submit(bench, BURST, modal, user=user, customer=customer))
            except (BenchError, OSError) as error:
                sent.append(str(error)[:300])
        outcomes: list[Delivery | str] = []
        for item in sent:
            if isinstance(item, str):
                outcomes.append(item)
                continue
            try:
                outcomes.append(wait_delivered(bench, rescue, BURST, item, timeout=timeout))
            except BenchError as error:
                outcomes.append(str(error)[:300])
        return outcomes

    per_user, _ = on_threads(bench, len(users), work)
    outcomes = [o for mine in per_user for o in mine]
    calls = sum(1 for c in rescue.calls if c.operation == PIN_OPERATION)
    results = [o for o in outcomes if isinstance(o, Delivery)]
    return results, [o for o in outcomes if isinstance(o, str)], calls


def stop_all(apps: Iterable[ServedApp]) -> None:
    """Stop apps in parallel (a worker holding keep-alive connections takes seconds to go)."""
    threads = [threading.Thread(target=app.stop) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- summaries ---------------------------------------------------------------------------------


def summarize_commands(tally: Tally) -> dict[str, Any]:
    """Percentiles and rate of one app's /lenspin commands in one phase."""
    acks = [s.ack for s in tally.samples]
    modals = [s.modal for s in tally.samples]
    n = max(1, len(tally.samples) + len(tally.errors))
    return {
        "n": len(tally.samples),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
        "ack_p50_s": pct(acks, 50),
        "ack_p99_s": pct(acks, 99),
        "ack_max_s": max(acks, default=float("nan")),
        "modal_p50_s": pct(modals, 50),
        "modal_p99_s": pct(modals, 99),
        "requests_per_s": len(tally.samples) / tally.wall if tally.wall else float("nan"),
        "wall_s": tally.wall,
        "app_cpu_per_request_s": tally.app_cpu / n,
        "bench_cpu_per_request_s": None if tally.bench_cpu is None else tally.bench_cpu / n,
    }


def summarize_submissions(results: list[Delivery], errors: list[str]) -> dict[str, Any]:
    """End-to-end, overhead and its two halves for the sequential submissions."""
    e2e = [d.end_to_end for d in results]
    before = [d.rescue_at - d.started for d in results if d.rescue_at is not None]
    after = [d.delivered - d.rescue_at - RESCUE_DELAY for d in results if d.rescue_at is not None]
    acks = [d.ack for d in results]
    return {
        "n": len(results) + len(errors),
        "pins_ok": sum(d.ok for d in results),
        "errors": errors[:5],
        "spacing_s": RESCUE_INTERVAL + SPACING_MARGIN,
        "rescue_delay_s": RESCUE_DELAY,
        "ack_p50_s": pct(acks, 50),
        "ack_p99_s": pct(acks, 99),
        "e2e_p50_s": pct(e2e, 50),
        "e2e_p99_s": pct(e2e, 99),
        "overhead_p50_s": pct(e2e, 50) - RESCUE_DELAY,
        "overhead_p99_s": pct(e2e, 99) - RESCUE_DELAY,
        "to_rescue_p50_s": pct(before, 50),
        "to_rescue_p99_s": pct(before, 99),
        "after_rescue_p50_s": pct(after, 50),
        "after_rescue_p99_s": pct(after, 99),
    }


def summarize_burst(results: list[Delivery], errors: list[str], calls: int) -> dict[str, Any]:
    """How long the burst took against its floors, and how often Rescue said slow down."""
    n = len(results) + len(errors)
    first = min((d.started for d in results), default=0.0)
    offsets = sorted(d.delivered - first for d in results) or [float("nan")]
    successes = sum(d.ok for d in results)
    interval = RESCUE_INTERVAL
    return {
        "n": n,
        "last_delivered_s": offsets[-1],
        "delivered_at_s": [round(x, 3) for x in offsets],
        "lower_bound_s": n - 1,
        "lower_bound_with_rescue_delay_s": n - 1 + RESCUE_DELAY,
        "bot_pacing_interval_s": interval,
        "bot_pacing_floor_s": (n - 1) * interval + RESCUE_DELAY,
        "pins_ok": successes,
        "pins_failed": n - successes,
        "rescue_pin_calls": calls,
        # Every call beyond one per successful PIN was answered PollRateExceeded.
        "poll_rate_exceeded": calls - successes,
        "failure_texts": sorted({d.text for d in results if not d.ok})[:3],
        "errors": errors[:5],
    }


def table_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, lenspin, bare, lenspin/bare) rows for the printed table."""
    rows: list[tuple[str, str, str, str]] = []
    plan = report["plan"]
    up = report["startup"]
    lm, bm = up[LENSPIN]["median_s"], up[BARE]["median_s"]
    rows.append(
        (
            f"start-up to first /healthz 200, median of {plan['startups']}",
            secs(lm),
            secs(bm),
            ratio(lm, bm),
        )
    )
    for phase, label in (
        ("sequential", f"{plan['sequential']} sequential"),
        ("concurrent", f"{plan['clients']} clients x {plan['per_client']}"),
        (
            "paced",
            f"{plan['clients']} clients x {plan['paced_rate_per_client']:g}/s "
            f"x {plan['per_client']}",
        ),
    ):
        lens, bare = report["acks"][phase][LENSPIN], report["acks"][phase][BARE]
        for key, what in (
            ("ack_p50_s", "ack p50"),
            ("ack_p99_s", "ack p99"),
            ("modal_p50_s", "command -> views.open p50"),
            ("modal_p99_s", "command -> views.open p99"),
        ):
            rows.append(
                (
                    f"/lenspin {what} ({label})",
                    ms(lens[key]),
                    ms(bare[key]),
                    ratio(lens[key], bare[key]),
                )
            )
        rows.append(
            (
                f"app CPU per /lenspin, all gunicorn processes ({label})",
                ms(lens["app_cpu_per_request_s"]),
                ms(bare["app_cpu_per_request_s"]),
                ratio(lens["app_cpu_per_request_s"], bare["app_cpu_per_request_s"]),
            )
        )
        if lens["bench_cpu_per_request_s"] is not None:
            rows.append(
                (
                    f"bench CPU per /lenspin, client + fake Slack ({label})",
                    ms(lens["bench_cpu_per_request_s"]),
                    ms(bare["bench_cpu_per_request_s"]),
                    ratio(lens["bench_cpu_per_request_s"], bare["bench_cpu_per_request_s"]),
                )
            )
        rows.append(
            (
                f"/lenspin requests/s ({label})",
                f"{lens['requests_per_s']:.0f} /s",
                f"{bare['requests_per_s']:.0f} /s",
                ratio(lens["requests_per_s"], bare["requests_per_s"]),
            )
        )
        errors = lens["errors"] + bare["errors"]
        if errors:
            rows.append(
                (f"/lenspin errors ({label})", str(lens["errors"]), str(bare["errors"]), "-")
            )
    sub = report["submissions"]
    n = sub["n"]
    rows += [
        (
            f"view_submission ack p50 / p99 ({n} sequential)",
            f"{ms(sub['ack_p50_s'])} / {ms(sub['ack_p99_s'])}",
            "-",
            "-",
        ),
        (
            f"submission -> PIN delivered p50 (Rescue {RESCUE_DELAY * 1000:.0f} ms)",
            ms(sub["e2e_p50_s"]),
            "-",
            "-",
        ),
        ("submission -> PIN delivered p99", ms(sub["e2e_p99_s"]), "-", "-"),
        (
            "bot overhead (end-to-end - 300 ms) p50 / p99",
            f"{ms(sub['overhead_p50_s'])} / {ms(sub['overhead_p99_s'])}",
            "-",
            "-",
        ),
        (
            "  of which submit -> Rescue request arrives p50 / p99",
            f"{ms(sub['to_rescue_p50_s'])} / {ms(sub['to_rescue_p99_s'])}",
            "-",
            "-",
        ),
        (
            "  of which Rescue answer -> PIN delivered p50 / p99",
            f"{ms(sub['after_rescue_p50_s'])} / {ms(sub['after_rescue_p99_s'])}",
            "-",
            "-",
        ),
        ("PINs delivered", f"{sub['pins_ok']}/{n}", "-", "-"),
    ]
    mem = report["memory"]
    for key, label in mem["labels"].items():
        lens, bare = mem[key][LENSPIN], mem[key][BARE]
        workers = len(lens["workers"])
        rows.append(
            (
                f"peak RSS per worker {label} (max of {workers})",
                mib(lens["max_worker_hwm_kib"]),
                mib(bare["max_worker_hwm_kib"]),
                ratio(lens["max_worker_hwm_kib"], bare["max_worker_hwm_kib"]),
            )
        )
    rows.append(
        (
            "  PINs delivered among lenspin's requests (besides the submissions above)",
            str(mem["pins_while_filling"]),
            "-",
            "-",
        )
    )
    burst = report["burst"]
    rows += [
        (
            f"burst: {burst['n']} PINs from {plan['burst_users']} users, last delivered after",
            secs(burst["last_delivered_s"]),
            "-",
            "-",
        ),
        (
            "  over the rate limit's lower bound (N-1) s",
            f"{(burst['last_delivered_s'] / burst['lower_bound_s'] - 1) * 100:+.1f} %"
            if burst["lower_bound_s"]
            else "-",
            "-",
            "-",
        ),
        (
            "  lower bound (N-1) s / +Rescue 300 ms / bot pacing floor",
            f"{secs(burst['lower_bound_s'])} / {secs(burst['lower_bound_with_rescue_delay_s'])} / "
            f"{secs(burst['bot_pacing_floor_s'])}",
            "-",
            "-",
        ),
        (
            "  PollRateExceeded answers (calls - PINs)",
            f"{burst['poll_rate_exceeded']} ({burst['rescue_pin_calls']} calls)",
            "-",
            "-",
        ),
        ("  PINs delivered / failed", f"{burst['pins_ok']} / {burst['pins_failed']}", "-", "-"),
    ]
    return rows


def render(rows: list[tuple[str, str, str, str]]) -> str:
    """A plain-text table."""
    header = ("metric", "lenspin", "bare Bolt", "lenspin/bare")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for i, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- the run -----------------------------------------------------------------------------------


def progress(started: float, text: str) -> None:
    """A line on stderr, so a long run shows where it is."""
    print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)


def measure_acks(
    plan: Plan, bench: Bench, rescue: FakeRescue, report: dict[str, Any], t0: float
) -> None:
    """Warm-up, sequential and concurrent /lenspin, and the first memory checkpoint."""
    apps = bench.apps
    memory_points: dict[str, Any] = {"after_start": {n: memory(apps[n]) for n in (LENSPIN, BARE)}}
    report["memory"] = memory_points
    progress(t0, "warm-up: a few commands per worker (counted for RSS, not timed)")
    warm = {LENSPIN: Tally(), BARE: Tally()}
    for i in range(2 * report["gunicorn"]["workers"]):
        for name in alternate(i):
            record(warm[name], lambda name=name: command_once(bench, name))
    report["first_ack_s"] = {n: t.samples[0].ack if t.samples else None for n, t in warm.items()}

    progress(t0, f"acks: {plan.sequential} sequential per app")
    sequential = phase_sequential(plan, bench)
    first = plan.rss_checkpoints[0]
    progress(t0, f"memory: topping both apps up to {first} requests, PINs included")
    memory_points["pins_while_filling"] = fill_to(bench, first, rescue)
    memory_points[f"after_{first}"] = {n: memory(apps[n]) for n in (LENSPIN, BARE)}

    progress(t0, f"acks: {plan.clients} clients x {plan.per_client} per app")
    concurrent = phase_concurrent(plan, bench)
    rate = plan.clients * plan.paced_rate_per_client
    progress(t0, f"acks: {plan.clients} clients x {plan.per_client}, paced at {rate:g}/s per app")
    paced = phase_concurrent(plan, bench, paced=True)
    report["acks"] = {
        phase: {n: summarize_commands(t) for n, t in tallies.items()}
        for phase, tallies in (
            ("sequential", sequential),
            ("concurrent", concurrent),
            ("paced", paced),
        )
    }
    report["samples"].update(
        sequential={n: [asdict(s) for s in t.samples] for n, t in sequential.items()},
        concurrent={n: [asdict(s) for s in t.samples] for n, t in concurrent.items()},
        paced={n: [asdict(s) for s in t.samples] for n, t in paced.items()},
    )


def measure_pins(
    plan: Plan,
    bench: Bench,
    *,
    rescues: tuple[FakeRescue, FakeRescue],
    burst_env: dict[str, str],
    report: dict[str, Any],
    t0: float,
) -> None:
    """Sequential submissions, the second memory checkpoint, then the burst."""
    rescue, burst_rescue = rescues
    progress(t0, f"submissions: {plan.submissions} sequential, Rescue answering in 300 ms")
    deliveries, errors = phase_submissions(plan, bench, rescue)
    report["submissions"] = summarize_submissions(deliveries, errors)

    memory_points = report["memory"]
    for checkpoint in plan.rss_checkpoints[1:]:
        progress(t0, f"memory: topping both apps up to {checkpoint} requests, PINs included")
        memory_points["pins_while_filling"] += fill_to(bench, checkpoint, rescue)
        memory_points[f"after_{checkpoint}"] = {n: memory(bench.apps[n]) for n in (LENSPIN, BARE)}
    memory_points["labels"] = {
        "after_start": "after start-up",
        **{f"after_{n}": f"after {n} requests" for n in plan.rss_checkpoints},
    }
    memory_points["requests_sent"] = {n: bench.sent[n] for n in (LENSPIN, BARE)}

    progress(
        t0,
        f"burst: {plan.burst} PINs from {plan.burst_users} users at once, Rescue allowing 1 PIN/s",
    )
    # An instance of its own, pointed at a Rescue that enforces the rate limit.
    bench.apps[BURST] = ServedApp(burst_env, name=BURST, target=LENSPIN_TARGET).start()
    burst, burst_errors, calls = phase_burst(plan, bench, burst_rescue)
    report["burst"] = summarize_burst(burst, burst_errors, calls)
    report["samples"].update(
        submissions=[asdict(d) for d in deliveries], burst=[asdict(d) for d in burst]
    )


def run(plan: Plan, *, quick: bool, extra_env: dict[str, str], logs: Path) -> dict[str, Any]:
    """Every phase, in order; returns the report and leaves each app's log under logs."""
    t0 = time.monotonic()
    report: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "revision": revision(),
        "plan": asdict(plan),
        "samples": {},
    }
    tcp_before = tcp_counters()
    pool_threads = max(plan.clients, plan.burst_users)
    apps: dict[str, ServedApp] = {}
    with (
        FakeSlack(check_blocks=False) as slack,
        FakeRescue(auth_codes=(MAIN_AUTH_CODE, *FILL_CODES), rate_limit=None) as rescue,
        FakeRescue(auth_codes=(BURST_AUTH_CODE,), rate_limit=1.0) as burst_rescue,
        ThreadPoolExecutor(pool_threads, thread_name_prefix="bench-client") as pool,
    ):
        envs = {
            LENSPIN: app_env(slack, rescue, MAIN_AUTH_CODE, extra_env),
            BARE: app_env(slack, rescue, MAIN_AUTH_CODE, extra_env),
        }
        burst_env = app_env(slack, burst_rescue, BURST_AUTH_CODE, extra_env)
        connect_fill_users(envs[LENSPIN]["DATABASE_URL"], slack.team_id)
        report["gunicorn"] = same_server(envs)
        # The same apps and database with the workers gunicorn_conf chooses by default.
        default_envs = {
            name: {k: v for k, v in env.items() if k != "WEB_CONCURRENCY"}
            for name, env in envs.items()
        }
        default_workers = same_server(default_envs)["workers"]
        try:
            progress(t0, f"start-up: {plan.startups} starts per app, interleaved")
            times = phase_startup(plan, envs, apps)
            report["startup"] = {
                name: {"median_s": statistics.median(v), "runs_s": v} for name, v in times.items()
            }
            bench = Bench(slack, apps, pool, pool_threads)
            measure_acks(plan, bench, rescue, report, t0)
            measure_pins(
                plan,
                bench,
                rescues=(rescue, burst_rescue),
                burst_env=burst_env,
                report=report,
                t0=t0,
            )
            n = plan.footprint_requests
            progress(t0, f"memory: both apps with {default_workers} workers, {n} requests each")

            def fill(pair: dict[str, ServedApp], target: int) -> int:
                pins = fill_to(Bench(slack, pair, pool, pool_threads), target, rescue)
                slack.reset()
                return pins

            report["footprint"] = headline.footprint(
                default_envs, workers=default_workers, requests=n, fill=fill, kept=apps
            )
        finally:
            progress(t0, "stopping")
            stop_all(apps.values())
            logs.mkdir(parents=True, exist_ok=True)
            for name, app in apps.items():
                (logs / f"{name}.log").write_text(app.output())
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    tcp_after = tcp_counters()
    report["tcp_system_wide"] = {k: tcp_after[k] - v for k, v in tcp_before.items()}
    report["duration_s"] = time.monotonic() - t0
    return report


def errors_in(report: dict[str, Any]) -> int:
    """Requests that failed where the flow should have worked (not burst outcomes)."""
    failed = sum(s["errors"] for phase in report["acks"].values() for s in phase.values())
    sub = report["submissions"]
    return failed + sub["n"] - sub["pins_ok"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "latest.json", help="JSON report"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="WEB_CONCURRENCY for every app (default 1, issue 15's setting; the run also "
        "measures whole-tree memory with gunicorn_conf's default)",
    )
    parser.add_argument(
        "--threads", type=int, help="GUNICORN_THREADS for every app (default: gunicorn_conf's)"
    )
    args = parser.parse_args(argv)
    if (bare_app.LISTENER_THREADS, bare_app.ACK_PATH_TIMEOUT) != (
        bolt.LISTENER_THREADS,
        bolt.ACK_PATH_TIMEOUT,
    ):
        parser.error("bench/bare_app.py's Bolt wiring no longer matches bot/slack/bolt.py's")
    extra_env = {}
    if args.workers:
        extra_env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        extra_env["GUNICORN_THREADS"] = str(args.threads)
    logs = args.out.with_suffix(".logs")
    report = run(QUICK if args.quick else FULL, quick=args.quick, extra_env=extra_env, logs=logs)
    m, g = report["machine"], report["gunicorn"]
    print(
        f"\nlenspin benchmark ({report['mode']}, {report['duration_s']:.0f} s) on "
        f"{m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; "
        f"gunicorn gthread, {g['workers']} workers x {g['threads']} threads per app\n"
    )
    print(render(table_rows(report)))
    print(f"\nIssue 15's figures (this run)\n\n{headline.render(headline.rows(report))}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    tcp = report["tcp_system_wide"]
    print(
        f"\nTCP during the run (whole machine): {tcp['ListenOverflows']} listen-queue overflows, "
        f"{tcp['TCPSynRetrans']} SYN retransmits. JSON: {args.out}; app logs: {logs}/",
        flush=True,
    )
    failures = errors_in(report)
    if failures:
        print(f"{failures} request(s) failed; see the JSON", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
