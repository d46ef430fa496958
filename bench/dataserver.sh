#!/usr/bin/env bash
# Side-by-side: tbgo-data-server and TensorBoard's Rust data server, each
# launched by stock TensorBoard the same way (--load_fast=true; tbgo through
# TENSORBOARD_DATA_SERVER_BINARY), on one generated logdir: 100 runs, 40 M
# scalar points (4 tags), 100 k histograms and 10 k images at SCALE 1
# (about 2 GB); SCALE 0.01 makes a 1% logdir for CI. Prints, for each
# server, the time to the first answered ReadScalars, the time until every
# run's scalars are loaded, the peak RSS and the ReadScalars latency for 50
# runs x 1 tag, then checks that both serve equal answers.
#
#   bench/dataserver.sh [SCALE] [LOGDIR]
#
# LOGDIR (default a temporary directory) is generated unless it already
# holds the logdir of that SCALE. Needs scripts/setup.sh's .venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=${1:-1}
logdir=${2:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
go build -o "$out/genlogdir" ./bench/genlogdir
go build -o "$out/tbgo-data-server" ./cmd/tbgo-data-server
py="$root/.venv/bin/python"

n() { "$py" -c "print(max(1, int($1 * $scale)))"; }
if [ -z "$logdir" ]; then logdir=$out/logdir; fi
gen=$logdir.gen-$scale.json
if [ ! -s "$gen" ]; then
  rm -rf "$logdir"
  echo "generating the logdir (scale $scale) in $logdir"
  "$out/genlogdir" -logdir "$logdir" -runs 100 -tags 4 -scalars "$(n 40000000)" \
    -histograms "$(n 100000)" -images "$(n 10000)" > "$gen"
fi
echo "logdir: $(du -sh "$logdir" | cut -f1), generated in $("$py" -c "import json; print('%.0f s' % json.load(open('$gen'))['seconds'])")"

"$py" bench/dataserver_bench.py tbgo "$logdir" "$gen" "$out/tbgo-data-server" > "$out/tbgo.json"
"$py" bench/dataserver_bench.py rustboard "$logdir" "$gen" > "$out/rust.json"
"$py" - "$out/tbgo.json" "$out/rust.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
print("%-28s %14s %14s" % ("", a["name"], b["name"]))
for key, label, fmt in (("first_answer_s", "first ReadScalars answer", "%.2f s"), ("loaded_s", "all scalars loaded", "%.2f s"),
                        ("peak_rss_mb", "peak RSS", "%.0f MB"), ("read_ms", "ReadScalars 50 runs x 1 tag", "%.1f ms")):
    print("%-28s %14s %14s" % (label, fmt % a[key], fmt % b[key]))
print("load speed-up %.2fx, peak RSS ratio %.2f" % (b["loaded_s"] / a["loaded_s"], a["peak_rss_mb"] / b["peak_rss_mb"]))
same = a["max_steps"] == b["max_steps"] and all(
    a["loss"][r][0] == b["loss"][r][0] and a["loss"][r][1:] == b["loss"][r][1:] for r in b["loss"])
print("equal answers (every tag's max step; every run's loss: count, last step, last value):", same)
sys.exit(0 if same else 1)
PY
