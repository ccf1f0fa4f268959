#!/usr/bin/env bash
# Validate the deployment and observability configuration without running the cluster.
# Prints one line per check ("ok   ..." / "FAIL ..." / "skip ..."), exits non-zero if any
# check failed. Needs: python3 + PyYAML (and venv: the Kubernetes schema validator is installed
# from PyPI into .local/k8s-venv once), promtool, nginx, openssl, curl, envsubst, kubectl. Optional:
# the shellcheck linter, and docker-compose (v1) or `docker compose` (v2) for the compose schema.
#
# Usage: deploy/check-configs.sh [--quick]    (--quick: nginx render + `nginx -t` only, no
#                                              functional nginx test)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
FAILED=0
PASSED=0

ok() { printf 'ok   %s\n' "$1"; PASSED=$((PASSED + 1)); }
bad() { printf 'FAIL %s\n' "$1"; FAILED=$((FAILED + 1)); }
skip() { printf 'skip %s\n' "$1"; }

# check DESCRIPTION COMMAND... : one line; the command's output only when it fails
check() {
  local what=$1; shift
  if "$@" >"$TMP/out" 2>&1; then
    ok "$what"
  else
    bad "$what"
    sed 's/^/       /' "$TMP/out" | tail -n 40
  fi
}

# run_lines COMMAND... : the command prints its own ok/FAIL lines
run_lines() {
  local rc=0
  "$@" >"$TMP/out" 2>&1 || rc=$?
  cat "$TMP/out"
  PASSED=$((PASSED + $(grep -c '^ok ' "$TMP/out" || true)))
  FAILED=$((FAILED + $(grep -c '^FAIL' "$TMP/out" || true)))
  if [ "$rc" != 0 ] && ! grep -q '^FAIL' "$TMP/out"; then
    bad "$* exited with status $rc"
  fi
}

need() { command -v "$1" >/dev/null 2>&1; }

# --- shell scripts ----------------------------------------------------------------------------
mapfile -t SCRIPTS < <(find deploy -name '*.sh' -type f | sort)
for s in "${SCRIPTS[@]}"; do
  case "$(head -n1 "$s")" in
    *bash*) check "bash -n $s" bash -n "$s" ;;
    *) check "sh -n $s" sh -n "$s" ;;
  esac
done
if need shellcheck; then
  # Warnings and errors fail; info/style notes are not enforced (scripts of other owners).
  check "shellcheck -S warning (${#SCRIPTS[@]} scripts under deploy/)" shellcheck -x -S warning "${SCRIPTS[@]}"
else
  skip "shellcheck (not installed: apt-get install shellcheck)"
fi

# --- the web build's decisions (stand-ins for node and npm; the real build runs in make test) --
run_lines bash deploy/local/web-build-test.sh

# --- python helpers ---------------------------------------------------------------------------
check "check_metrics.py --self-test (PromQL name extraction)" python3 deploy/check_metrics.py --self-test
check "csp_hashes.py --self-test (inline script hashes for the CSP)" python3 deploy/nginx/csp_hashes.py --self-test

# --- prometheus -------------------------------------------------------------------------------
if need promtool; then
  check "promtool check config observability/prometheus/prometheus.yml" \
    promtool check config observability/prometheus/prometheus.yml
  check "promtool check config observability/prometheus/prometheus.local.yml" \
    promtool check config observability/prometheus/prometheus.local.yml
  check "promtool check rules observability/prometheus/alerts.yml" \
    promtool check rules observability/prometheus/alerts.yml
  check "promtool test rules observability/prometheus/alerts.test.yml (each alert fires/stays quiet)" \
    promtool test rules observability/prometheus/alerts.test.yml
  if python3 deploy/check_metrics.py --emit-rules "$TMP/dashboard-queries.yml" >"$TMP/emit" 2>&1; then
    check "dashboard PromQL parses ($(grep -o '[0-9]* dashboard queries' "$TMP/emit"), via promtool check rules)" \
      promtool check rules "$TMP/dashboard-queries.yml"
  else
    bad "extract dashboard PromQL"; cat "$TMP/emit"
  fi
else
  bad "promtool not installed (apt-get install prometheus)"
fi

# --- metric names -----------------------------------------------------------------------------
run_lines python3 deploy/check_metrics.py --contract
check "check_metrics.py --list: $(python3 deploy/check_metrics.py --list 2>/dev/null | cut -f1 | tr '\n' ' ')" \
  python3 deploy/check_metrics.py --list

# --- nginx ------------------------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
  run_lines bash deploy/nginx/smoke-test.sh --config-only
else
  run_lines bash deploy/nginx/smoke-test.sh
fi

# --- docker compose ---------------------------------------------------------------------------
# Production (docker-compose.yml) is validated on a copy whose env_file points at a temporary
# env file: once with the values of .env.example (must pass), once with an empty one (must be
# refused: the secrets are ${VAR:?}). Development (docker-compose.yml + docker-compose.dev.yml)
# with the values of .env.dev.example (must pass).
# docker-compose v1 predates the top-level `name` of the compose spec: its copies have no `name`
# (check_compose.py checks the name itself).
cp .env.example "$TMP/full.env"
cp .env.dev.example "$TMP/dev.env"
: >"$TMP/empty.env"
compose_copy() { # SOURCE ENV_FILE OUT STRIP_NAME
  python3 - "$@" <<'EOF'
import sys, yaml
source, env_file, out, strip_name = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
doc = yaml.safe_load(open(source))
if strip_name:
    doc.pop("name", None)
for svc in (doc.get("services") or {}).values():
    if "env_file" in svc:
        svc["env_file"] = [env_file]
yaml.safe_dump(doc, open(out, "w"), sort_keys=False)
EOF
}
compose_validate() { # LABEL COMMAND... (the compose command, without -f / --env-file / config)
  local label=$1; shift
  local strip=0
  [ "$1" = docker-compose ] && strip=1
  compose_copy docker-compose.yml "$TMP/full.env" "$TMP/compose-full.yml" "$strip"
  compose_copy docker-compose.yml "$TMP/empty.env" "$TMP/compose-empty.yml" "$strip"
  compose_copy docker-compose.yml "$TMP/dev.env" "$TMP/compose-dev-base.yml" "$strip"
  compose_copy docker-compose.dev.yml "$TMP/dev.env" "$TMP/compose-dev.yml" "$strip"
  check "$label config -q (production: docker-compose.yml; values of .env.example)" \
    "$@" --project-directory "$ROOT" --env-file "$TMP/full.env" -f "$TMP/compose-full.yml" config -q
  check "$label config -q (development: + docker-compose.dev.yml; values of .env.dev.example)" \
    "$@" --project-directory "$ROOT" --env-file "$TMP/dev.env" -f "$TMP/compose-dev-base.yml" -f "$TMP/compose-dev.yml" config -q
  if "$@" --project-directory "$ROOT" --env-file "$TMP/empty.env" -f "$TMP/compose-empty.yml" config -q >"$TMP/refused" 2>&1; then
    bad "$label config accepted a setup without the secrets of .env"
  elif grep -q 'JWT_SECRET\|POSTGRES_PASSWORD\|RABBITMQ_DEFAULT_PASS\|GRAFANA_ADMIN_PASSWORD' "$TMP/refused"; then
    ok "$label config refuses to run without the secrets of .env: $({ grep -o 'set [A-Z_]* in .env[^}]*' "$TMP/refused" || head -n1 "$TMP/refused"; } | head -n1)"
  else
    bad "$label config failed without .env, but not on a missing secret:"
    sed 's/^/       /' "$TMP/refused"
  fi
}
if need docker && docker compose version >/dev/null 2>&1; then
  compose_validate "docker compose" docker compose
elif need docker-compose; then
  compose_validate "docker-compose (v1, top-level name stripped)" docker-compose
else
  skip "compose schema (neither 'docker compose' nor docker-compose installed)"
fi
run_lines python3 deploy/check_compose.py

# --- observability files ----------------------------------------------------------------------
run_lines python3 deploy/check_observability.py

# --- kubernetes -------------------------------------------------------------------------------
# Every overlay of deploy/k8s rendered (kubectl kustomize), validated against the Kubernetes
# schemas, checked by deploy/check_k8s.py; the web pod's nginx served on a loopback port.
run_lines bash deploy/k8s/check.sh

echo
if [ "$FAILED" -gt 0 ]; then
  echo "check-configs: $PASSED passed, $FAILED failed"
  exit 1
fi
echo "check-configs: $PASSED passed, 0 failed"
