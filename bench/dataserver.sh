#!/usr/bin/env bash
# Side-by-side: tbgo-data-server and TensorBoard's Rust data server, each
# launched by stock TensorBoard the same way (--load_fast=true; tbgo through
# TENSORBOARD_DATA_SERVER_BINARY), on one generated logdir: 100 runs, 40 M
# scalar points (4 tags), 100 k histograms and 10 k images at SCALE 1
# (about 2 GB); SCALE 0.01 makes a 1% logdir for CI. Prints, for each
# server, the time to the first answered ReadScalars, the time until every
# run's scalars are loaded, the peak RSS and the ReadScalars latency for 50
# runs x 1 tag, then checks that both serve equal answers. The same
# logdir packed by tbgo archive (LOGDIR.tbar) is then served by
# tbgo-data-server, which no other server can do.
#
#   bench/dataserver.sh [SCALE] [LOGDIR]
#
# LOGDIR (default a temporary directory) is generated, and archived,
# unless it already holds the logdir of that SCALE. Needs scripts/setup.sh's
# .venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=${1:-1}
logdir=${2:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
go build -o "$out/genlogdir" ./bench/genlogdir
go build -o "$out/tbgo-data-server" ./cmd/tbgo-data-server
go build -o "$out/tbgo" ./cmd/tbgo
py="$root/.venv/bin/python"

n() { "$py" -c "print(max(1, int($1 * $scale)))"; }
if [ -z "$logdir" ]; then logdir=$out/logdir; fi
gen=$logdir.gen-$scale.json
if [ ! -s "$gen" ]; then
  rm -rf "$logdir"
  echo "generating the logdir (scale $scale) in $logdir"
  "$out/genlogdir" -logdir "$logdir" -runs 100 -tags 4 -scalars "$(n 40000000)" \
    -histograms "$(n 100000)" -images "$(n 10000)" > "$gen.tmp"
  rm -f "$logdir.tbar"
  "$out/tbgo" archive -f "$logdir" "$logdir.tbar" > /dev/null
  mv "$gen.tmp" "$gen"
fi
echo "logdir: $(du -sh "$logdir" | cut -f1), generated in $("$py" -c "import json; print('%.0f s' % json.load(open('$gen'))['seconds'])")"

"$py" bench/dataserver_bench.py tbgo "$logdir" "$gen" "$out/tbgo-data-server" > "$out/tbgo.json"
"$py" bench/dataserver_bench.py rustboard "$logdir" "$gen" > "$out/rust.json"
"$py" bench/dataserver_bench.py tbgo-archive "$logdir.tbar" "$gen" "$out/tbgo-data-server" > "$out/archive.json"
"$py" - "$out/tbgo.json" "$out/rust.json" "$out/archive.json" <<'PY'
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:])
print("%-28s %14s %14s %14s" % ("", a["name"], b["name"], c["name"]))
for key, label, fmt in (("first_answer_s", "first ReadScalars answer", "%.2f s"), ("loaded_s", "all scalars loaded", "%.2f s"),
                        ("load_cpu_s", "CPU time until loaded", "%.2f s"),
                        ("peak_rss_mb", "peak RSS", "%.0f MB"), ("read_ms", "ReadScalars 50 runs x 1 tag", "%.1f ms")):
    print("%-28s %14s %14s %14s" % (label, fmt % a[key], fmt % b[key], fmt % c[key]))
print("tbgo vs rustboard: load speed-up %.2fx (CPU time %.2fx), peak RSS ratio %.2f" % (
    b["loaded_s"] / a["loaded_s"], b["load_cpu_s"] / a["load_cpu_s"], a["peak_rss_mb"] / b["peak_rss_mb"]))
def same(x, y):
    return x["max_steps"] == y["max_steps"] and all(
        x["loss"][r][0] == y["loss"][r][0] and x["loss"][r][1:] == y["loss"][r][1:] for r in y["loss"])
ok = same(a, b) and same(c, b)
print("equal answers (every tag's max step; every run's loss: count, last step, last value):", ok)
sys.exit(0 if ok else 1)
PY
