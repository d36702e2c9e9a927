#!/usr/bin/env bash
# Installs the Debian packages of the groups named (default: build), from scripts/packages.txt, the
# one list of what rcc needs; only those missing, with --no-install-recommends.
# Usage: scripts/setup-deps.sh [GROUP ...]        groups: build browser python fuzz bench fixtures valgrind
#        scripts/setup-deps.sh --list [GROUP ...]  print the packages, install nothing
set -euo pipefail
list="$(dirname "$0")/packages.txt"
only_list=0
[ "${1:-}" = "--list" ] && { only_list=1; shift; }
[ $# -gt 0 ] || set -- build
pkgs=()
for g in "$@"; do
  line=$(awk -v g="$g:" '$1 == g { $1 = ""; printf "%s", $0 " " }' "$list")
  [ -n "$line" ] || { echo "setup: no package group '$g' in $list" >&2; exit 2; }
  read -r -a more <<< "$line"
  pkgs+=("${more[@]}")
done
if [ $only_list -eq 1 ]; then printf '%s\n' "${pkgs[@]}"; exit 0; fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
