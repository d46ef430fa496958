#!/usr/bin/env bash
# Side-by-side: N scalars (default 1e6) written by tbgo and by tensorboardX in
# one invocation, with wall time and peak RSS of each process (GNU time),
# then a check that both logdirs hold all N scalars (tbgo inspect).
#
#   bench/scalars.sh [N]
#
# Needs scripts/setup.sh's .venv (tensorboardX) and /usr/bin/time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
go build -o "$out/writescalars" ./bench/writescalars
go build -o "$out/tbgo" ./cmd/tbgo

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" > "$out/$name.json"
  read -r wall rss < "$out/$name.time"
  printf '%-13s %s  process wall %ss  peak RSS %d KiB\n' "$name" "$(cat "$out/$name.json")" "$wall" "$rss"
}

echo "writing $n scalars (4 tags) with each writer:"
measure tbgo "$out/writescalars" -n "$n" -logdir "$out/logs-tbgo"
measure tensorboardX "$root/.venv/bin/python" bench/writescalars_tbx.py -n "$n" -logdir "$out/logs-tbx"

count() { "$out/tbgo" inspect -json "$1" | "$root/.venv/bin/python" -c '
import json, sys
rep = json.load(sys.stdin)
print(sum(t["count"] for r in rep["runs"] for p in r["plugins"] for t in p["tags"]))'; }
echo "scalars read back: tbgo $(count "$out/logs-tbgo"), tensorboardX $(count "$out/logs-tbx")"
"$root/.venv/bin/python" - "$out/tbgo.json" "$out/tensorboardX.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
print("tbgo/tensorboardX scalars per second: %.0fx" % (a["scalars_per_s"] / b["scalars_per_s"]))
PY
