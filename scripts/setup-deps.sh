#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only if some are missing.
# Usage: scripts/setup-deps.sh [extra-package ...]
set -euo pipefail
pkgs=(build-essential cmake pkg-config libdnnl-dev libcjson-dev zlib1g-dev libpng-dev libjpeg-dev libcairo2-dev
      fonts-dejavu-core dataset-fashion-mnist libopenmpi-dev openmpi-bin "$@")
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
