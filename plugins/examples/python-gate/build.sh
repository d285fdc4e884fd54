#!/usr/bin/env bash
# Builds python_gate.wasm with componentize-py (pip install componentize-py==0.25.1) against
# the repository's wit/ (world plugin-with-http: the contract plus wasi:http).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/python_gate.wasm}"
cd "$here"
# ristretto_http.py is the helper `ristretto plugin new --lang python` ships, used from there.
componentize-py -d ../../../wit -w plugin-with-http componentize app \
  -p . -p ../../../host/templates/plugin/python -o "$out"
