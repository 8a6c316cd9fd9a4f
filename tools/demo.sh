#!/usr/bin/env bash
# Quick start, step 1: install everything (Debian packages, Node.js, npm
# dependencies), then run the demo mesh on examples/:
#  - as root, with the kernel features (cgroup v2, BTF, BPF, WireGuard): the
#    multi-node lab (`nodemesh lab up`: two nodes as network namespaces, eBPF
#    steering, WireGuard between them, mutual authentication with the auth
#    gate) and its live view (`nodemesh lab watch`); Ctrl-C — or any exit —
#    runs `nodemesh lab down`. `lab up` ends with what to try, `nodemesh auth
#    status` in a node included;
#  - otherwise: the single-process demo (`nodemesh demo --no-lab`), saying why.
# With arguments, runs `nodemesh demo --config examples ARGS…` as before.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
if [ $# -gt 0 ]; then exec ./bin/nodemesh demo --config examples "$@"; fi

# The eBPF objects, when this machine can build them (clang from install.sh).
if [ "$(id -u)" -eq 0 ]; then node bpf/sockmap/build.mjs --if-available || true; fi

if [ "$(id -u)" -ne 0 ]; then
  why="needs root (network namespaces, cgroups, BPF, WireGuard)"
elif ! why=$(./bin/nodemesh lab up --check 2>&1); then
  :
else
  why=""
fi
if [ -n "$why" ]; then
  echo "demo.sh: the multi-node lab cannot run here: $why" >&2
  echo "demo.sh: running the single-process demo instead (nodemesh demo --no-lab)" >&2
  exec ./bin/nodemesh demo --config examples --no-lab
fi

# A lab that is already up is not this run's to remove.
if ./bin/nodemesh lab status >/dev/null 2>&1; then
  echo "demo.sh: a lab named default is already up; watch it with ./bin/nodemesh lab watch, or remove it with ./bin/nodemesh lab down" >&2
  exit 1
fi

watch_pid=
down() {
  trap - EXIT INT TERM HUP
  if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; fi
  echo
  echo "demo.sh: nodemesh lab down"
  ./bin/nodemesh lab down | tail -1
}
trap down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
./bin/nodemesh lab up --config examples
# In the background so that any signal to this script (not only a terminal's
# Ctrl-C, which reaches the whole process group) runs the trap at once.
./bin/nodemesh lab watch &
watch_pid=$!
wait "$watch_pid"
