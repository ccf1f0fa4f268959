#!/usr/bin/env python3
"""Check that every metric the alerts and dashboards use is one the servers export.

Reads the PromQL in observability/prometheus/alerts.yml and in the Prometheus targets and
template variables of observability/grafana/dashboards/*.json (Loki queries are skipped),
extracts the metric names (Prometheus' own `up` is ignored; `x_bucket`, `x_sum`, `x_count` are
reported as the histogram `x`), and compares them with Prometheus text expositions.

Usage:
  check_metrics.py [--list]                       print the referenced names, one per line,
                                                  with where each is used
  check_metrics.py --exposition FILE_OR_URL ...   fail, listing them, if a referenced name is
                                                  absent from all the given expositions
                                                  (files, or http(s) URLs such as
                                                  http://127.0.0.1:8080/metrics)
  check_metrics.py --contract                     fail if a referenced name is not one of the
                                                  metric names fixed by the design
  check_metrics.py --emit-rules FILE              write every dashboard PromQL query (Grafana
                                                  variables replaced by sample values) as a
                                                  recording rule, so `promtool check rules FILE`
                                                  proves that they parse
  check_metrics.py --self-test                    unit tests of the extraction and parsing
Option: --root DIR   repository root (default: the parent of this script's folder)

Exit status: 0 ok, 1 check failed, 2 usage or unreadable input.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import urllib.request

# The names fixed by the design (shared/design.md, "Metrics"). Histograms by base name.
CONTRACT = {
    "chat_ws_connections",
    "chat_ws_deliveries_total",
    "chat_ws_dropped_total",
    "chat_ws_delivery_latency_seconds",
    "chat_messages_sent_total",
    "chat_outbox_pending",
    "chat_broker_reconnects_total",
    "chat_presence_online",
    "http_requests_total",
    "http_request_duration_seconds",
    # Beyond design.md's list: requests refused by a full bounded queue (issue 18, overload).
    "chat_requests_shed_total",
}
IGNORED = {"up"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

# Words that look like identifiers in PromQL but are not metric names.
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
    "and", "or", "unless", "inf", "nan", "start", "end",
}
# Keywords followed by a parenthesised list of label names.
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}

TOKEN_RE = re.compile(
    r"""
    (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)   # numbers and durations
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<other>\S)
    """,
    re.VERBOSE,
)
STRING_RE = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
GRAFANA_VAR_RE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")


def base_name(name: str) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def promql_metric_names(expr: str) -> set[str]:
    """Metric names used in one PromQL expression (raw, without histogram mapping)."""
    text = GRAFANA_VAR_RE.sub(" ", expr)
    text = STRING_RE.sub('""', text)
    text = re.sub(r"\{[^{}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\[\]]*\]", " ", text)  # range / subquery selectors
    tokens = [(m.lastgroup, m.group()) for m in TOKEN_RE.finditer(text)]
    names: set[str] = set()
    i = 0
    while i < len(tokens):
        kind, tok = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "ident" and tok in LABEL_LIST_KEYWORDS and nxt == "(":
            depth, i = 0, i + 1
            while i < len(tokens):  # skip the label list
                if tokens[i][1] == "(":
                    depth += 1
                elif tokens[i][1] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
        elif kind == "ident" and nxt != "(" and nxt not in ("by", "without") \
                and tok.lower() not in KEYWORDS:
            # not a function call, not an aggregation written `sum by (x) (...)`
            names.add(tok)
        i += 1
    return names


def grafana_variable_query_names(query: str) -> set[str]:
    """Metric names in a Grafana template variable query (label_values, query_result, ...)."""
    q = query.strip()
    m = re.fullmatch(r"label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)", q, re.DOTALL)
    if m:
        return promql_metric_names(m.group(1))
    if re.fullmatch(r"label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)", q) or q.startswith(
        ("label_names(", "metrics(")
    ):
        return set()
    m = re.fullmatch(r"query_result\((.*)\)", q, re.DOTALL)
    if m:
        return promql_metric_names(m.group(1))
    return promql_metric_names(q)


def _is_loki(ds) -> bool:
    if isinstance(ds, dict):
        return ds.get("type") == "loki" or ds.get("uid") == "loki"
    return isinstance(ds, str) and "loki" in ds.lower()


def _walk_panels(panels):
    for panel in panels or []:
        yield panel
        yield from _walk_panels(panel.get("panels"))


def dashboard_exprs(dashboard: dict, source: str) -> list[tuple[str, str, str]]:
    """(where, kind, expression) for every Prometheus query in a Grafana dashboard."""
    out = []
    for panel in _walk_panels(dashboard.get("panels")):
        panel_ds = panel.get("datasource")
        for target in panel.get("targets") or []:
            ds = target.get("datasource") or panel_ds
            if _is_loki(ds) or "expr" not in target:
                continue
            out.append((f"{source}: panel '{panel.get('title', '?')}'", "promql", target["expr"]))
    for var in (dashboard.get("templating") or {}).get("list") or []:
        if var.get("type") != "query" or _is_loki(var.get("datasource")):
            continue
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        if query:
            out.append((f"{source}: variable '{var.get('name')}'", "variable", query))
    return out


def referenced_names(root: pathlib.Path) -> dict[str, list[str]]:
    """name (histograms by base name) -> places that use it."""
    import yaml  # PyYAML; only needed when reading the repository files

    refs: dict[str, list[str]] = {}

    def add(names: set[str], where: str) -> None:
        for n in sorted(names):
            places = refs.setdefault(base_name(n), []) if n not in IGNORED else []
            if n not in IGNORED and where not in places:
                places.append(where)

    alerts = root / "observability/prometheus/alerts.yml"
    doc = yaml.safe_load(alerts.read_text())
    for group in doc.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record")
            add(promql_metric_names(str(rule["expr"])), f"alerts.yml: {name}")
    for path in sorted((root / "observability/grafana/dashboards").glob("*.json")):
        dash = json.loads(path.read_text())
        for where, kind, expr in dashboard_exprs(dash, path.name):
            names = grafana_variable_query_names(expr) if kind == "variable" else promql_metric_names(expr)
            add(names, where)
    return refs


GRAFANA_SAMPLE_VALUES = {
    "$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h", "${__range}": "1h",
}


def dashboard_promql_for_rules(root: pathlib.Path) -> list[tuple[str, str]]:
    """(where, PromQL) of every dashboard query, Grafana variables replaced by sample values."""
    out = []
    for path in sorted((root / "observability/grafana/dashboards").glob("*.json")):
        for where, kind, expr in dashboard_exprs(json.loads(path.read_text()), path.name):
            if kind == "variable":
                m = re.fullmatch(r"label_values\((.*),\s*\w+\s*\)", expr.strip(), re.DOTALL)
                if not m:
                    continue
                expr = m.group(1)
            for var, value in GRAFANA_SAMPLE_VALUES.items():
                expr = expr.replace(var, value)
            expr = GRAFANA_VAR_RE.sub(".+", expr)  # $node etc. only occur inside =~ matchers
            out.append((where, expr))
    return out


def exposition_names(text: str) -> set[str]:
    """Metric names present in a Prometheus/OpenMetrics text exposition."""
    present: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 3 and parts[1] in ("TYPE", "HELP"):
                present.add(parts[2])
            continue
        m = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line)
        if m:
            present.add(m.group())
            present.add(base_name(m.group()))
    return present


def read_source(src: str) -> str:
    if src.startswith(("http://", "https://")):
        with urllib.request.urlopen(src, timeout=10) as resp:
            return resp.read().decode("utf-8", "replace")
    return pathlib.Path(src).read_text()


def self_test() -> int:
    cases = {
        'sum by (node) (chat_ws_connections)': {"chat_ws_connections"},
        'sum(rate(chat_ws_deliveries_total{node=~"$node"}[$__rate_interval]))': {"chat_ws_deliveries_total"},
        'histogram_quantile(0.99, sum by (le) (rate(chat_ws_delivery_latency_seconds_bucket[5m]))) > 0.05':
            {"chat_ws_delivery_latency_seconds_bucket"},
        'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01':
            {"http_requests_total"},
        'absent(up{job="ws-server"} == 1) or sum(up{job="ws-server"}) == 0': {"up"},
        'max(chat_outbox_pending) > 1000 or (max(deriv(chat_outbox_pending[10m])) > 0 and max(chat_outbox_pending) > 100)':
            {"chat_outbox_pending"},
        'sum without (instance) (increase(chat_broker_reconnects_total[10m])) > 3': {"chat_broker_reconnects_total"},
        'sum(rate(a_total[5m] offset 1h)) by (route) / on (route) group_left (x) b': {"a_total", "b"},
        'rate(x_sum[1m]) / rate(x_count[1m]) * 1e3 + 2.5e-3': {"x_sum", "x_count"},
        'sum by (reason) (rate(chat_ws_dropped_total{reason!="a b{c}"}[1m]))': {"chat_ws_dropped_total"},
        'avg_over_time(chat_presence_online[5m:30s])': {"chat_presence_online"},
        '{__name__="up"}': set(),
    }
    passed = failed = 0

    def expect(label, extract, table):
        nonlocal passed, failed
        for given, want in table.items():
            got = extract(given)
            if got == want:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {label} {given!r}: got {sorted(got)} want {sorted(want)}")

    expect("extract", promql_metric_names, cases)

    var_cases = {
        "label_values(http_requests_total, node)": {"http_requests_total"},
        'label_values(chat_ws_connections{service="ws-server"}, node)': {"chat_ws_connections"},
        "label_values(node)": set(),
        "query_result(topk(5, chat_ws_connections))": {"chat_ws_connections"},
    }
    expect("variable", grafana_variable_query_names, var_cases)

    dash = {
        "panels": [
            {"title": "a", "datasource": {"type": "prometheus", "uid": "prometheus"},
             "targets": [{"expr": "sum(chat_ws_connections)"}]},
            {"title": "logs", "datasource": {"type": "loki", "uid": "loki"},
             "targets": [{"expr": '{service=~".+"} | json | request_id="$request_id"'}]},
            {"type": "row", "title": "r", "panels": [
                {"title": "nested", "targets": [{"expr": "rate(http_request_duration_seconds_bucket[1m])"}]}]},
        ],
        "templating": {"list": [
            {"type": "query", "name": "node", "query": {"query": "label_values(http_requests_total, node)"}},
            {"type": "textbox", "name": "request_id", "query": ""},
        ]},
    }
    exprs = [e for _, _, e in dashboard_exprs(dash, "t.json")]
    want_exprs = ["sum(chat_ws_connections)", "rate(http_request_duration_seconds_bucket[1m])",
                  "label_values(http_requests_total, node)"]
    if exprs == want_exprs:
        passed += 1
    else:
        failed += 1
        print(f"FAIL dashboard walk: got {exprs}")

    expo = """# HELP chat_ws_connections Open sockets
# TYPE chat_ws_connections gauge
chat_ws_connections{node="ws-1",service="ws-server"} 3
# TYPE chat_ws_delivery_latency_seconds histogram
chat_ws_delivery_latency_seconds_bucket{le="0.005",node="ws-1"} 1
chat_ws_delivery_latency_seconds_sum{node="ws-1"} 0.001
chat_ws_delivery_latency_seconds_count{node="ws-1"} 1
http_requests_total{route="/api/x",status="200"} 7 1700000000000
"""
    present = exposition_names(expo)
    for name, want in [("chat_ws_connections", True), ("chat_ws_delivery_latency_seconds", True),
                       ("http_requests_total", True), ("chat_outbox_pending", False)]:
        if (name in present) == want:
            passed += 1
        else:
            failed += 1
            print(f"FAIL exposition: {name} present={name in present}, want {want}")
    if base_name("chat_ws_delivery_latency_seconds_bucket") == "chat_ws_delivery_latency_seconds" \
            and base_name("chat_ws_deliveries_total") == "chat_ws_deliveries_total":
        passed += 1
    else:
        failed += 1
        print("FAIL base_name")
    print(f"check_metrics self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true")
    mode.add_argument("--exposition", nargs="+", metavar="FILE_OR_URL")
    mode.add_argument("--contract", action="store_true")
    mode.add_argument("--self-test", action="store_true")
    mode.add_argument("--emit-rules", type=pathlib.Path, metavar="FILE")
    args = ap.parse_args(argv)

    if args.self_test:
        return self_test()
    if args.emit_rules:
        import yaml

        rules = [{"record": f"dashboard:query_{i}", "expr": expr,
                  "labels": {"source": where[:200]}}
                 for i, (where, expr) in enumerate(dashboard_promql_for_rules(args.root))]
        args.emit_rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]},
                                                  sort_keys=False))
        print(f"check_metrics: wrote {len(rules)} dashboard queries to {args.emit_rules}")
        return 0
    try:
        refs = referenced_names(args.root)
    except (OSError, ValueError, KeyError) as e:
        print(f"check_metrics: cannot read alerts/dashboards under {args.root}: {e}", file=sys.stderr)
        return 2

    if args.contract:
        outside = sorted(set(refs) - CONTRACT)
        if outside:
            for n in outside:
                print(f"FAIL metrics: {n} is not a metric of the design (used in {'; '.join(refs[n])})")
            return 1
        print(f"ok   metrics: all {len(refs)} names used by alerts and dashboards are in the design's list")
        return 0

    if args.exposition:
        present: set[str] = set()
        for src in args.exposition:
            try:
                present |= exposition_names(read_source(src))
            except OSError as e:
                print(f"check_metrics: cannot read {src}: {e}", file=sys.stderr)
                return 2
        missing = sorted(n for n in refs if n not in present)
        if missing:
            for n in missing:
                print(f"FAIL metrics: {n} missing from the exposition (used in {'; '.join(refs[n])})")
            return 1
        print(f"ok   metrics: all {len(refs)} referenced names present in {len(args.exposition)} exposition(s)")
        return 0

    for n in sorted(refs):
        print(f"{n}\t{len(refs[n])} use(s): {'; '.join(refs[n])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
