#!/usr/bin/env bash
# Runs every Madang test: Go unit, API, realtime and end-to-end tests, with
# the race detector, then the web client's JSDoc type check (tsc) and its
# journeys in a real browser.
# Usage: ./test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=go1.27.3
# The optional Centrifugo tier's tests (internal/centrifugo) run a real
# Centrifugo: the pinned release is built once, from the module proxy.
if [ -z "${MADANG_CENTRIFUGO_BIN:-}" ]; then
  bin_dir=$(go env GOBIN)
  [ -n "$bin_dir" ] || bin_dir="$(go env GOPATH | cut -d: -f1)/bin"
  export MADANG_CENTRIFUGO_BIN="$bin_dir/centrifugo"
  if [ ! -x "$MADANG_CENTRIFUGO_BIN" ]; then
    echo "== installing Centrifugo v6.9.1 (the realtime tier's tests run it)"
    go install github.com/centrifugal/centrifugo/v6@v6.9.1
  fi
fi
go_status=0
# the slowest packages (hooks, community) take over go test's default 10 minutes under -race on a busy 2-core machine
go test -race -count=1 -timeout 45m "$@" ./... || go_status=$?

echo "== browser tests (e2e/: the web client in headless Chromium against the real server)"
if [ ! -x /usr/bin/chromium ]; then
  # Debian's Chromium: Playwright's own browser download cannot work offline
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
if [ ! -d e2e/node_modules ] || [ ! -f e2e/node_modules/typescript/bin/tsc ]; then
  (cd e2e && npm ci --no-audit --no-fund)
fi
echo "== web client JSDoc check (tsc over pb_public/js and the README's SDK examples against madang-types.d.ts)"
tsc_status=0
node e2e/node_modules/typescript/bin/tsc -p pb_public/jsconfig.json || tsc_status=$?
# the README's SDK examples, against the same definitions
node e2e/readme-sdk.mjs || tsc_status=$?
MADANG_BIN="$(mktemp -d)/madang-e2e"
export MADANG_BIN
trap 'rm -rf "$(dirname "$MADANG_BIN")"' EXIT
go build -o "$MADANG_BIN" .
e2e_status=0
# the test files, not the folder: Node >= 21 treats a folder argument as a glob pattern and fails
node --test --test-concurrency=1 e2e/*.test.mjs || e2e_status=$?

if [ "$go_status" -ne 0 ] || [ "$tsc_status" -ne 0 ] || [ "$e2e_status" -ne 0 ]; then
  echo "FAILED: go tests exit $go_status, JSDoc check exit $tsc_status, browser tests exit $e2e_status"
  exit 1
fi
