#!/usr/bin/env bash
# Quick start, step 1: install everything (Debian packages, Node.js, npm
# dependencies) and run the demo mesh on examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
exec ./bin/nodemesh demo --config examples "$@"
