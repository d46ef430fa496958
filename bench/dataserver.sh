#!/usr/bin/env bash
# Side-by-side: tbgo-data-server and TensorBoard's Rust data server, each
# launched by stock TensorBoard the same way (--load_fast=true; tbgo through
# TENSORBOARD_DATA_SERVER_BINARY), on one generated logdir: 100 runs, 40 M
# scalar points (4 tags), 100 k histograms and 10 k images at SCALE 1
# (about 2 GB); SCALE 0.01 makes a 1% logdir for CI. Prints, for each
# server, the time to the first answered ReadScalars, the time until every
# run's scalars are loaded, the peak RSS and the ReadScalars latency for 50
# runs x 1 tag, then checks that both serve equal answers. The same
# logdir packed by tbgo archive (LOGDIR.tbar), and uploaded as tbgo's
# segments to a real S3 server (versitygw, scripts/s3server.sh, on
# 127.0.0.1), is then served by tbgo-data-server, which no other server
# can do: for the bucket it hands itself over to tbgo-data-server-cloud
# (built beside it), which links the object-store drivers, so the s3
# column measures that program. For the bucket it also counts the
# requests the load made, and those of reload cycles that find nothing
# new.
#
#   bench/dataserver.sh [SCALE] [LOGDIR]
#
# LOGDIR (default a temporary directory) is generated, and archived,
# unless it already holds the logdir of that SCALE; the S3 server and its
# copy live in a temporary directory (TMPDIR). Needs scripts/setup.sh's
# .venv and .tools/bin/versitygw.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=${1:-1}
logdir=${2:-}
out=$(mktemp -d)
trap 'scripts/s3server.sh stop "$out/s3" 2>/dev/null; rm -rf "$out"' EXIT
cd "$root"
go build -o "$out/genlogdir" ./bench/genlogdir
go build -o "$out/" ./cmd/tbgo-data-server ./cmd/tbgo-data-server-cloud
go build -o "$out/tbgo" ./cmd/tbgo
go build -o "$out/dataserver_upload" ./bench/dataserver_upload
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

# The same logdir on the S3 server, as tbgo's writers leave it: segments of
# at most 8 MiB.
export AWS_ACCESS_KEY_ID=tbgo AWS_SECRET_ACCESS_KEY=tbgo-secret AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export ROOT_ACCESS_KEY=tbgo ROOT_SECRET_KEY=tbgo-secret AWS_EC2_METADATA_DISABLED=true
endpoint=$(scripts/s3server.sh start "$out/s3" "${TBGO_BENCH_S3_PORT:-7392}")
mkdir -p "$out/s3/buckets/bench"
url="s3://bench/logdir?endpoint=$endpoint&use_path_style=true&region=us-east-1&disable_https=true&request_checksum_calculation=when_required&response_checksum_validation=when_required"
"$out/dataserver_upload" -url "$url" "$logdir" > "$out/upload.json"
requests() { # requests logged after line $1: "N (LIST a, GET b, ...)"
  tail -n +"$(($1 + 1))" "$out/s3/versitygw.log" | grep '| vgw |' | grep -v '/health' | awk -F'|' '{gsub(/ /,"",$6); gsub(/ /,"",$7); m=$6; if (m !~ /^(GET|HEAD|PUT|POST|DELETE)$/) next; if (m=="GET" && $7 ~ /^\/[^\/]*$/) m="LIST"; n[m]++; t++} END {s=""; for (m in n) s=s sprintf("%s%s %d", (s==""?"":", "), m, n[m]); printf "%d (%s)", t, s}'
}
lines() { wc -l < "$out/s3/versitygw.log"; }
before=$(lines)
"$py" bench/dataserver_bench.py tbgo-s3 "$url" "$gen" "$out/tbgo-data-server" > "$out/s3.json"
load_requests=$(requests "$before")
# Reload cycles that find nothing new: tbgo-data-server (become
# tbgo-data-server-cloud) reloading every 2 s, its requests counted over
# 10 s after the first cycle.
"$out/tbgo-data-server" --logdir "$url" --port 0 --reload 2 -v 2> "$out/reload.log" &
ds=$!
for _ in $(seq 600); do grep -q "load cycle done" "$out/reload.log" && break; sleep 0.5; done
before=$(lines)
sleep 10
cycles=$(($(grep -c "load cycle done" "$out/reload.log") - 1))
reload_requests=$(requests "$before")
kill "$ds"; wait "$ds" 2>/dev/null || true

"$py" - "$out/tbgo.json" "$out/rust.json" "$out/archive.json" "$out/s3.json" <<'PY'
import json, sys
a, b, c, d = (json.load(open(p)) for p in sys.argv[1:])
cols = (a, b, c, d)
print("%-28s" % "" + "".join(" %14s" % x["name"] for x in cols))
for key, label, fmt in (("first_answer_s", "first ReadScalars answer", "%.2f s"), ("loaded_s", "all scalars loaded", "%.2f s"),
                        ("load_cpu_s", "CPU time until loaded", "%.2f s"),
                        ("peak_rss_mb", "peak RSS", "%.0f MB"), ("read_ms", "ReadScalars 50 runs x 1 tag", "%.1f ms")):
    print("%-28s" % label + "".join(" %14s" % (fmt % x[key]) for x in cols))
print("tbgo vs rustboard: load speed-up %.2fx (CPU time %.2fx), peak RSS ratio %.2f (from S3, through tbgo-data-server-cloud: %.2f)" % (
    b["loaded_s"] / a["loaded_s"], b["load_cpu_s"] / a["load_cpu_s"], a["peak_rss_mb"] / b["peak_rss_mb"], d["peak_rss_mb"] / b["peak_rss_mb"]))
def same(x, y):
    return x["max_steps"] == y["max_steps"] and all(
        x["loss"][r][0] == y["loss"][r][0] and x["loss"][r][1:] == y["loss"][r][1:] for r in y["loss"])
ok = all(same(x, b) for x in (a, c, d))
print("equal answers (every tag's max step; every run's loss: count, last step, last value):", ok)
sys.exit(0 if ok else 1)
PY
echo "S3: uploaded $(tr -d '\n' < "$out/upload.json"); the load made $load_requests requests; $cycles reload cycles with nothing new made $reload_requests"
