# shellcheck shell=bash
# Shared by the deploy/local scripts (source it). Installing packages: only with apt, only as
# root, only what is missing; `apt-get update` only when an install fails without it.

# apt_install TAG PACKAGE... : installs the missing ones, or fails with the command to run.
apt_install() {
  local tag=$1 missing=() p
  shift
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    printf '[%s] ERROR: missing %s and no apt-get here: install them yourself.\n' "$tag" "${missing[*]}" >&2
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    printf "[%s] ERROR: missing %s: run 'sudo apt-get install -y %s'.\n" "$tag" "${missing[*]}" "${missing[*]}" >&2
    return 1
  fi
  printf '[%s] installing %s with apt\n' "$tag" "${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# self_signed_cert DIR NAME IP : DIR/cert.pem + DIR/key.pem for NAME and IP, made once.
self_signed_cert() {
  local dir=$1 name=$2 ip=$3
  mkdir -p "$dir"
  if [ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ]; then return 0; fi
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name,IP:$ip" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || return 1
  chmod 600 "$dir/key.pem"
}

# web_root_of REPO : what nginx serves: the web build, or the placeholder page saying how to make it.
web_root_of() {
  if [ -f "$1/web/.output/public/index.html" ]; then
    echo "$1/web/.output/public"
  else
    echo "$1/deploy/local/placeholder"
  fi
}
