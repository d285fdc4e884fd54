#!/usr/bin/env bash
# Builds {{crate}}.wasm with componentize-py 0.25.1: the one on PATH, else one installed into
# .venv here (python3 -m venv, pip).
set -euo pipefail
cd "$(dirname "$0")"
if command -v componentize-py >/dev/null; then
  componentize=componentize-py
else
  if [ ! -x .venv/bin/componentize-py ]; then
    python3 -m venv .venv
    .venv/bin/pip install --disable-pip-version-check -q componentize-py==0.25.1
  fi
  componentize=.venv/bin/componentize-py
fi
"$componentize" -d wit -w plugin-with-http componentize app -o {{crate}}.wasm
echo "built {{crate}}.wasm" >&2
