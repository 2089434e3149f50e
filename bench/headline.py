"""Issue 15's figures: whole-tree memory with the default workers, and one table with targets.

bench.py measures everything with one worker per app (WEB_CONCURRENCY=1, the issue's setting)
unless told otherwise; footprint() starts one more pair of apps with the default number of
workers and tops them up with the same traffic, so the table shows what a dyno holds both ways.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bench.launcher import BARE_CONFIG, BARE_TARGET, LENSPIN_TARGET, ServedApp
from bench.tree import tree_memory

LENSPIN, BARE = "lenspin", "bare"


def footprint(
    envs: Mapping[str, dict[str, str]],
    *,
    workers: int,
    requests: int,
    fill: Callable[[dict[str, ServedApp], int], int],
    kept: dict[str, ServedApp],
) -> dict[str, Any]:
    """Start both apps with envs (the default workers), fill each to requests, read their trees.

    fill(apps, n) sends the benchmark's mix (commands, and PINs to lenspin) until each app has
    had n requests, and returns lenspin's PINs; the apps are left in kept for the caller to stop.
    """
    apps = {
        LENSPIN: ServedApp(envs[LENSPIN], name=f"{LENSPIN}-default", target=LENSPIN_TARGET),
        BARE: ServedApp(envs[BARE], name=f"{BARE}-default", target=BARE_TARGET, config=BARE_CONFIG),
    }
    for name, app in apps.items():
        kept[f"{name}-default"] = app
        app.start()
    after_start = {name: {"tree": tree_memory(app)} for name, app in apps.items()}
    pins = fill(apps, requests)
    return {
        "workers": workers,
        "after_start": after_start,
        f"after_{requests}": {name: {"tree": tree_memory(app)} for name, app in apps.items()},
        "requests": requests,
        "pins_while_filling": pins,
    }


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _ratio(a: float, b: float) -> float:
    return a / b if b and math.isfinite(a) and math.isfinite(b) else float("nan")


def _verdict(value: float, limit: float, *, at_most: bool = True, strict: bool = False) -> str:
    if not math.isfinite(value):
        return "-"
    if strict:
        ok = value < limit if at_most else value > limit
    else:
        ok = value <= limit if at_most else value >= limit
    return "met" if ok else "MISSED"


def rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, lenspin, bare, ratio, target, verdict) for each of the issue's figures."""
    plan, out = report["plan"], []
    up = report["startup"]
    lens, bare = up[LENSPIN]["median_s"], up[BARE]["median_s"]
    r = _ratio(lens, bare)
    out.append(
        (
            f"start-up, process start -> first /healthz 200 (median of {plan['startups']})",
            f"{lens:.3f} s",
            f"{bare:.3f} s",
            f"{r:.2f}x",
            "<= 1.5x",
            _verdict(r, 1.5),
        )
    )
    for phase, label in (
        ("sequential", "sequential"),
        ("concurrent", f"{plan['clients']} concurrent clients"),
    ):
        acks = report["acks"][phase]
        for key, what in (("ack_p50_s", "p50"), ("ack_p99_s", "p99")):
            lens, bare = acks[LENSPIN][key], acks[BARE][key]
            r = _ratio(lens, bare)
            target = what == "p99"
            out.append(
                (
                    f"/lenspin ack {what}, {label}",
                    _ms(lens),
                    _ms(bare),
                    f"{r:.2f}x",
                    "<= 1.2x" if target else "-",
                    _verdict(r, 1.2) if target else "-",
                )
            )
    acks = report["acks"]["concurrent"]
    lens, bare = acks[LENSPIN]["requests_per_s"], acks[BARE]["requests_per_s"]
    r = _ratio(lens, bare)
    out.append(
        (
            f"throughput, {plan['clients']} clients",
            f"{lens:.0f}/s",
            f"{bare:.0f}/s",
            f"{r:.2f}x",
            ">= 0.9x",
            _verdict(r, 0.9, at_most=False),
        )
    )
    out += _memory_rows(report)
    sub = report["submissions"]
    overhead = sub["overhead_p50_s"]
    out.append(
        (
            "PIN overhead p50 (request sent -> message, minus Rescue's 300 ms)",
            _ms(overhead),
            "-",
            "-",
            "< 20 ms",
            _verdict(overhead, 0.020, strict=True),
        )
    )
    burst = report["burst"]
    bound = burst["lower_bound_s"]
    r = _ratio(burst["last_delivered_s"], bound)
    out.append(
        (
            f"{burst['n']}-PIN burst at 1 PIN/s ({plan['burst_users']} technicians)",
            f"{burst['last_delivered_s']:.1f} s",
            f"bound {bound:.0f} s",
            f"{r:.2f}x",
            "<= 1.1x",
            _verdict(r, 1.1),
        )
    )
    return out


def _memory_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    workers = report["gunicorn"]["workers"]
    checkpoint = report["plan"]["rss_checkpoints"][1]
    trees = [(workers, report["memory"][f"after_{checkpoint}"], checkpoint)]
    default = report.get("footprint")
    if default is not None:
        done = default["requests"]
        trees.append((default["workers"], default[f"after_{done}"], done))
    for count, tree, done in trees:
        lens, bare = tree[LENSPIN]["tree"], tree[BARE]["tree"]
        label = f"{count} worker{'s' if count > 1 else ''}, after {done:,} requests"
        rss = _ratio(lens["rss_kib"], bare["rss_kib"])
        pss = _ratio(lens["pss_kib"], bare["pss_kib"])
        out.append(
            (
                f"RSS of the whole process tree ({label})",
                _mib(lens["rss_kib"]),
                _mib(bare["rss_kib"]),
                f"{rss:.2f}x",
                "< 100 MiB" if count == 1 else "-",
                _verdict(lens["rss_kib"], 100 * 1024, strict=True) if count == 1 else "-",
            )
        )
        out.append(
            (
                f"PSS of the whole process tree ({label})",
                _mib(lens["pss_kib"]),
                _mib(bare["pss_kib"]),
                f"{pss:.2f}x",
                "<= 2x",
                _verdict(pss, 2.0),
            )
        )
        out.append(
            (
                f"  of which the master's RSS ({label})",
                _mib(lens["master_rss_kib"]),
                _mib(bare["master_rss_kib"]),
                f"{_ratio(lens['master_rss_kib'], bare['master_rss_kib']):.2f}x",
                "-",
                "-",
            )
        )
    return out


def render(table: list[tuple[str, str, str, str, str, str]]) -> str:
    """A plain-text table."""
    header = ("figure", "lenspin", "bare Bolt", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(6)]
    lines = []
    for i, row in enumerate([header, *table]):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
