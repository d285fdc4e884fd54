#!/usr/bin/env bash
# Builds python_gate.wasm with componentize-py (pip install componentize-py==0.25.1) against
# the repository's wit/ (world plugin-with-http: the contract plus wasi:http).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/python_gate.wasm}"
cd "$here"
componentize-py -d ../../../wit -w plugin-with-http componentize app -o "$out"
