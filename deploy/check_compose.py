#!/usr/bin/env python3
"""Structural checks of the compose files that `docker compose config` does not make.

Usage: check_compose.py [--root DIR]      prints one line per check, exits 1 on any failure

Two setups are checked: production (docker-compose.yml alone) and development
(docker-compose.yml + the override docker-compose.dev.yml, merged here as compose merges them).
For both: project name; image or build for every service (Dockerfile and target stage exist,
a BIN build argument names a binary of the workspace); a healthcheck on every service that is
not a one-shot; depends_on targets exist and wait for health (completion for one-shots);
declared networks and volumes, and every reference to them; stores only on the backend network;
replicas of the servers; fluentd logging tagged with the service name; bind-mounted repository
paths exist; no literal secrets.
Production only: no test service (mail sink, test OpenID provider) and no setting
pointing at one; every secret is `${VAR:?...}` (no default) and present in .env.example, every
other variable has a default. Development only: the test services are there and the api-server
uses them; .env.dev.example names both files in COMPOSE_FILE and sets every secret.
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys

import yaml

ONE_SHOTS = {"certs", "web", "kafka-init", "probe-tools"}  # run to completion; others wait on success
TEST_SERVICES = {"mail", "oidc"}  # development only (docker-compose.dev.yml)
DEV_FILE = "docker-compose.dev.yml"
DEV_ENV = ".env.dev.example"
# Lists that compose concatenates when an override names them again (others are replaced).
MERGED_LISTS = {"ports", "volumes", "env_file", "dns", "tmpfs", "expose", "extra_hosts"}
BACKEND_ONLY = {"postgres", "rabbitmq", "memcached", "kafka", "loki"}
LOG_PIPELINE = {"fluent-bit", "kafka", "kafka-init", "alloy", "loki", "probe-tools"}  # json-file logging
REQUIRED_SECRETS = {"JWT_SECRET", "POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS", "GRAFANA_ADMIN_PASSWORD"}
REPLICAS = {"api-server": 2, "ws-server": 3}
SECRET_KEY_RE = re.compile(r"(PASS|PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY)$", re.IGNORECASE)
VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class Checker:
    def __init__(self) -> None:
        self.failed = False

    def check(self, ok: bool, what: str, problems: list[str] | None = None) -> None:
        if ok:
            print(f"ok   compose {what}")
        else:
            self.failed = True
            print(f"FAIL compose {what}")
            for p in problems or []:
                print(f"       - {p}")

    def expect_empty(self, problems: list[str], what: str) -> None:
        self.check(not problems, what, problems)


def env_items(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def service_networks(svc: dict) -> list[str]:
    nets = svc.get("networks")
    if nets is None:
        return [] if "network_mode" in svc else ["default"]
    return list(nets) if isinstance(nets, (list, dict)) else []


def volume_sources(svc: dict) -> list[tuple[str, str]]:
    """(kind, source) of every volume entry: kind is 'named' or 'bind'."""
    out = []
    for v in svc.get("volumes") or []:
        src = v.get("source", "") if isinstance(v, dict) else str(v).split(":", 1)[0]
        if isinstance(v, str) and ":" not in v:
            continue  # anonymous volume
        kind = "bind" if src.startswith((".", "/", "~")) else "named"
        out.append((kind, src))
    return out


def dockerfile_stages(path: pathlib.Path) -> set[str]:
    return {m.group(1).lower() for m in re.finditer(r"^FROM\s+\S+\s+AS\s+(\S+)", path.read_text(), re.I | re.M)}


def merge(base, override):
    """What compose makes of `-f base -f override`: mappings merged key by key, the lists of
    MERGED_LISTS concatenated, anything else replaced by the override."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            if k in out and k in MERGED_LISTS and isinstance(out[k], list) and isinstance(v, list):
                out[k] = out[k] + [x for x in v if x not in out[k]]
            else:
                out[k] = merge(out[k], v) if k in out else v
        return out
    return override


def read_env(path: pathlib.Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    return env


def variables(raw: str):
    """(name, modifier) of every ${VAR...} / $VAR outside comments ($$ is a literal $)."""
    uncommented = re.sub(r"(^|\s)#.*$", "", raw, flags=re.M)  # compose does not read comments
    for m in VAR_RE.finditer(uncommented.replace("$$", "")):
        yield m.group(1) or m.group(3), m.group(2) or ""


def check_setup(c: Checker, root: pathlib.Path, doc: dict, label: str) -> None:
    """The checks both setups must pass; `label` prefixes every line."""
    services: dict[str, dict] = doc.get("services") or {}
    check = lambda ok, what, problems=None: c.check(ok, f"{label}: {what}", problems)  # noqa: E731
    expect_empty = lambda problems, what: c.expect_empty(problems, f"{label}: {what}")  # noqa: E731
    check(doc.get("name") == "chat", "project name is `chat`")

    # image or build, Dockerfiles, targets and binaries
    import tomllib

    members = tomllib.loads((root / "Cargo.toml").read_text()).get("workspace", {}).get("members", [])
    packages = {tomllib.loads((root / m / "Cargo.toml").read_text())["package"]["name"] for m in members}
    problems = []
    for name, svc in services.items():
        if not svc.get("image") and not svc.get("build"):
            problems.append(f"{name}: neither image nor build")
        build = svc.get("build")
        if isinstance(build, dict):
            ctx = root / build.get("context", ".")
            dockerfile = ctx / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                problems.append(f"{name}: {dockerfile} missing")
            elif build.get("target") and build["target"].lower() not in dockerfile_stages(dockerfile):
                problems.append(f"{name}: stage {build['target']} not in {dockerfile.name}")
            binary = (build.get("args") or {}).get("BIN")
            if binary is not None and binary not in packages:
                problems.append(f"{name}: BIN={binary} is no package of the workspace ({', '.join(sorted(packages))})")
    expect_empty(problems, f"{len(services)} services, each with an image or a build whose Dockerfile, target and binary exist")

    # health checks: every service that keeps running
    problems = [f"{n}: no healthcheck" for n, s in services.items() if "healthcheck" not in s and n not in ONE_SHOTS]
    problems += [f"{n}: a one-shot with restart: {s['restart']}" for n, s in services.items()
                 if n in ONE_SHOTS and s.get("restart") not in (None, "no")]
    one_shots = sorted(ONE_SHOTS & set(services))
    expect_empty(problems, f"a healthcheck on every service but the one-shots ({', '.join(one_shots)})")

    # depends_on
    problems = []
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            problems.append(f"{name}: depends_on without conditions")
            continue
        for target, spec in deps.items():
            cond = (spec or {}).get("condition")
            if target not in services:
                problems.append(f"{name} -> {target}: no such service")
            elif target in ONE_SHOTS:
                if cond != "service_completed_successfully":
                    problems.append(f"{name} -> {target}: one-shot, condition is {cond}")
            elif cond != "service_healthy":
                problems.append(f"{name} -> {target}: condition is {cond}, want service_healthy")
    expect_empty(problems, "depends_on targets exist; service_healthy (service_completed_successfully for one-shots)")

    # networks and volumes declared and used
    declared_nets = set((doc.get("networks") or {}).keys())
    declared_vols = set((doc.get("volumes") or {}).keys())
    used_nets, used_vols, problems = set(), set(), []
    for name, svc in services.items():
        for n in service_networks(svc):
            used_nets.add(n)
            if n not in declared_nets:
                problems.append(f"{name}: network {n} not declared")
        for kind, src in volume_sources(svc):
            if kind == "named":
                used_vols.add(src)
                if src not in declared_vols:
                    problems.append(f"{name}: volume {src} not declared")
    problems += [f"network {n} declared, never used" for n in sorted(declared_nets - used_nets)]
    problems += [f"volume {v} declared, never used" for v in sorted(declared_vols - used_vols)]
    expect_empty(problems, f"networks ({', '.join(sorted(declared_nets))}) and named volumes declared and used")

    # network placement
    problems = []
    for name in BACKEND_ONLY:
        nets = service_networks(services.get(name, {}))
        if nets != ["backend"]:
            problems.append(f"{name}: networks {nets}, want only backend")
    if set(service_networks(services.get("nginx", {}))) != {"frontend", "backend"}:
        problems.append("nginx: must be on frontend and backend")
    for name in ("api-server", "ws-server", *TEST_SERVICES):
        if "frontend" in service_networks(services.get(name, {})):
            problems.append(f"{name}: on frontend")
    expect_empty(problems, "stores, broker, kafka and loki only on backend; nginx on both; servers not on frontend")

    # replicas
    problems = []
    for name, want in REPLICAS.items():
        svc = services.get(name, {})
        got = (svc.get("deploy") or {}).get("replicas")
        if got != want:
            problems.append(f"{name}: deploy.replicas {got}, want {want}")
        if "container_name" in svc or svc.get("ports"):
            problems.append(f"{name}: container_name/ports prevent scaling")
    expect_empty(problems, "api-server x2 and ws-server x3 via deploy.replicas, scalable (no fixed names or host ports)")

    # logging
    problems = []
    for name, svc in services.items():
        log = svc.get("logging") or {}
        if name in LOG_PIPELINE:
            if log.get("driver") != "json-file":
                problems.append(f"{name}: log pipeline component should log with json-file")
            continue
        tag = (log.get("options") or {}).get("tag", "")
        if log.get("driver") != "fluentd":
            problems.append(f"{name}: logging driver {log.get('driver')}, want fluentd")
        elif not tag.startswith(f"docker.{name}."):
            problems.append(f"{name}: fluentd tag {tag!r} does not start with docker.{name}.")
        elif (log.get("options") or {}).get("fluentd-address") != "localhost:24224":
            problems.append(f"{name}: fluentd-address is not localhost:24224")
    expect_empty(problems, "fluentd logging driver to fluent-bit, tag docker.<service>.<container>")

    # bind mounts
    problems = []
    for name, svc in services.items():
        for kind, src in volume_sources(svc):
            if kind == "bind" and not src.startswith("./.local") and not (root / src).exists():
                problems.append(f"{name}: {src} does not exist")
    expect_empty(problems, "bind-mounted repository paths exist")

    # secrets
    problems = []
    for name, svc in services.items():
        for key, value in env_items(svc).items():
            if SECRET_KEY_RE.search(key) and "${" not in value:
                problems.append(f"{name}: {key} has a literal value")
            m = re.search(r"://[^/\s:@]+:([^@\s]+)@", value)
            if m and not m.group(1).startswith("${"):
                problems.append(f"{name}: {key} embeds a literal password")
        for f in svc.get("env_file") or []:
            f = f if isinstance(f, str) else f.get("path", "")
            if f != ".env":
                problems.append(f"{name}: env_file {f} (only the uncommitted .env)")
    gitignore = (root / ".gitignore").read_text() if (root / ".gitignore").exists() else ""
    if not re.search(r"^/?\.env$", gitignore, re.M):
        problems.append(".env is not in .gitignore")
    expect_empty(problems, "no literal secrets (passwords come from .env, which git ignores)")


def check_production(c: Checker, root: pathlib.Path, doc: dict, raw: str) -> None:
    services: dict[str, dict] = doc.get("services") or {}
    problems = [f"{n}: a test service" for n in sorted(TEST_SERVICES & set(services))]
    for name, svc in services.items():
        env = env_items(svc)
        if name in REPLICAS and env.get("APP_ENV") != "production":
            problems.append(f"{name}: APP_ENV is {env.get('APP_ENV')!r}, want production")
        for key, value in env.items():
            if key == "OIDC_PROVIDERS" or key.startswith("OIDC_LOCAL_") or re.search(r"//(mail|oidc)[:/]", value):
                problems.append(f"{name}: {key}={value} points at a test service")
    c.expect_empty(problems, "prod: no test services (mail sink, test OpenID provider), servers in APP_ENV=production")

    # variables
    example = read_env(root / ".env.example")
    problems, seen_required = [], set()
    for var, mod in variables(raw):
        if var in REQUIRED_SECRETS or SECRET_KEY_RE.search(var):
            if not mod.startswith(":?"):
                problems.append(f"${{{var}}} must be written ${{{var}:?message}} (no default secret)")
            seen_required.add(var)
        if mod.startswith((":?", "?")):
            if var not in example:
                problems.append(f"{var} is required but missing from .env.example")
        elif not mod.startswith((":-", "-")):
            problems.append(f"${{{var}}} has no default and is not a required secret")
    problems += [f"{v} never used with ${{{v}:?...}}" for v in sorted(REQUIRED_SECRETS - seen_required)]
    problems += [f"{v} missing from .env.example" for v in sorted(REQUIRED_SECRETS - set(example))]
    c.expect_empty(problems, "prod: every secret is ${VAR:?...} (no default) and listed in .env.example; other variables have defaults")


def check_development(c: Checker, root: pathlib.Path, doc: dict, raw: str) -> None:
    services: dict[str, dict] = doc.get("services") or {}
    problems = [f"{n}: missing" for n in sorted(TEST_SERVICES - set(services))]
    api = env_items(services.get("api-server", {}))
    if not api.get("SMTP_URL", "").startswith("smtp://mail:"):
        problems.append(f"api-server: SMTP_URL {api.get('SMTP_URL')!r} is not the mail sink")
    if str(api.get("DEMO_DATA", "")).lower() != "true":
        problems.append("api-server: DEMO_DATA is not true (a new database gets no demo users)")
    if "local" not in api.get("OIDC_PROVIDERS", "").split(","):
        problems.append("api-server: OIDC_PROVIDERS does not offer the local test provider")
    issuer = api.get("OIDC_LOCAL_ISSUER", "")
    aliases = ((services.get("oidc", {}).get("networks") or {}).get("backend") or {}).get("aliases") or []
    host = re.sub(r"^https?://([^:/]+).*$", r"\1", issuer)
    if host not in aliases:
        problems.append(f"oidc: issuer host {host!r} is not a network alias of the provider ({aliases})")
    if host != "localhost" and not host.endswith(".localhost"):
        problems.append(f"oidc: issuer host {host!r} does not resolve to loopback in browsers (use *.localhost)")
    c.expect_empty(problems, f"dev: test services {', '.join(sorted(TEST_SERVICES))} present, the api-server mails the sink and offers the local provider")

    env = read_env(root / DEV_ENV)
    problems = [f"{DEV_ENV}: {v} missing" for v in sorted(REQUIRED_SECRETS - set(env))]
    if env.get("COMPOSE_FILE") != f"docker-compose.yml:{DEV_FILE}":
        problems.append(f"{DEV_ENV}: COMPOSE_FILE={env.get('COMPOSE_FILE')!r}, want docker-compose.yml:{DEV_FILE}")
    example = read_env(root / ".env.example")
    problems += [f"{DEV_ENV}: {v} is the same as in .env.example" for v in REQUIRED_SECRETS if env.get(v) and env.get(v) == example.get(v)]
    for var, mod in variables(raw):
        if not mod.startswith((":-", "-")):
            problems.append(f"{DEV_FILE}: ${{{var}}} needs a default (the override adds no required variable)")
    c.expect_empty(problems, f"dev: {DEV_ENV} sets every secret (development values) and selects both files; the override's variables have defaults")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    root = ap.parse_args(argv).root
    c = Checker()

    raw = (root / "docker-compose.yml").read_text()
    prod = yaml.safe_load(raw)
    dev_raw = (root / DEV_FILE).read_text()
    dev = merge(prod, yaml.safe_load(dev_raw))

    # the Rust image's dependency layer must know every workspace member
    import tomllib

    members = tomllib.loads((root / "Cargo.toml").read_text()).get("workspace", {}).get("members", [])
    rust_df = (root / "deploy/docker/rust.Dockerfile").read_text()
    problems = [f"rust.Dockerfile does not COPY {m}/Cargo.toml (dependency layer) and {m} (sources)"
                for m in members
                if not re.search(rf"^COPY {re.escape(m)}/Cargo.toml ", rust_df, re.M)
                or not re.search(rf"^COPY {re.escape(m)} {re.escape(m)}$", rust_df, re.M)]
    if not re.search(r"^ARG BIN$", rust_df, re.M) or "debian:${DEBIAN_RELEASE}-slim" not in rust_df:
        problems.append("rust.Dockerfile: ARG BIN / debian slim runtime stage missing")
    if not re.search(r"^USER (?!root)\S+", rust_df, re.M):
        problems.append("rust.Dockerfile: runtime does not switch to a non-root USER")
    c.expect_empty(problems, f"rust.Dockerfile copies the manifests and sources of every workspace member ({', '.join(members)}), runs as non-root")

    check_setup(c, root, prod, "prod")
    check_production(c, root, prod, raw)
    check_setup(c, root, dev, "dev")
    check_development(c, root, dev, dev_raw)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
