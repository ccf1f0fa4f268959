#!/usr/bin/env python3
"""Summary of e2e/bench/memcached-ab.sh: per variant the median and the range over the rounds.

Usage: memcached_ab_report.py RESULTS_DIR DURATION_S      (prints markdown tables)
"""
import json
import os
import pathlib
import re
import statistics
import sys

TICK = os.sysconf("SC_CLK_TCK")
ROLES = ["api", "ws-1", "ws-2", "nginx", "memcached", "memcached2", "postgres", "rabbitmq"]


def cpu(before: pathlib.Path, after: pathlib.Path) -> dict[str, float]:
    """CPU seconds per role over the run (pids alive at both ends)."""
    read = lambda p: {(r, pid): int(t) for r, pid, t in (l.split() for l in p.read_text().splitlines())}  # noqa: E731
    b, a = read(before), read(after)
    out = dict.fromkeys(ROLES, 0.0)
    for key, t in a.items():
        if key in b:
            out[key[0]] += (t - b[key]) / TICK
    return out


def main(out: pathlib.Path, duration: float) -> None:
    runs: dict[str, list[dict]] = {}
    for f in sorted(out.glob("*.json")):
        m = re.fullmatch(r"(.+)\.(\d+)\.json", f.name)
        if not m:
            continue
        name, rnd = m.group(1), int(m.group(2))
        res = json.loads(f.read_text())["result"]
        c = cpu(out / f"{name}.{rnd}.before", out / f"{name}.{rnd}.after")
        user, system = map(float, (out / f"{name}.{rnd}.loadgen-cpu").read_text().split()[-2:])
        idle = int((out / f"{name}.{rnd}.idle").read_text()) / TICK / (os.cpu_count() or 1)
        runs.setdefault(name, []).append({
            "round": rnd, "rate": res["persisted_per_s"], "p50": res["rest_send"]["p50_ms"],
            "p99": res["rest_send"]["p99_ms"], "errors": res["send_errors"], "lost": res["lost"],
            "cpu": c, "loadgen": user + system, "idle": idle,
        })
    pct = lambda s: 100 * s / duration  # noqa: E731  CPU seconds -> % of one core
    med = lambda xs: statistics.median(xs)  # noqa: E731

    print("| variant | runs | persisted/s median (min-max) | REST p50 ms | REST p99 ms median (min-max) | "
          "CPU % of a core: api | ws-1+ws-2 | memcached (all) | postgres | loadgen | machine idle % | api CPU ms/msg | errors, lost |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    order = list(runs)
    for name in order:
        rs = runs[name]
        rate = [r["rate"] for r in rs]
        p99 = [r["p99"] for r in rs]
        api = [pct(r["cpu"]["api"]) for r in rs]
        ws = [pct(r["cpu"]["ws-1"] + r["cpu"]["ws-2"]) for r in rs]
        mc = [pct(r["cpu"]["memcached"] + r["cpu"]["memcached2"]) for r in rs]
        pg = [pct(r["cpu"]["postgres"]) for r in rs]
        lg = [pct(r["loadgen"]) for r in rs]
        idle = [100 * r["idle"] / duration for r in rs]
        per_msg = [1000 * r["cpu"]["api"] / (r["rate"] * duration) for r in rs if r["rate"]]
        print(f"| {name} | {len(rs)} | **{med(rate):.0f}** ({min(rate):.0f}-{max(rate):.0f}) | {med([r['p50'] for r in rs]):.1f} | "
              f"{med(p99):.1f} ({min(p99):.1f}-{max(p99):.1f}) | {med(api):.0f} | {med(ws):.0f} | {med(mc):.1f} | {med(pg):.0f} | "
              f"{med(lg):.0f} | {med(idle):.0f} | {med(per_msg):.2f} | {sum(r['errors'] for r in rs)}, {sum(r['lost'] for r in rs)} |")
    print()
    print("| round | " + " | ".join(order) + " |")
    print("|---|" + "---|" * len(order))
    for rnd in sorted({r["round"] for rs in runs.values() for r in rs}):
        cells = [next((f"{r['rate']:.0f}/s p99 {r['p99']:.0f}" for r in runs[n] if r["round"] == rnd), "-") for n in order]
        print(f"| {rnd} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), float(sys.argv[2]))
