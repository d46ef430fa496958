#!/usr/bin/env bash
# Runs every fuzz target of tbgo's decoders and parsers for DURATION each
# (default 10m: the documented long run; CI runs 10s each) and prints the
# executions of each. Any failure stops the script with the fuzzer's
# report; the failing input is left in the package's testdata/fuzz for the
# regression corpus.
#
#   scripts/fuzz.sh [DURATION [TARGET...]]
#
# TARGETs (e.g. FuzzScanner or ./archive:FuzzReader) pick a subset, so two
# shells can share the long run on two cores. FUZZ_WORKERS sets the fuzzer's
# -parallel (default: one per CPU). go test's own -timeout (default 10m)
# would cut a 10-minute run short, so it is raised to FUZZ_TIMEOUT (3h).
set -euo pipefail
# Go 1.26's fuzz coordinator can end a duration-limited run with a spurious
# "context deadline exceeded" and no failing input (go.dev/issue/75804,
# fixed in Go 1.27). The fuzzer therefore runs on the approved Go 1.27
# toolchain, which the go command fetches from the module proxy on first use;
# the rest of the build stays on the machine's Go.
export GOTOOLCHAIN=${FUZZ_GOTOOLCHAIN:-go1.27.3}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${1:-10m}
shift || true
workers=${FUZZ_WORKERS:-$(nproc 2>/dev/null || echo 1)}

# Every fuzz target of the module, found in the test files git tracks, so
# that a new one is fuzzed without editing this list.
targets=()
while read -r file name; do
  targets+=("./$(dirname "$file") $name")
done < <(git ls-files '*_test.go' | xargs grep -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/:func / /' | sort -u)

if [ $# -gt 0 ]; then
  picked=()
  for t in "${targets[@]}"; do
    read -r pkg name <<<"$t"
    for want in "$@"; do
      if [ "$want" = "$name" ] || [ "$want" = "$pkg:$name" ]; then
        picked+=("$t")
      fi
    done
  done
  targets=("${picked[@]}")
fi

total=0
printf '%-16s %-16s %12s\n' package target executions
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  log=$(mktemp)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$duration" -fuzzminimizetime 5s -timeout "${FUZZ_TIMEOUT:-3h}" -parallel "$workers" "$pkg" >"$log" 2>&1; then
    cat "$log" >&2
    echo "fuzz: $pkg $name FAILED" >&2
    rm -f "$log"
    exit 1
  fi
  # A run shorter than the baseline coverage of its corpus prints no
  # execs: line; it passed, with "?" executions.
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
  rm -f "$log"
  total=$((total + ${execs:-0}))
  printf '%-16s %-16s %12s\n' "$pkg" "$name" "${execs:-?}"
done
printf '%-33s %12s\n' "all targets, $duration each" "$total"
