#!/usr/bin/env python3
"""Static checks of observability/ (the parts no local binary can validate).

Usage: check_observability.py [--root DIR]    one line per check, exit 1 on any failure

- every JSON and YAML file under observability/ parses;
- dashboards: unique uids and panel ids, every datasource uid is provisioned, the logs
  dashboard has the request_id variable and query;
- alerts: summary + runbook on each, and each runbook anchor is a heading of OPERATIONS.md;
- alloy: balanced braces, the components of the pipeline, the only labels are
  service/node/level (request_id never a label), pushes to Loki;
- fluent-bit: forward + tail inputs, JSON parser defined in the parsers file, modify-based
  enrichment, Kafka output to chat-logs on kafka:9092;
- loki: single binary, filesystem storage, tsdb schema v13.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import yaml


class Checker:
    def __init__(self) -> None:
        self.failed = False

    def report(self, problems: list[str], what: str) -> None:
        if problems:
            self.failed = True
            print(f"FAIL observability: {what}")
            for p in problems:
                print(f"       - {p}")
        else:
            print(f"ok   observability: {what}")


def github_anchor(heading: str) -> str:
    a = heading.strip().lower()
    a = re.sub(r"[^\w\- ]", "", a)
    return a.replace(" ", "-")


def strip_alloy_comments_and_strings(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text[i] == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif text[i] == "`":
            j = text.find("`", i + 1)
            i = n if j < 0 else j + 1
            out.append('""')
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    root = ap.parse_args(argv).root
    obs = root / "observability"
    c = Checker()

    # --- parse everything
    problems, parsed = [], {}
    files = sorted(p for p in obs.rglob("*") if p.suffix in (".json", ".yml", ".yaml"))
    for p in files:
        try:
            parsed[p] = json.loads(p.read_text()) if p.suffix == ".json" else yaml.safe_load(p.read_text())
        except (ValueError, yaml.YAMLError) as e:
            problems.append(f"{p.relative_to(root)}: {e}")
    c.report(problems, f"{len(files)} JSON/YAML files under observability/ parse")

    # --- dashboards
    ds_file = obs / "grafana/provisioning/datasources/datasources.yaml"
    provisioned = {d["uid"]: d["type"] for d in (parsed.get(ds_file) or {}).get("datasources", [])}
    problems = []
    if provisioned.get("prometheus") != "prometheus" or provisioned.get("loki") != "loki":
        problems.append(f"datasources.yaml must provision uid prometheus and uid loki, has {provisioned}")
    uids = {}
    for p in sorted((obs / "grafana/dashboards").glob("*.json")):
        d = parsed.get(p) or {}
        if d.get("uid") in uids:
            problems.append(f"{p.name}: uid {d.get('uid')} also used by {uids[d['uid']]}")
        uids[d.get("uid")] = p.name
        ids = []

        def walk(panels):
            for panel in panels or []:
                yield panel
                yield from walk(panel.get("panels"))

        for panel in walk(d.get("panels")):
            ids.append(panel.get("id"))
            for obj in [panel] + list(panel.get("targets") or []):
                ds = obj.get("datasource")
                if isinstance(ds, dict) and ds.get("uid") not in provisioned:
                    problems.append(f"{p.name}: panel '{panel.get('title')}' uses unknown datasource {ds}")
            if panel.get("type") != "row" and not panel.get("targets"):
                problems.append(f"{p.name}: panel '{panel.get('title')}' has no query")
        if len(ids) != len(set(ids)):
            problems.append(f"{p.name}: duplicate panel ids")
    logs = parsed.get(obs / "grafana/dashboards/logs.json") or {}
    variables = {v.get("name"): v for v in (logs.get("templating") or {}).get("list", [])}
    if variables.get("request_id", {}).get("type") != "textbox":
        problems.append("logs.json: no textbox variable request_id")
    exprs = [t.get("expr", "") for panel in logs.get("panels", []) for t in panel.get("targets", [])]
    if '{service=~".+"} | json | request_id="$request_id"' not in exprs:
        problems.append("logs.json: no panel querying {service=~\".+\"} | json | request_id=\"$request_id\"")
    node = parsed.get(obs / "grafana/dashboards/node.json") or {}
    if "node" not in {v.get("name") for v in (node.get("templating") or {}).get("list", [])}:
        problems.append("node.json: no $node variable")
    prov = parsed.get(obs / "grafana/provisioning/dashboards/dashboards.yaml") or {}
    if not any((pr.get("options") or {}).get("path") for pr in prov.get("providers", [])):
        problems.append("dashboards.yaml: no file provider path")
    c.report(problems, f"{len(uids)} dashboards: uids, panel ids, datasources (uids {', '.join(sorted(provisioned))}), variables")

    # --- alerts and runbooks
    ops = root / "OPERATIONS.md"
    anchors = set()
    if ops.exists():
        for line in ops.read_text().splitlines():
            m = re.match(r"#{1,6}\s+(.*)", line)
            if m:
                anchors.add(github_anchor(m.group(1)))
    problems, n = [], 0
    for group in (parsed.get(obs / "prometheus/alerts.yml") or {}).get("groups", []):
        for rule in group.get("rules", []):
            if "alert" not in rule:
                continue
            n += 1
            ann = rule.get("annotations") or {}
            if not ann.get("summary"):
                problems.append(f"{rule['alert']}: no summary")
            runbook = ann.get("runbook", "")
            m = re.fullmatch(r"OPERATIONS\.md#([\w-]+)", runbook)
            if not m:
                problems.append(f"{rule['alert']}: runbook {runbook!r} is not OPERATIONS.md#<anchor>")
            elif m.group(1) not in anchors:
                problems.append(f"{rule['alert']}: OPERATIONS.md has no heading for #{m.group(1)}")
    required = {"NoWsReplicaUp", "OutboxBacklogGrowing", "BrokerReconnects", "High5xxRate", "DeliveryLatencyP99High"}
    names = {r.get("alert") for g in (parsed.get(obs / "prometheus/alerts.yml") or {}).get("groups", [])
             for r in g.get("rules", [])}
    problems += [f"alert {a} missing" for a in sorted(required - names)]
    c.report(problems, f"{n} alerts with summary and a runbook section in OPERATIONS.md")

    # --- alloy
    alloy_path = obs / "alloy/config.alloy"
    text = alloy_path.read_text()
    bare = strip_alloy_comments_and_strings(text)
    problems = []
    depth = 0
    for ch in bare:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        problems.append("unbalanced braces")
    if bare.count("[") != bare.count("]") or bare.count("(") != bare.count(")"):
        problems.append("unbalanced brackets or parentheses")
    for needle in ['loki.source.kafka "', 'loki.process "', "stage.json", "stage.labels", 'loki.write "',
                   "loki.process.chat_logs.receiver", "loki.write.loki.receiver"]:
        if needle not in text:
            problems.append(f"does not contain {needle}")
    if not re.search(r'topics\s*=\s*\["chat-logs"\]', text):
        problems.append('topics is not ["chat-logs"]')
    if not re.search(r'brokers\s*=\s*\["kafka:9092"\]', text):
        problems.append('brokers is not ["kafka:9092"]')
    if not re.search(r'url\s*=\s*"http://loki:3100/loki/api/v1/push"', text):
        problems.append("loki.write does not push to http://loki:3100/loki/api/v1/push")
    labels_block = re.search(r"stage\.labels\s*\{\s*values\s*=\s*\{([^}]*)\}", text)
    label_names = set(re.findall(r"(\w+)\s*=", labels_block.group(1))) if labels_block else set()
    if label_names != {"service", "node", "level"}:
        problems.append(f"stage.labels sets {sorted(label_names)}, want exactly service, node, level")
    if re.search(r"request_id\s*=", bare):
        problems.append("request_id is extracted or used as a label")
    c.report(problems, "alloy: balanced, kafka(chat-logs) -> process(json; labels service,node,level) -> loki")

    # --- fluent-bit
    fb_path = obs / "fluent-bit/fluent-bit.yaml"
    fb = parsed.get(fb_path) or {}
    problems = []
    pipeline = fb.get("pipeline") or {}
    inputs = {i.get("name") for i in pipeline.get("inputs", [])}
    for want in ("forward", "tail"):
        if want not in inputs:
            problems.append(f"no {want} input")
    tails = [i for i in pipeline.get("inputs", []) if i.get("name") == "tail"]
    if not any(str(i.get("path", "")).endswith("/*.log") and i.get("parser") for i in tails):
        problems.append("no tail input on <logs>/*.log with a parser")
    parsers_file = (fb.get("service") or {}).get("parsers_file")
    pf = parsed.get(fb_path.parent / str(parsers_file)) if parsers_file else None
    parser_names = {p.get("name"): p.get("format") for p in (pf or {}).get("parsers", [])}
    if not pf:
        problems.append(f"parsers_file {parsers_file!r} missing next to fluent-bit.yaml")
    used = {i.get("parser") for i in pipeline.get("inputs", []) if i.get("parser")}
    used |= {f.get("parser") for f in pipeline.get("filters", []) if f.get("parser")}
    for name in sorted(used):
        if parser_names.get(name) != "json":
            problems.append(f"parser {name} is not a json parser of {parsers_file}")
    filters = pipeline.get("filters", [])
    if any(f.get("name") == "lua" for f in filters):
        problems.append("uses lua")
    if not any(f.get("name") in ("modify", "record_modifier") for f in filters):
        problems.append("no modify/record_modifier enrichment")
    outs = [o for o in pipeline.get("outputs", []) if o.get("name") == "kafka"]
    if not outs or outs[0].get("topics") != "chat-logs" or outs[0].get("brokers") != "kafka:9092":
        problems.append("no kafka output with topics chat-logs and brokers kafka:9092")
    c.report(problems, "fluent-bit: forward + tail inputs, json parser, lua-free enrichment, kafka chat-logs")

    # --- loki
    loki = parsed.get(obs / "loki/loki.yaml") or {}
    problems = []
    schemas = (loki.get("schema_config") or {}).get("configs", [])
    if not any(s.get("store") == "tsdb" and s.get("schema") == "v13" and s.get("object_store") == "filesystem"
               for s in schemas):
        problems.append("no tsdb / v13 / filesystem schema")
    if "filesystem" not in ((loki.get("common") or {}).get("storage") or {}):
        problems.append("common.storage is not filesystem")
    if ((loki.get("server") or {}).get("http_listen_port")) != 3100:
        problems.append("not listening on 3100")
    c.report(problems, "loki: single binary, filesystem storage, tsdb schema v13, port 3100")

    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
