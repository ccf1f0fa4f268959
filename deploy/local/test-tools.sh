#!/usr/bin/env bash
# Installs what `make test` needs besides the services and Rust (idempotent): nginx and openssl
# (nginx -t and the nginx smoke test), promtool (Prometheus config and rules), envsubst and
# the shell linter, docker-compose (compose file validation), PyYAML, python3-venv (the venv of
# the Kubernetes schema validator, deploy/k8s/check.sh). kubectl comes with the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
apt_install tools nginx-light openssl curl gettext-base prometheus shellcheck docker-compose python3-yaml python3-venv
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml
printf '[tools] test tools present\n'
