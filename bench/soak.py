"""Soak one lenspin worker with commands and PINs; print its memory every few thousand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# As in bench.py: run as a script, bench/ must not shadow the bench package.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from bench.bench import (  # noqa: E402
    FILL_CODES,
    LENSPIN,
    MAIN_AUTH_CODE,
    Bench,
    app_env,
    connect_fill_users,
    fill_to,
    mib,
    migrated,
)
from bench.launcher import LENSPIN_TARGET, ServedApp  # noqa: E402
from devtools.fake_rescue import FakeRescue  # noqa: E402
from devtools.fake_slack import FakeSlack  # noqa: E402

CLIENTS = 8


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak and print one line per checkpoint."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000, help="requests in all")
    parser.add_argument("--every", type=int, default=2_000, help="requests between checkpoints")
    parser.add_argument(
        "--database-url",
        help="an empty database (e.g. PostgreSQL) to migrate and use instead of a new SQLite file",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="extra app environment"
    )
    args = parser.parse_args(argv)
    extra = dict(item.partition("=")[::2] for item in args.env)
    if args.database_url:
        extra["DATABASE_URL"] = migrated(args.database_url)
    with (
        FakeSlack(check_blocks=False) as slack,
        FakeRescue(auth_codes=(MAIN_AUTH_CODE, *FILL_CODES), rate_limit=None) as rescue,
        ThreadPoolExecutor(CLIENTS) as pool,
    ):
        env = app_env(slack, rescue, MAIN_AUTH_CODE, {"WEB_CONCURRENCY": "1", **extra})
        connect_fill_users(env["DATABASE_URL"], slack.team_id)
        app = ServedApp(env, name=LENSPIN, target=LENSPIN_TARGET).start()
        bench = Bench(slack, {LENSPIN: app}, pool, CLIENTS)
        print("requests  PINs  peak RSS   RSS now")
        pins = 0
        peaks: list[int] = []
        try:
            for checkpoint in range(args.every, args.requests + 1, args.every):
                pins += fill_to(bench, checkpoint, rescue)
                # The fakes keep every call; a soak must not measure their growth instead.
                slack.reset()
                rescue.reset()
                (worker,) = app.workers()
                peaks.append(worker.vm_hwm_kib)
                print(
                    f"{bench.sent[LENSPIN]:8d}  {pins:4d}  "
                    f"{mib(worker.vm_hwm_kib):>9}  {mib(worker.vm_rss_kib):>8}",
                    flush=True,
                )
        finally:
            app.stop()
    if len(peaks) >= 2:
        half = len(peaks) // 2
        print(
            f"peak RSS over the last {len(peaks) - half} checkpoints "
            f"({(len(peaks) - half) * args.every:,} requests): "
            f"{(peaks[-1] - peaks[half - 1]) / 1024:+.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
