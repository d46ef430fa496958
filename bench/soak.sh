#!/usr/bin/env bash
# Soak test: writes scalars at full speed for DURATION (default 10m) while
# a reader follows the growing event file, sampling memory every 10 s.
# Prints one JSON line per sample and a final one with "lost" (must be 0)
# and the minimum and maximum resident size. See docs/RELIABILITY.md.
#
#   bench/soak.sh [DURATION]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go run ./bench/soak -duration "${1:-10m}"
