#!/usr/bin/env python3
"""Latency of message sends as the load balancer saw them, per time window.

Reads nginx's JSON access log of a cluster (deploy/local/cluster.sh writes it to
$CHAT_STATE_DIR/logs/nginx.log) and prints, for each window, the POST …/messages answers by
status and the accepted (2xx) p50 / p99 / max of `duration_s` (nginx's request time: from the
request read to the answer sent), and the p99 of the 503 refusals. Under overload on one machine
the load generator falls behind its own schedule, so this is the number to compare
(BENCHMARKS.md, "overload").

    e2e/bench/nginx_latency.py .local/bench/logs/nginx.log 09:26:03-09:27:03 09:27:03-09:28:03
"""
import collections
import json
import sys


def quantile(values, q):
    return values[min(len(values) - 1, int(len(values) * q))] if values else None


def main(path, windows):
    rows = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("method") == "POST" and entry.get("path", "").endswith("/messages"):
                rows.append((entry["ts"][11:19], entry["status"], float(entry["duration_s"])))
    for window in windows:
        start, end = window.split("-")
        chosen = [r for r in rows if start <= r[0] < end]
        accepted = sorted(d for _, status, d in chosen if 200 <= status < 300)
        refused = sorted(d for _, status, d in chosen if status == 503)
        statuses = dict(collections.Counter(status for _, status, _ in chosen))
        print(
            f"{window}: {statuses} accepted p50 {quantile(accepted, 0.5)} s, p99 {quantile(accepted, 0.99)} s,"
            f" max {accepted[-1] if accepted else None} s; refused p99 {quantile(refused, 0.99)} s"
        )


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
