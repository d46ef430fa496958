#!/usr/bin/env bash
# Runs every fuzz target of tbgo's decoders and parsers for DURATION each
# (default 10m: the documented long run; CI runs 10s each) and prints the
# executions of each. Any failure stops the script with the fuzzer's
# report; the failing input is left in the package's testdata/fuzz for the
# regression corpus.
#
#   scripts/fuzz.sh [DURATION]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${1:-10m}

targets=(
  "./tfevents FuzzReader"
  "./tfevents FuzzReadEvent"
  "./tfevents FuzzResync"
  "./summary FuzzDecoder"
  "./summary FuzzDecodeWAV"
  "./archive FuzzReader"
  "./archive FuzzManifest"
  "./history FuzzRead"
  "./trainer/data FuzzReadCSV"
  "./trainer FuzzParseSpec"
  "./trainer FuzzLoad"
  "./trainer/run FuzzParse"
)
if [ -d trainer/sweep ]; then
  targets+=("./trainer/sweep FuzzParseConfig")
fi

total=0
printf '%-16s %-16s %12s\n' package target executions
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  log=$(mktemp)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$duration" -fuzzminimizetime 5s "$pkg" >"$log" 2>&1; then
    cat "$log" >&2
    echo "fuzz: $pkg $name FAILED" >&2
    rm -f "$log"
    exit 1
  fi
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  rm -f "$log"
  total=$((total + ${execs:-0}))
  printf '%-16s %-16s %12s\n' "$pkg" "$name" "${execs:-?}"
done
printf '%-33s %12s\n' "all targets, $duration each" "$total"
