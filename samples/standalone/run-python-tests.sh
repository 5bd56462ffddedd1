#!/usr/bin/env bash
# Runs test_configmaps.py against a standalone monokube serve: a free port, a kubeconfig written by the server,
# the server stopped afterwards.   usage: [PYTHON=python3] samples/standalone/run-python-tests.sh [path/to/monokube]
set -euo pipefail
monokube="${1:-monokube}"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
"$monokube" serve --bind-address 127.0.0.1 --secure-port 0 --cert-dir "$dir/certs" \
  --write-kubeconfig "$dir/kubeconfig" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
# The line is printed once the kubeconfig is written and the API serves.
until grep -q "serving the Kubernetes API" "$dir/serve.log"; do
  kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
  sleep 0.05
done
cd "$here" && KUBECONFIG="$dir/kubeconfig" "${PYTHON:-python3}" -m unittest -v test_configmaps
