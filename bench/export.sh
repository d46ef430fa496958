#!/usr/bin/env bash
# Side by side, on one logdir: how long each reader takes to load every
# scalar, and its peak memory (GNU time's wall seconds and max RSS):
#
#   tbgo-csv       tbgo export -o scalars.csv        (all scalars to CSV, as TensorBoard shows them)
#   tbgo-parquet   tbgo export -o scalars.parquet    (all scalars to Parquet, as TensorBoard shows them)
#   tbgo-csv-raw   tbgo export -view raw -o raw.csv  (every value as written: one pass, no preemption)
#   tbparse        tbparse 0.0.9 SummaryReader(logdir, pivot=False).scalars
#   accumulator    TensorBoard's Python EventAccumulator per run, size_guidance scalars=0 (keep all)
#   rust-server    TensorBoard's Rust data server (tensorboard_data_server) with --reload once
#                  --samples-per-plugin scalars=all: the time is its own "Finished load cycle"
#                  log line; its RSS is measured once it has loaded, then it is stopped
#
# The logdir (bench/genlogdir) holds SCALARS scalar values (legacy simple_value,
# as PyTorch and tensorboardX write them) and HISTOGRAMS histograms over RUNS runs.
# Every reader's count is checked, and the Parquet file is read back with pandas
# (pyarrow) and must hold the same rows and values as the CSV.
#
#   bench/export.sh [SCALARS [HISTOGRAMS [RUNS]]]     # defaults 1000000 10000 20
#
# tbgo and the Rust server, which take about a second, run $REPEAT times (default
# 3) and the fastest run is shown, with the largest RSS of all runs; tbparse and
# the EventAccumulator, which take minutes, run once, or not at all with
# ONLY_FAST=1 (for repeated comparisons of tbgo and the Rust server). On a shared
# machine, read the load average printed with the results.
#
# Needs /usr/bin/time (GNU), scripts/setup.sh's .venv (TensorBoard and its data
# server) and network access to PyPI on first use: tbparse and pandas are
# installed, pinned, into a benchmark-only venv, $TBGO_BENCH_VENV or
# .venv-bench at the repository root. With ONLY_FAST=1 any venv with pandas and
# pyarrow will do (TBGO_BENCH_VENV=.venv: scripts/setup.sh's has both).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
h=${2:-10000}
runs=${3:-20}
venv=${TBGO_BENCH_VENV:-$root/.venv-bench}
repeat=${REPEAT:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"

needs='import tbparse, pandas, pyarrow'
[ "${ONLY_FAST:-0}" = 1 ] && needs='import pandas, pyarrow'
if ! "$venv/bin/python" -c "$needs" 2>/dev/null; then
  echo "creating $venv (tbparse and pandas, pinned)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q tbparse==0.0.9 tensorboard==2.21.0 pandas==2.2.3 pyarrow==26.0.1 \
    numpy==2.4.6 protobuf==7.36.2
fi

go build -o "$out/tbgo" ./cmd/tbgo
go build -o "$out/genlogdir" ./bench/genlogdir
logdir=$out/logdir
"$out/genlogdir" -logdir "$logdir" -scalars "$n" -histograms "$h" -runs "$runs" > "$out/gen.json"
echo "logdir: $n scalars, $h histograms, $runs runs, $(du -sh "$logdir" | cut -f1) ($(cat "$out/gen.json"))"
echo "machine: $(nproc) cores, $(uname -sr); go $(go env GOVERSION)"
echo

results=()
# measure NAME COMMAND...: runs COMMAND under GNU time, $repeat times if NAME
# is fast, and keeps the best wall time and the largest RSS in $out/NAME.time;
# the last line of its standard output (or of $out/NAME.count, written after)
# is the number of scalars it loaded.
measure() {
  local name=$1; shift
  local times=1 best= peak=0 wall rss
  case $name in tbgo-*) times=$repeat ;; esac
  for _ in $(seq "$times"); do
    /usr/bin/time -f '%e %M' -o "$out/$name.one" "$@" > "$out/$name.out"
    read -r wall rss < "$out/$name.one"
    best=$(awk -v a="$wall" -v b="${best:-$wall}" 'BEGIN { print (a < b ? a : b) }')
    peak=$(( rss > peak ? rss : peak ))
  done
  echo "$best $peak" > "$out/$name.time"
}
report() { # NAME [NOTE]
  local name=$1 wall rss count
  read -r wall rss < "$out/$name.time"
  count=$(tail -1 "$out/$name.count" 2>/dev/null || tail -1 "$out/$name.out")
  results+=("$(printf '%-13s %9.2f s %10d KiB   scalars: %s %s' "$name" "$wall" "$rss" "$count" "${2:-}")")
}

measure tbgo-csv "$out/tbgo" export -o "$out/scalars.csv" "$logdir"
echo $(( $(wc -l < "$out/scalars.csv") - 1 )) > "$out/tbgo-csv.count"
report tbgo-csv
measure tbgo-parquet "$out/tbgo" export -o "$out/scalars.parquet" "$logdir"
"$venv/bin/python" -c 'import sys, pyarrow.parquet as pq; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)' \
  "$out/scalars.parquet" > "$out/tbgo-parquet.count"
report tbgo-parquet
measure tbgo-csv-raw "$out/tbgo" export -view raw -o "$out/raw.csv" "$logdir"
echo $(( $(wc -l < "$out/raw.csv") - 1 )) > "$out/tbgo-csv-raw.count"
report tbgo-csv-raw

if [ "${ONLY_FAST:-0}" != 1 ]; then
cat > "$out/read_tbparse.py" <<'PY'
import sys
from tbparse import SummaryReader
df = SummaryReader(sys.argv[1], pivot=False, extra_columns={"dir_name", "wall_time"}).scalars
print(len(df))
PY
measure tbparse "$venv/bin/python" "$out/read_tbparse.py" "$logdir"
report tbparse

cat > "$out/read_accumulator.py" <<'PY'
import os, sys
from tensorboard.backend.event_processing import event_accumulator as ea
total = 0
for d, _, files in os.walk(sys.argv[1]):
    if any("tfevents" in f for f in files):
        acc = ea.EventAccumulator(d, size_guidance={ea.SCALARS: 0})
        acc.Reload()
        total += sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])
print(total)
PY
measure accumulator "$root/.venv/bin/python" "$out/read_accumulator.py" "$logdir"
report accumulator
fi

# The Rust data server: started under GNU time with --die-after-stdin, so
# closing its standard input stops it once it has loaded and been counted.
server=$("$root/.venv/bin/python" -c 'import tensorboard_data_server as t; print(t.server_binary())')
cat > "$out/count_grpc.py" <<'PY'
import sys, grpc
from tensorboard.data.proto import data_provider_pb2 as pb, data_provider_pb2_grpc as pbg
ch = grpc.insecure_channel("localhost:%s" % sys.argv[1], options=[("grpc.max_receive_message_length", 1 << 30)])
stub = pbg.TensorBoardDataProviderStub(ch)
resp = stub.ReadScalars(pb.ReadScalarsRequest(plugin_filter=pb.PluginFilter(plugin_name="scalars"),
                                              downsample=pb.Downsample(num_points=1 << 30)))
print(sum(len(t.data.step) for r in resp.runs for t in r.tags))
PY
rust_once() { # prints "LOAD_SECONDS PEAK_RSS_KIB"; the count goes to $out/rust-server.count
  rm -f "$out/stdin" "$out/port"
  mkfifo "$out/stdin"
  /usr/bin/time -f '%e %M' -o "$out/rust-server.one" "$server" --logdir "$logdir" --reload once \
    --samples-per-plugin scalars=all --port 0 --port-file "$out/port" --die-after-stdin -v \
    < "$out/stdin" 2> "$out/rust-server.log" &
  exec 3> "$out/stdin"
  for _ in $(seq 600); do
    grep -q 'Finished load cycle' "$out/rust-server.log" 2>/dev/null && break
    sleep 0.2
  done
  # The server logs a Rust Duration: 23.76ms, 1.53s, 812.1µs.
  local load
  load=$(sed -n 's/.*Finished load cycle (\([0-9.]*\)\([µm]*\)s).*/\1 \2/p' "$out/rust-server.log" |
    awk '{ printf "%.6f", $1 / ($2 == "m" ? 1e3 : $2 == "µ" ? 1e6 : 1) }')
  [ -n "$load" ] || { cat "$out/rust-server.log" >&2; echo "the data server did not finish loading" >&2; exit 1; }
  "$root/.venv/bin/python" "$out/count_grpc.py" "$(cat "$out/port")" > "$out/rust-server.count"
  exec 3>&-
  wait
  echo "$load $(cut -d' ' -f2 "$out/rust-server.one")"
}
best= peak=0
for _ in $(seq "$repeat"); do
  read -r load rss < <(rust_once)
  best=$(awk -v a="$load" -v b="${best:-$load}" 'BEGIN { print (a < b ? a : b) }')
  peak=$(( rss > peak ? rss : peak ))
done
echo "$best $peak" > "$out/rust-server.time"
report rust-server "(time: its own load cycle; RSS: after serving them all)"

# The Parquet file, read by pandas with pyarrow, holds what the CSV holds: the
# CSV writes the float32 values in their shortest float32 form and wall times
# with six decimals.
check=$("$venv/bin/python" - "$out/scalars.parquet" "$out/scalars.csv" <<'PY'
import sys
import numpy as np, pandas as pd
p = pd.read_parquet(sys.argv[1], engine="pyarrow")
c = pd.read_csv(sys.argv[2], float_precision="round_trip")
assert list(p.columns) == ["run", "tag", "step", "wall_time", "value"], list(p.columns)
assert len(p) == len(c)
for col in ["run", "tag", "step"]:
    assert (p[col].astype(str).values == c[col].astype(str).values).all(), col
pv = p["value"].values
assert np.array_equal(pv, pv.astype(np.float32).astype(np.float64), equal_nan=True), "values are float32"
assert np.array_equal(pv.astype(np.float32), c["value"].values.astype(np.float32), equal_nan=True)
assert (p["wall_time"].map("{:.6f}".format).values == pd.read_csv(sys.argv[2], dtype={"wall_time": str})["wall_time"].values).all()
print("pandas %s (pyarrow) reads the Parquet file: %d rows, equal to the CSV" % (pd.__version__, len(p)))
PY
)

printf '%-13s %11s %14s   (load average: %s)\n' reader time 'peak RSS' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${results[@]}"
echo
echo "$check"
echo "output sizes: CSV $(du -h "$out/scalars.csv" | cut -f1), Parquet $(du -h "$out/scalars.parquet" | cut -f1)"
