#!/usr/bin/env bash
# Runs every Madang test: Go unit, API, realtime and end-to-end tests, with
# the race detector. Usage: ./test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=go1.27.3
go test -race -count=1 "$@" ./...
