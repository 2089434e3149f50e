"""`python -m devtools.fake_rescue`: serve the fake Rescue in the foreground for manual runs."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from devtools.fake_rescue.fake import FakeRescue
from devtools.fake_rescue.faults import Delay


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake in the foreground until Ctrl-C (or SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fake_rescue",
        description="Serve a fake LogMeIn Rescue API.asmx for manual runs and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--auth-code",
        dest="auth_codes",
        action="append",
        metavar="CODE",
        help="a valid auth code (repeatable; default: test-auth-code)",
    )
    parser.add_argument(
        "--delay", type=float, default=0.0, metavar="SECONDS", help="answer every call this late"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="minimum gap between PINs for one auth code (0 disables; default 1)",
    )
    args = parser.parse_args(argv)
    fake = FakeRescue(
        auth_codes=args.auth_codes or ("test-auth-code",),
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit if args.rate_limit > 0 else None,
    )
    if args.delay > 0:
        fake.set_default(Delay(args.delay))
    stopped = threading.Event()
    # Ctrl-C sets the event too, rather than raising KeyboardInterrupt wherever the main thread
    # happens to be: one that lands between printing the URL and the wait killed the process.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with fake:
        print(fake.url, flush=True)
        print("Fake Rescue is running; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stopped.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
