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
