"""The floor under a lenspin worker: what its required libraries alone cost in time and memory.

Each step runs in a fresh Python process that does only what any worker of this design must
do before it serves: gunicorn's gthread worker, Bolt, SQLAlchemy (Core, not the ORM) asking
a SQLite database one question, Fernet decrypting one token, and zeep building a client from
lenspin's WSDL. It prints the seconds and the VmRSS after each step (best of --runs), so the
gap to a bare Bolt worker splits into what the libraries need and what lenspin adds.

    .venv/bin/python bench/floor.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WSDL = ROOT / "bot" / "rescue" / "wsdl" / "API.wsdl"

# Cumulative: each step's code runs after every step before it, in one process.
STEPS: list[tuple[str, str]] = [
    ("Python", "pass"),
    (
        "gunicorn's gthread worker",
        "import gunicorn.app.wsgiapp, gunicorn.workers.gthread",
    ),
    ("Bolt (a bare worker stops here)", "from slack_bolt import App"),
    (
        "SQLAlchemy Core, one SELECT on SQLite",
        "import sqlalchemy as sa, tempfile\n"
        "e = sa.create_engine('sqlite:///' + tempfile.mktemp())\n"
        "with e.connect() as c: c.execute(sa.text('select 1')).all()",
    ),
    (
        "cryptography's Fernet, one decrypt",
        "from cryptography.fernet import Fernet\n"
        "k = Fernet.generate_key(); Fernet(k).decrypt(Fernet(k).encrypt(b'x'))",
    ),
    ("zeep, lenspin's WSDL parsed", f"import zeep\nzeep.Client({str(WSDL)!r})"),
]

_PROBE = """
import json, time
started = time.perf_counter()
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
out = [(0.0, rss())]
for code in json.loads({steps!r}):
    exec(code, {{}})
    out.append((time.perf_counter() - started, rss()))
print(json.dumps(out))
"""


def measure(runs: int) -> list[tuple[float, float]]:
    """Per step: the fewest seconds since the imports began, and the least RSS in MiB."""
    codes = json.dumps([code for _, code in STEPS])
    best: list[tuple[float, float]] | None = None
    for _ in range(runs):
        done = subprocess.run(  # noqa: S603 (our own interpreter and code)
            [sys.executable, "-c", _PROBE.format(steps=codes)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        points = [(t, kib / 1024) for t, kib in json.loads(done.stdout)[1:]]
        if best is None:
            best = points
        else:
            best = [(min(a[0], b[0]), min(a[1], b[1])) for a, b in zip(best, points, strict=True)]
    assert best is not None
    return best


def main() -> None:
    """Print the floor, step by step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"{'step':<42} {'seconds':>8} {'RSS MiB':>8} {'+MiB':>6}")
    previous = 0.0
    for (name, _), (seconds, rss) in zip(STEPS, measure(runs), strict=True):
        print(f"{name:<42} {seconds:>8.3f} {rss:>8.1f} {rss - previous:>6.1f}")
        previous = rss


if __name__ == "__main__":
    main()
