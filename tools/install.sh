#!/usr/bin/env bash
# Installs what nodemesh needs on a Debian/Ubuntu machine: the Debian packages
# in tools/debian-packages.txt that are missing (apt-get), Node.js >= 20 if
# absent, and the npm dependencies (npm ci, which also generates the Envoy
# types). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { if [ "$(id -u)" -ne 0 ]; then echo sudo; fi; }
SUDO=$(need_root)

missing=()
while read -r pkg; do
  case "$pkg" in ''|\#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < tools/debian-packages.txt

node_ok() { command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; }
node_ok || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "install.sh: missing ${missing[*]} and apt-get is not available; install them by hand" >&2
    exit 1
  fi
  echo "install.sh: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if ! node_ok; then
  echo "install.sh: nodemesh needs Node.js >= 20; found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  node tools/gen-api.mjs
fi
