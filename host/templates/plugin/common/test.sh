#!/usr/bin/env bash
# Runs the {{hook}} hook of {{crate}}.wasm with `ristretto plugin test` and checks its answers.
# Build first (./build.sh). Uses `ristretto` from PATH, or $RISTRETTO.
set -euo pipefail
cd "$(dirname "$0")"
ristretto="${RISTRETTO:-ristretto}"

# expect NEEDLE ARGS...: runs `ristretto plugin test {{crate}}.wasm ARGS...` and checks that its
# answer contains NEEDLE.
expect() {
  local needle="$1" answer
  shift
  answer="$("$ristretto" plugin test {{crate}}.wasm "$@")"
  echo "$answer"
  if [[ "$answer" != *"$needle"* ]]; then
    echo "test.sh: expected $needle in the answer of plugin test $*" >&2
    exit 1
  fi
}

{{checks}}
echo "test.sh: {{crate}}.wasm passed" >&2
