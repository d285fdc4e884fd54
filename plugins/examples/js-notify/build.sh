#!/usr/bin/env bash
# Builds js_notify.wasm with componentize-js (npm install @bytecodealliance/componentize-js@0.23.0)
# against the repository's wit/ (world plugin: fetch() brings its own wasi:http import).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/js_notify.wasm}"
cd "$here"
componentize-js plugin.js --wit ../../../wit --world-name plugin --out "$out"
