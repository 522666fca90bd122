#!/usr/bin/env bash
# Control-plane benchmark: session creation per second through the REST API and
# digit-to-SSE latency with many concurrent sessions, on SQLite and (when a server is
# reachable) PostgreSQL. Prints the machine and its load with the figures: timing on a
# shared machine is only meaningful next to them.
#
#   bench/api/run.sh                       # both databases, defaults
#   HUSHPAY_BENCH_PG=postgres://... bench/api/run.sh
#   bench/api/run.sh -sessions 500         # extra flags go to the Go program
set -euo pipefail
cd "$(dirname "$0")/../.."

pg=${HUSHPAY_BENCH_PG:-${HUSHPAY_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
bin=$(mktemp -d)/api-bench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/api

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "go: $(go version | cut -d' ' -f3)   date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bin" -driver sqlite "$@"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -d "$pg"; then
  echo "postgres: not reachable at $pg, skipped"
else
  "$bin" -driver postgres -dsn "$pg" "$@"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
