#!/usr/bin/env python3
"""Semantic checks of the Kubernetes manifests (deploy/k8s) that schema validation cannot make.

Usage: check_k8s.py [--root DIR] render NAME=RENDERED.yaml...   checks of rendered overlays
       check_k8s.py [--root DIR] sources                        deploy/k8s itself (secrets,
                                                                monitoring/ files)
       check_k8s.py [--root DIR] self-test RENDERED.yaml        each check fails on a broken copy
Prints one line per check ("ok   k8s ..." / "FAIL k8s ..."), exits 1 if any failed.
deploy/k8s/check.sh renders the overlays (kubectl kustomize) and runs all three.

The rendered checks hold for every overlay: probes, resources and a restricted securityContext
on every container; no secret in a plain value; every reference (Secret, ConfigMap, volume claim,
Service, port, `$(VAR)`) resolves; every variable is documented in docs/configuration.md;
NODE_ID is the pod name; the ws-server drains before it stops; autoscalers target what exists,
on the metric the ws-server exports (shared/src/metrics.rs); disruption budgets select pods and
allow an eviction; the Ingress routes the site as deploy/nginx does; PUBLIC_URL, ALLOWED_ORIGINS
and the Ingress hosts agree; MEMCACHED_URL names every memcached pod. A production overlay
(APP_ENV=production) also needs pinned images, no demo data, 3+ RabbitMQ nodes and a shared
media volume. The source checks: no Secret or literal in deploy/k8s, secretGenerator reads only
git-ignored files; the Prometheus scrape jobs and the prometheus-adapter rule of monitoring/
serve the socket gauge per pod.
"""
from __future__ import annotations

import argparse
import copy
import pathlib
import re
import subprocess
import sys
from typing import Callable, Iterator

import yaml

SERVERS = ("api-server", "ws-server")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
SECRET_NAME_RE = re.compile(r"(SECRET|PASSWORD|PASS|TOKEN|PRIVATE_KEY|API_KEY)$|^(DATABASE_URL|AMQP_URL|SMTP_URL)$")
URL_USERINFO_RE = re.compile(r"://([^/\s@]+)@")
VAR_REF_RE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# The ws-server's own stop after SIGTERM: HTTP drain (5 s + 1) and its background tasks (3 s
# each, 4 of them) in ws-server/src/startup.rs.
WS_STOP_SECONDS = 18
UPLOAD_SLOTS, UPLOAD_MIB = 4, 26  # api-server/src/startup.rs, nginx's /api/media limit
RABBITMQ_SPEC_KEYS = {
    "replicas", "image", "imagePullSecrets", "service", "persistence", "resources", "affinity",
    "tolerations", "rabbitmq", "tls", "override", "skipPostDeploySteps",
    "terminationGracePeriodSeconds", "delayStartSeconds", "secretBackend",
}


# --- the facts of the repository the manifests must agree with ---------------------------------

class Repo:
    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        metrics = (root / "shared/src/metrics.rs").read_text()
        m = re.search(r'pub const WS_CONNECTIONS: &str = "([^"]+)"', metrics)
        self.ws_connections_metric = m.group(1) if m else "<WS_CONNECTIONS not found in shared/src/metrics.rs>"
        self.documented_vars, self.documented_patterns = self._documented(root / "docs/configuration.md")
        template = (root / "deploy/nginx/nginx.conf.template").read_text()
        m = re.search(r"location = /api/media \{[^}]*client_max_body_size (\d+)m;", template)
        self.media_body_mib = int(m.group(1)) if m else UPLOAD_MIB

    @staticmethod
    def _documented(path: pathlib.Path) -> tuple[set[str], list[re.Pattern[str]]]:
        names: set[str] = set()
        patterns = []
        for line in path.read_text().splitlines():
            if not line.startswith("| `"):
                continue
            for name in re.findall(r"`([A-Z][A-Z0-9_<>]*)`", line.split("|")[1]):
                if "<" in name:
                    patterns.append(re.compile("^" + re.sub(r"<[A-Z]+>", "[A-Z0-9_]+", name) + "$"))
                else:
                    names.add(name)
        return names, patterns

    def documented(self, name: str) -> bool:
        return name in self.documented_vars or any(p.match(name) for p in self.documented_patterns)


# --- the rendered manifests ---------------------------------------------------------------------

class Manifests:
    def __init__(self, docs: list[dict]) -> None:
        self.docs = [d for d in docs if isinstance(d, dict)]

    def of(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d.get("kind") == kind]

    def get(self, kind: str, name: str) -> dict | None:
        return next((d for d in self.of(kind) if d["metadata"]["name"] == name), None)

    def names(self, kind: str) -> set[str]:
        return {d["metadata"]["name"] for d in self.of(kind)}

    def workloads(self) -> list[dict]:
        return [d for d in self.docs if d.get("kind") in WORKLOAD_KINDS]

    def config(self) -> dict[str, str]:
        """The data of the ConfigMap chat-config (name before kustomize's hash suffix)."""
        for cm in self.of("ConfigMap"):
            if re.fullmatch(r"chat-config(-[a-z0-9]{10})?", cm["metadata"]["name"]):
                return {k: str(v) for k, v in (cm.get("data") or {}).items()}
        return {}

    def config_maps(self) -> dict[str, dict]:
        return {cm["metadata"]["name"]: cm for cm in self.of("ConfigMap")}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"].get("labels") or {}


def containers(workload: dict, init: bool = True) -> list[dict]:
    spec = pod_spec(workload)
    return list(spec.get("containers") or []) + (list(spec.get("initContainers") or []) if init else [])


def server(m: Manifests, name: str) -> tuple[dict, dict] | None:
    """(Deployment, its container of the same name) of api-server or ws-server."""
    deployment = m.get("Deployment", name)
    if not deployment:
        return None
    c = next((c for c in containers(deployment, init=False) if c["name"] == name), None)
    return (deployment, c) if c else None


def env_of(c: dict) -> list[dict]:
    return list(c.get("env") or [])


def selects(selector: dict, labels: dict) -> bool:
    match = (selector or {}).get("matchLabels") or {}
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def wid(d: dict) -> str:
    return f"{d['kind']}/{d['metadata']['name']}"


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024, "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?)?", str(quantity))
    if not m:
        return float("nan")
    return float(m.group(1)) * units.get(m.group(2) or "", 1 / 2**20)


# --- checks: each returns its problems (empty = ok) ----------------------------------------------

def check_probes(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for w in m.workloads():
        for c in containers(w, init=False):
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in c:
                    problems.append(f"{wid(w)} container {c['name']}: no {probe}")
    for name in SERVERS:
        found = server(m, name)
        if not found:
            problems.append(f"no Deployment {name}")
            continue
        _, c = found
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz")):
            got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
            if got != path:
                problems.append(f"{name}: {probe} asks {got!r}, not {path}")
    return problems


def check_resources(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for w in m.workloads():
        for c in containers(w):
            res = c.get("resources") or {}
            for part, key in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory")):
                if key not in (res.get(part) or {}):
                    problems.append(f"{wid(w)} container {c['name']}: no resources.{part}.{key}")
            req, lim = (res.get("requests") or {}).get("memory"), (res.get("limits") or {}).get("memory")
            if req and lim and mebibytes(req) > mebibytes(lim):
                problems.append(f"{wid(w)} container {c['name']}: memory request {req} above its limit {lim}")
    found = server(m, "api-server")
    if found:
        _, c = found
        decode = int(m.config().get("IMAGE_DECODE_MEMORY_MB", "512"))
        need = decode + UPLOAD_SLOTS * UPLOAD_MIB + 128
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory", "0")
        if mebibytes(limit) < need:
            problems.append(
                f"api-server: memory limit {limit} < {need} MiB (IMAGE_DECODE_MEMORY_MB {decode} + "
                f"{UPLOAD_SLOTS} uploads of {UPLOAD_MIB} MiB + 128 MiB for the server)"
            )
    return problems


def check_security(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for w in m.workloads():
        spec = pod_spec(w)
        pod_sc = spec.get("securityContext") or {}
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{wid(w)}: automountServiceAccountToken is not false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{wid(w)}: {host}")
        if any("hostPath" in v for v in spec.get("volumes") or []):
            problems.append(f"{wid(w)}: a hostPath volume")
        for c in containers(w):
            sc = c.get("securityContext") or {}
            merged = {**pod_sc, **sc}
            where = f"{wid(w)} container {c['name']}"
            if merged.get("runAsNonRoot") is not True or merged.get("runAsUser") == 0:
                problems.append(f"{where}: may run as root (runAsNonRoot not true)")
            if (merged.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{where}: no seccompProfile RuntimeDefault")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{where}: capabilities not dropped (drop: [ALL])")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root file system not read-only")
    return problems


def check_no_secret_values(m: Manifests, repo: Repo) -> list[str]:
    """A secret-named variable (JWT_SECRET, *_PASSWORD, DATABASE_URL, AMQP_URL, SMTP_URL...) comes
    from a Secret, directly or through `$(VAR)`s of variables that do; a password inside a URL is
    always such a `$(VAR)`."""
    problems = []
    for w in m.workloads():
        for c in containers(w):
            from_secret = {e["name"] for e in env_of(c) if "secretKeyRef" in (e.get("valueFrom") or {})}
            for e in env_of(c):
                value = e.get("value")
                if value is None:
                    continue
                where = f"{wid(w)} container {c['name']} env {e['name']}"
                refs = set(VAR_REF_RE.findall(value))
                if SECRET_NAME_RE.search(e["name"]) and not refs & from_secret:
                    problems.append(f"{where}: a secret as a plain value (use secretKeyRef)")
                for userinfo in URL_USERINFO_RE.findall(value):
                    password = userinfo.partition(":")[2]
                    ref = VAR_REF_RE.fullmatch(password)
                    if password and not (ref and ref.group(1) in from_secret):
                        problems.append(f"{where}: a URL with a password that is not a $(VAR) of a Secret")
    for name, cm in m.config_maps().items():
        for key, value in (cm.get("data") or {}).items():
            if SECRET_NAME_RE.search(key):
                problems.append(f"ConfigMap/{name}: {key} is a secret (put it in a Secret)")
            elif any(":" in u for u in URL_USERINFO_RE.findall(str(value))):
                problems.append(f"ConfigMap/{name}: {key} holds a URL with a password")
    return problems


def check_references(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    secrets = m.names("Secret") | {f"{r['metadata']['name']}-default-user" for r in m.of("RabbitmqCluster")}
    config_maps, claims = m.names("ConfigMap"), m.names("PersistentVolumeClaim")
    for w in m.workloads():
        spec = pod_spec(w)
        claim_templates = {t["metadata"]["name"] for t in w["spec"].get("volumeClaimTemplates") or []}
        volumes = {v["name"] for v in spec.get("volumes") or []} | claim_templates
        for v in spec.get("volumes") or []:
            if "configMap" in v and v["configMap"]["name"] not in config_maps:
                problems.append(f"{wid(w)}: volume {v['name']} names a missing ConfigMap {v['configMap']['name']}")
            if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in claims:
                problems.append(f"{wid(w)}: volume {v['name']} names a missing claim")
        for c in containers(w):
            where = f"{wid(w)} container {c['name']}"
            for mount in c.get("volumeMounts") or []:
                if mount["name"] not in volumes:
                    problems.append(f"{where}: mounts an undeclared volume {mount['name']}")
            refs = [(src.get("secretRef"), "Secret") for src in c.get("envFrom") or []]
            refs += [(src.get("configMapRef"), "ConfigMap") for src in c.get("envFrom") or []]
            for e in env_of(c):
                vf = e.get("valueFrom") or {}
                refs += [(vf.get("secretKeyRef"), "Secret"), (vf.get("configMapKeyRef"), "ConfigMap")]
            for ref, kind in refs:
                if not ref or ref.get("optional"):
                    continue
                known = secrets if kind == "Secret" else config_maps
                if ref["name"] not in known:
                    problems.append(f"{where}: {kind} {ref['name']} is neither rendered nor made by an operator")
    return problems


def check_env_refs(m: Manifests, repo: Repo) -> list[str]:
    """`$(NAME)` is only substituted from variables defined above it in the same container."""
    problems = []
    for w in m.workloads():
        for c in containers(w):
            defined: set[str] = set()
            for e in env_of(c):
                for ref in VAR_REF_RE.findall(str(e.get("value", ""))):
                    if ref not in defined:
                        problems.append(f"{wid(w)} container {c['name']}: {e['name']} uses $({ref}) before it is defined")
                defined.add(e["name"])
    return problems


def check_documented_env(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    config_maps = m.config_maps()
    for name in SERVERS:
        found = server(m, name)
        if not found:
            continue
        _, c = found
        names = [e["name"] for e in env_of(c)]
        for src in c.get("envFrom") or []:
            ref = src.get("configMapRef")
            if ref and ref["name"] in config_maps:
                names += list((config_maps[ref["name"]].get("data") or {}).keys())
        used_in_refs = {r for e in env_of(c) for r in VAR_REF_RE.findall(str(e.get("value", "")))}
        for var in names:
            if not repo.documented(var) and var not in used_in_refs:
                problems.append(f"{name}: {var} is not a variable of docs/configuration.md")
    return problems


def check_node_id(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for name in SERVERS:
        found = server(m, name)
        if not found:
            problems.append(f"no Deployment {name}")
            continue
        _, c = found
        node = next((e for e in env_of(c) if e["name"] == "NODE_ID"), {})
        path = ((node.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if path != "metadata.name":
            problems.append(f"{name}: NODE_ID is not the pod name (fieldRef metadata.name)")
    return problems


def pre_stop_seconds(c: dict) -> int | None:
    pre = ((c.get("lifecycle") or {}).get("preStop")) or {}
    if "sleep" in pre:
        return int(pre["sleep"]["seconds"])
    cmd = (pre.get("exec") or {}).get("command") or []
    if len(cmd) == 2 and cmd[0].endswith("sleep") and cmd[1].isdigit():
        return int(cmd[1])
    return None


def check_drain(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for name, stop in (("ws-server", WS_STOP_SECONDS), ("api-server", 15)):
        found = server(m, name)
        if not found:
            problems.append(f"no Deployment {name}")
            continue
        d, c = found
        sleep = pre_stop_seconds(c)
        grace = pod_spec(d).get("terminationGracePeriodSeconds", 30)
        if sleep is None or sleep < 5:
            problems.append(f"{name}: no preStop sleep of 5 s or more (the endpoint must leave the Service first)")
        elif grace < sleep + stop:
            problems.append(f"{name}: terminationGracePeriodSeconds {grace} < preStop {sleep} s + {stop} s to stop")
    ws = m.get("Deployment", "ws-server")
    strategy = ((ws or {}).get("spec", {}).get("strategy") or {}).get("rollingUpdate") or {}
    if ws and str(strategy.get("maxUnavailable", "25%")) not in ("0", "0%"):
        problems.append("ws-server: a rollout may stop pods before their replacements are ready (maxUnavailable)")
    return problems


def check_autoscalers(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    targets = {}
    for hpa in m.of("HorizontalPodAutoscaler"):
        spec, name = hpa["spec"], hpa["metadata"]["name"]
        ref = spec["scaleTargetRef"]
        target = m.get(ref["kind"], ref["name"])
        if not target:
            problems.append(f"HPA {name}: target {ref['kind']}/{ref['name']} does not exist")
            continue
        targets[ref["name"]] = hpa
        if "replicas" in target["spec"]:
            problems.append(f"HPA {name}: {wid(target)} sets replicas (every apply would reset the autoscaler's count)")
        if spec.get("minReplicas", 1) > spec["maxReplicas"]:
            problems.append(f"HPA {name}: minReplicas above maxReplicas")
        for metric in spec.get("metrics") or []:
            if metric["type"] == "Resource":
                res = metric["resource"]["name"]
                if any(res not in ((c.get("resources") or {}).get("requests") or {}) for c in containers(target, init=False)):
                    problems.append(f"HPA {name}: scales on {res} but a container of {wid(target)} requests none")
    for name in SERVERS:
        if name not in targets:
            problems.append(f"no HPA for {name}")
    ws = targets.get("ws-server")
    if ws:
        pod_metrics = [x["pods"]["metric"]["name"] for x in ws["spec"].get("metrics") or [] if x["type"] == "Pods"]
        if repo.ws_connections_metric not in pod_metrics:
            problems.append(f"ws-server HPA does not scale on {repo.ws_connections_metric} per pod (has {pod_metrics})")
    api = targets.get("api-server")
    if api and not any(x["type"] == "Resource" and x["resource"]["name"] == "cpu" for x in api["spec"].get("metrics") or []):
        problems.append("api-server HPA does not scale on CPU")
    return problems


def replicas_of(m: Manifests, w: dict) -> int:
    hpa = next((h for h in m.of("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == w["metadata"]["name"]), None)
    return hpa["spec"].get("minReplicas", 1) if hpa else w["spec"].get("replicas", 1)


def check_disruption_budgets(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    covered = set()
    for pdb in m.of("PodDisruptionBudget"):
        name, spec = pdb["metadata"]["name"], pdb["spec"]
        selected = [w for w in m.workloads() if selects(spec.get("selector"), pod_labels(w))]
        if not selected:
            problems.append(f"PDB {name}: selects no pods")
        for w in selected:
            covered.add(w["metadata"]["name"])
            if "minAvailable" in spec and isinstance(spec["minAvailable"], int) and spec["minAvailable"] >= replicas_of(m, w):
                problems.append(f"PDB {name}: minAvailable {spec['minAvailable']} blocks every eviction of {wid(w)}")
            if spec.get("maxUnavailable") in (0, "0", "0%"):
                problems.append(f"PDB {name}: maxUnavailable 0 blocks every eviction")
    for name in (*SERVERS, "memcached"):
        if name not in covered:
            problems.append(f"no PDB selects the pods of {name}")
    return problems


def check_services(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for svc in m.of("Service"):
        name, spec = svc["metadata"]["name"], svc["spec"]
        pods = [w for w in m.workloads() if selects({"matchLabels": spec.get("selector")}, pod_labels(w))]
        if not pods:
            problems.append(f"Service {name}: its selector matches no pods")
            continue
        ports = {p.get("name") for w in pods for c in containers(w, init=False) for p in c.get("ports") or []}
        numbers = {p["containerPort"] for w in pods for c in containers(w, init=False) for p in c.get("ports") or []}
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port["port"])
            if target not in ports and target not in numbers:
                problems.append(f"Service {name}: targetPort {target} is no container port of its pods")
    return problems


def annotation_seconds(ingress: dict, key: str) -> int:
    value = (ingress["metadata"].get("annotations") or {}).get(f"nginx.ingress.kubernetes.io/{key}", "60")
    return int(value) if str(value).isdigit() else 0


def check_ingress(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    routes = {}
    services = {s["metadata"]["name"]: s for s in m.of("Service")}
    for ing in m.of("Ingress"):
        name, spec = ing["metadata"]["name"], ing["spec"]
        if not spec.get("ingressClassName"):
            problems.append(f"Ingress {name}: no ingressClassName")
        hosts = {r.get("host") for r in spec.get("rules") or []}
        tls_hosts = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
        if not hosts <= tls_hosts:
            problems.append(f"Ingress {name}: hosts {sorted(hosts - tls_hosts)} without TLS")
        for rule in spec.get("rules") or []:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                svc = services.get(backend["name"])
                port = backend["port"].get("name", backend["port"].get("number"))
                if not svc:
                    problems.append(f"Ingress {name}: path {p['path']} goes to a missing Service {backend['name']}")
                elif port not in {sp.get("name") for sp in svc["spec"]["ports"]} | {sp["port"] for sp in svc["spec"]["ports"]}:
                    problems.append(f"Ingress {name}: Service {backend['name']} has no port {port}")
                routes[p["path"]] = (backend["name"], p["pathType"], ing)
    expected = {"/": ("web", "Prefix"), "/api": ("api-server", "Prefix"), "/api/media": ("api-server", "Exact"), "/ws": ("ws-server", "Exact")}
    for path, (svc, kind) in expected.items():
        got = routes.get(path)
        if not got or got[:2] != (svc, kind):
            problems.append(f"{path} ({kind}) does not go to {svc}: {got[:2] if got else 'no route'}")
    if "/ws" in routes:
        ws = routes["/ws"][2]
        for key in ("proxy-read-timeout", "proxy-send-timeout"):
            if annotation_seconds(ws, key) < 3600:
                problems.append(f"Ingress {ws['metadata']['name']}: {key} under 3600 s would cut idle sockets")
    if "/api/media" in routes:
        media = routes["/api/media"][2]
        size = (media["metadata"].get("annotations") or {}).get("nginx.ingress.kubernetes.io/proxy-body-size", "1m")
        if mebibytes(size.replace("m", "Mi").replace("k", "Ki")) < repo.media_body_mib:
            problems.append(f"Ingress {media['metadata']['name']}: body size {size} < {repo.media_body_mib}m of deploy/nginx")
    return problems


def check_public_url(m: Manifests, repo: Repo) -> list[str]:
    config = m.config()
    url = config.get("PUBLIC_URL", "")
    match = re.fullmatch(r"https://([^/:]+)(:\d+)?/?", url)
    if not match:
        return [f"PUBLIC_URL {url!r} is not https://<host>"]
    problems = []
    host = match.group(1)
    for ing in m.of("Ingress"):
        for rule in ing["spec"].get("rules") or []:
            if rule.get("host") != host:
                problems.append(f"Ingress {ing['metadata']['name']}: host {rule.get('host')} is not PUBLIC_URL's {host}")
    origins = [o.strip().rstrip("/") for o in config.get("ALLOWED_ORIGINS", "").split(",")]
    if url.rstrip("/") not in origins:
        problems.append(f"ALLOWED_ORIGINS {origins} does not allow PUBLIC_URL {url}")
    return problems


def check_memcached(m: Manifests, repo: Repo) -> list[str]:
    sts = m.get("StatefulSet", "memcached")
    svc = m.get("Service", "memcached")
    if not sts or not svc:
        return ["no StatefulSet and Service memcached"]
    problems = []
    if svc["spec"].get("clusterIP") != "None" or sts["spec"].get("serviceName") != "memcached":
        problems.append("the memcached Service is not the StatefulSet's headless service (no stable pod names)")
    servers = [re.sub(r"^memcache://", "", s.strip()).split("?")[0] for s in m.config().get("MEMCACHED_URL", "").split(",")]
    expected = [f"memcached-{i}.memcached:11211" for i in range(sts["spec"].get("replicas", 1))]
    if servers != expected:
        problems.append(f"MEMCACHED_URL names {servers}, the StatefulSet has {expected}")
    return problems


def check_spread(m: Manifests, repo: Repo) -> list[str]:
    problems = []
    for name in SERVERS:
        d = m.get("Deployment", name)
        if not d:
            continue
        spec, labels = pod_spec(d), pod_labels(d)
        anti = ((spec.get("affinity") or {}).get("podAntiAffinity")) or {}
        terms = [t.get("podAffinityTerm", t) for key in anti for t in anti[key]]
        spreads = spec.get("topologySpreadConstraints") or []
        if not any(selects(t.get("labelSelector"), labels) and t.get("topologyKey") == "kubernetes.io/hostname" for t in terms):
            problems.append(f"{name}: no pod anti-affinity over nodes (kubernetes.io/hostname)")
        if not any(selects(s.get("labelSelector"), labels) and s.get("topologyKey") == "topology.kubernetes.io/zone" for s in spreads):
            problems.append(f"{name}: not spread over zones (topologySpreadConstraints)")
    return problems


def check_media(m: Manifests, repo: Repo) -> list[str]:
    found = server(m, "api-server")
    if not found:
        return ["no Deployment api-server"]
    d, c = found
    media_dir = m.config().get("MEDIA_DIR", "")
    mount = next((x for x in c.get("volumeMounts") or [] if x["mountPath"] == media_dir), None)
    volume = next((v for v in pod_spec(d).get("volumes") or [] if mount and v["name"] == mount["name"]), {})
    if "persistentVolumeClaim" not in volume:
        return [f"api-server: MEDIA_DIR {media_dir!r} is not a mounted volume claim"]
    return []


def check_rabbitmq(m: Manifests, repo: Repo) -> list[str]:
    clusters = m.of("RabbitmqCluster")
    if not clusters:
        return ["no RabbitmqCluster (the servers read its default-user secret)"]
    problems = []
    for r in clusters:
        unknown = set(r.get("spec") or {}) - RABBITMQ_SPEC_KEYS
        if unknown:
            problems.append(f"RabbitmqCluster {r['metadata']['name']}: unknown spec fields {sorted(unknown)}")
    return problems


def check_production(m: Manifests, repo: Repo) -> list[str] | None:
    """Only for an overlay with APP_ENV=production (None: does not apply)."""
    config = m.config()
    if config.get("APP_ENV") != "production":
        return None
    problems = []
    if config.get("DEMO_DATA", "false").lower() in ("true", "1", "yes"):
        problems.append("DEMO_DATA in production")
    for w in m.workloads():
        for c in containers(w):
            image = c["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
            if "@sha256:" not in image and tag in ("", "latest"):
                problems.append(f"{wid(w)} container {c['name']}: image {image} has no pinned tag")
    for r in m.of("RabbitmqCluster"):
        if r["spec"].get("replicas", 1) < 3:
            problems.append(f"RabbitmqCluster {r['metadata']['name']}: fewer than 3 nodes")
    ws = next((h for h in m.of("HorizontalPodAutoscaler") if h["metadata"]["name"] == "ws-server"), None)
    if ws and ws["spec"].get("minReplicas", 1) < 2:
        problems.append("ws-server: fewer than 2 replicas (a lost pod's clients need somewhere to go)")
    pvc = m.get("PersistentVolumeClaim", "chat-media")
    if pvc and "ReadWriteMany" not in pvc["spec"].get("accessModes", []):
        problems.append("chat-media is not ReadWriteMany (every api-server replica writes it)")
    return problems


RENDER_CHECKS: list[tuple[Callable[[Manifests, Repo], list[str] | None], str]] = [
    (check_probes, "every container has readiness and liveness probes; servers use /readyz and /healthz"),
    (check_resources, "every container requests cpu and memory and has a memory limit"),
    (check_security, "non-root, read-only root, no privilege escalation, capabilities dropped, no token"),
    (check_no_secret_values, "no secret in a plain value or a ConfigMap (secretKeyRef only)"),
    (check_references, "Secrets, ConfigMaps, claims and volumes named by pods exist"),
    (check_env_refs, "every $(VAR) is defined above its use"),
    (check_documented_env, "every server variable is documented in docs/configuration.md"),
    (check_node_id, "NODE_ID is the pod name (unique ws queues)"),
    (check_drain, "ws-server and api-server: preStop sleep, grace period covers the stop, no unavailable pod in rollouts"),
    (check_autoscalers, "autoscalers target existing Deployments; ws on chat_ws_connections per pod, api on CPU"),
    (check_disruption_budgets, "disruption budgets select pods, allow an eviction, cover api, ws, memcached"),
    (check_services, "Services select pods and target their ports"),
    (check_ingress, "Ingress: /, /api, /api/media, /ws to the right Services, TLS, WebSocket timeouts, upload size"),
    (check_public_url, "PUBLIC_URL, ALLOWED_ORIGINS and the Ingress hosts agree"),
    (check_memcached, "MEMCACHED_URL names every memcached pod"),
    (check_spread, "api and ws spread over nodes and zones"),
    (check_media, "uploads live on a volume claim mounted at MEDIA_DIR"),
    (check_rabbitmq, "a RabbitmqCluster with known fields"),
    (check_production, "APP_ENV=production: pinned images, no demo data, 3+ RabbitMQ nodes, 2+ ws, shared media"),
]


def run_render_checks(m: Manifests, repo: Repo) -> dict[str, list[str]]:
    return {fn.__name__: fn(m, repo) or [] for fn, _ in RENDER_CHECKS}


# --- sources: what the rendered output cannot show -----------------------------------------------

def yaml_files(k8s: pathlib.Path) -> Iterator[pathlib.Path]:
    for p in sorted(k8s.rglob("*.yaml")):
        if "secrets" not in p.relative_to(k8s).parts:
            yield p


def check_sources(root: pathlib.Path) -> list[str]:
    """No Secret objects or literals in deploy/k8s; generators read git-ignored files only."""
    k8s = root / "deploy/k8s"
    problems = []
    for path in yaml_files(k8s):
        rel = path.relative_to(root)
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "Secret" or "stringData" in doc:
                problems.append(f"{rel}: a Secret written in the repository")
            for gen in doc.get("secretGenerator") or []:
                if gen.get("literals") or gen.get("envs"):
                    problems.append(f"{rel}: secretGenerator {gen['name']} has literals or envs (files only)")
                for entry in gen.get("files") or []:
                    file = path.parent / entry.split("=", 1)[-1]
                    ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", str(file)], check=False)
                    if ignored.returncode != 0:
                        problems.append(f"{rel}: secretGenerator {gen['name']} reads {entry}, which git does not ignore")
    return problems


def check_monitoring(root: pathlib.Path, repo: Repo) -> list[str]:
    """The scrape jobs give the series the labels the adapter rule maps to pods, and the rule
    serves the ws-server's socket gauge under the name its autoscaler asks for."""
    monitoring = root / "deploy/k8s/monitoring"
    scrape = yaml.safe_load((monitoring / "prometheus-scrape.yml").read_text())
    adapter = yaml.safe_load((monitoring / "prometheus-adapter-values.yaml").read_text())
    problems = []
    relabels = [r for job in scrape["scrape_configs"] for r in job.get("relabel_configs") or []]
    targets = {r.get("target_label") for r in relabels}
    kept = " ".join(r.get("regex", "") for r in relabels if r.get("action") == "keep")
    for server_name in SERVERS:
        if server_name not in kept:
            problems.append(f"prometheus-scrape.yml: {server_name} pods are not kept")
    if "job" not in targets:
        problems.append("prometheus-scrape.yml: no job label (the alerts select job=api-server|ws-server)")
    metric = repo.ws_connections_metric
    rules = [r for r in (adapter.get("rules") or {}).get("custom") or [] if (r.get("name") or {}).get("as") == metric]
    if not rules:
        problems.append(f"prometheus-adapter-values.yaml: no rule serves {metric}")
    for rule in rules:
        if metric not in rule["seriesQuery"]:
            problems.append(f"prometheus-adapter-values.yaml: the rule for {metric} queries {rule['seriesQuery']}")
        overrides = rule["resources"]["overrides"]
        if {overrides.get(label, {}).get("resource") for label in ("namespace", "pod")} != {"namespace", "pod"}:
            problems.append("prometheus-adapter-values.yaml: labels namespace and pod are not mapped to their resources")
        missing = set(overrides) - targets
        if missing:
            problems.append(f"prometheus-adapter-values.yaml maps labels {sorted(missing)} that prometheus-scrape.yml never sets")
    return problems


# --- self-test: every check must fail on a copy broken in its own way ---------------------------

def mutations() -> list[tuple[str, Callable[[Manifests], None]]]:
    def dep(m: Manifests, name: str) -> dict:
        return m.get("Deployment", name)

    def cont(m: Manifests, name: str) -> dict:
        return server(m, name)[1]

    def env(m: Manifests, name: str, var: str) -> dict:
        return next(e for e in env_of(cont(m, name)) if e["name"] == var)

    def set_config(m: Manifests, key: str, value: str) -> None:
        next(cm for cm in m.of("ConfigMap") if cm["metadata"]["name"].startswith("chat-config"))["data"][key] = value

    def set_plain(e: dict, value: str) -> None:
        e.pop("valueFrom", None)
        e["value"] = value

    def first_pdb(m: Manifests) -> dict:
        return m.of("PodDisruptionBudget")[0]

    return [
        ("check_probes", lambda m: cont(m, "api-server").pop("readinessProbe")),
        ("check_resources", lambda m: cont(m, "ws-server")["resources"].pop("limits")),
        ("check_resources", lambda m: cont(m, "api-server")["resources"]["limits"].update(memory="512Mi")),
        ("check_security", lambda m: cont(m, "ws-server")["securityContext"].update(readOnlyRootFilesystem=False)),
        ("check_security", lambda m: pod_spec(dep(m, "web")).pop("automountServiceAccountToken")),
        ("check_no_secret_values", lambda m: set_plain(env(m, "api-server", "DATABASE_URL"), "postgres://chat:hunter2@db:5432/chat")),
        ("check_no_secret_values", lambda m: set_plain(env(m, "ws-server", "AMQP_PASSWORD"), "hunter2")),
        ("check_no_secret_values", lambda m: env(m, "ws-server", "AMQP_URL").update(value="amqp://chat:hunter2@broker:5672/%2f")),
        ("check_no_secret_values", lambda m: set_config(m, "JWT_SECRET", "0123")),
        ("check_references", lambda m: env(m, "api-server", "JWT_SECRET")["valueFrom"]["secretKeyRef"].update(name="chat-jwt-typo")),
        ("check_env_refs", lambda m: cont(m, "ws-server")["env"].sort(key=lambda e: e["name"] != "AMQP_URL")),
        ("check_documented_env", lambda m: cont(m, "api-server")["env"].append({"name": "DATABSE_POOL_SIZE", "value": "8"})),
        ("check_node_id", lambda m: env(m, "ws-server", "NODE_ID").update(valueFrom={"fieldRef": {"fieldPath": "metadata.uid"}})),
        ("check_drain", lambda m: cont(m, "ws-server").pop("lifecycle")),
        ("check_drain", lambda m: pod_spec(dep(m, "ws-server")).update(terminationGracePeriodSeconds=20)),
        ("check_autoscalers", lambda m: m.of("HorizontalPodAutoscaler")[0]["spec"]["scaleTargetRef"].update(name="nothing")),
        ("check_autoscalers", lambda m: next(h for h in m.of("HorizontalPodAutoscaler") if h["metadata"]["name"] == "ws-server")
         ["spec"]["metrics"][0]["pods"]["metric"].update(name="chat_ws_connection")),
        ("check_autoscalers", lambda m: dep(m, "api-server")["spec"].update(replicas=2)),
        ("check_disruption_budgets", lambda m: first_pdb(m)["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "x"})),
        ("check_disruption_budgets", lambda m: first_pdb(m)["spec"].update(maxUnavailable=0)),
        ("check_services", lambda m: m.get("Service", "ws-server")["spec"]["ports"][0].update(targetPort="metrics")),
        ("check_ingress", lambda m: m.of("Ingress")[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"].update(name="webb")),
        ("check_ingress", lambda m: next(i for i in m.of("Ingress") if i["metadata"]["name"] == "chat-ws")["metadata"]["annotations"]
         .pop("nginx.ingress.kubernetes.io/proxy-read-timeout")),
        ("check_public_url", lambda m: set_config(m, "ALLOWED_ORIGINS", "https://other.example.com")),
        ("check_public_url", lambda m: m.of("Ingress")[1]["spec"]["rules"][0].update(host="other.example.com")),
        ("check_memcached", lambda m: m.get("StatefulSet", "memcached")["spec"].update(replicas=4)),
        ("check_spread", lambda m: pod_spec(dep(m, "ws-server")).pop("affinity")),
        ("check_media", lambda m: set_config(m, "MEDIA_DIR", "/data/media")),
        ("check_rabbitmq", lambda m: m.of("RabbitmqCluster")[0]["spec"].update(replica=3)),
        ("check_production", lambda m: cont(m, "api-server").update(image="registry.example.com/chat/api-server:latest")),
        ("check_production", lambda m: set_config(m, "DEMO_DATA", "true")),
    ]


def self_test(rendered: pathlib.Path, repo: Repo) -> list[str]:
    base = list(yaml.safe_load_all(rendered.read_text()))
    problems = [f"the unbroken copy fails {name}: {p}" for name, p in run_render_checks(Manifests(base), repo).items() if p]
    for expected, mutate in mutations():
        m = Manifests(copy.deepcopy(base))
        mutate(m)
        failing = [name for name, p in run_render_checks(m, repo).items() if p]
        if expected not in failing:
            problems.append(f"{expected} did not notice its broken copy (failing: {failing or 'none'})")
    return problems


# --- main ----------------------------------------------------------------------------------------

def report(label: str, problems: list[str] | None) -> bool:
    if problems is None:
        print(f"skip k8s {label} (does not apply)")
        return True
    print(f"{'ok  ' if not problems else 'FAIL'} k8s {label}")
    for p in problems:
        print(f"       - {p}")
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render")
    render.add_argument("overlays", nargs="+", metavar="NAME=RENDERED.yaml")
    sub.add_parser("sources")
    selftest = sub.add_parser("self-test")
    selftest.add_argument("rendered", type=pathlib.Path)
    args = parser.parse_args()
    repo = Repo(args.root)
    ok = True
    if args.command == "render":
        for item in args.overlays:
            name, _, path = item.partition("=")
            m = Manifests(list(yaml.safe_load_all(pathlib.Path(path).read_text())))
            for fn, what in RENDER_CHECKS:
                ok &= report(f"{name}: {what}", fn(m, repo))
    elif args.command == "sources":
        ok = report("sources: no Secret or literal in deploy/k8s; secretGenerator reads git-ignored files", check_sources(args.root))
        ok &= report(f"monitoring: scrape jobs and the prometheus-adapter rule serve {repo.ws_connections_metric} per pod",
                     check_monitoring(args.root, repo))
    else:
        ok = report(f"check_k8s.py self-test: each of {len(mutations())} broken copies is caught by its check",
                    self_test(args.rendered, repo))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
