#!/usr/bin/env bash
# Builds {{crate}}.wasm with componentize-js 0.23.0: the one on PATH, else this project's
# (npm install).
set -euo pipefail
cd "$(dirname "$0")"
if command -v componentize-js >/dev/null; then
  componentize=componentize-js
else
  if [ ! -x node_modules/.bin/componentize-js ]; then
    npm install --no-audit --no-fund --loglevel=error
  fi
  componentize=node_modules/.bin/componentize-js
fi
"$componentize" plugin.js --wit wit --world-name plugin --out {{crate}}.wasm
echo "built {{crate}}.wasm" >&2
