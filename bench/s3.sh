#!/usr/bin/env bash
# Side by side against one real S3 server (versitygw, scripts/s3server.sh):
# a one-hour-equivalent run (a step per simulated second: 10 scalars, a
# histogram, an image; records handed over every 2 simulated seconds)
# written by tbgo's Sink at the default policy (a segment per 25 s), by
# tbgo with 5-minute segments, by tbgo uploading every 25 s into a segment
# kept open for 5 minutes (SegmentAge), and by tensorboardX's S3 writer
# (flush every 2 s); for each: event bytes, bytes uploaded, objects,
# requests as the server logged them, peak RSS. Then the requests per hour
# that a watching TensorBoard (Python loader, s3://, reload every 5 s)
# makes against tbgo's finished run, counted for 60 s.
#
#   bench/s3.sh [STEPS]     (default 3600; the tensorboardX run is quadratic)
#
# Needs scripts/setup.sh's .venv (tensorboard, tensorboardX, boto3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
steps=${1:-3600}
out=$(mktemp -d)
cd "$root"
go build -o "$out/s3write" ./bench/s3write
export AWS_ACCESS_KEY_ID=tbgo AWS_SECRET_ACCESS_KEY=tbgo-secret AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export ROOT_ACCESS_KEY=tbgo ROOT_SECRET_KEY=tbgo-secret AWS_EC2_METADATA_DISABLED=true
port=7391
endpoint=http://127.0.0.1:$port
export S3_ENDPOINT=$endpoint
servers=()
cleanup() { for d in "${servers[@]}"; do scripts/s3server.sh stop "$d"; done; rm -rf "$out"; }
trap cleanup EXIT

serve() { # dir: a fresh server with bucket "bench" on $port
  scripts/s3server.sh start "$1" "$port" >/dev/null
  servers+=("$1")
  mkdir -p "$1/buckets/bench"
}
requests() { # log: "N (PUT a, GET b, ...)" of the requests logged so far
  grep '| vgw |' "$1" | grep -v '/health' | awk -F'|' '{gsub(/ /,"",$6); gsub(/ /,"",$7); m=$6; if (m=="GET" && $7 ~ /^\/[^\/]*$/) m="LIST"; n[m]++; t++} END {s=""; for (m in n) s=s sprintf("%s%s %d", (s==""?"":", "), m, n[m]); printf "%d (%s)", t, s}'
}
url="s3://bench/tbgo?endpoint=$endpoint&use_path_style=true&region=us-east-1&disable_https=true&request_checksum_calculation=when_required&response_checksum_validation=when_required"

echo "one simulated hour = $steps steps; each writer against its own fresh versitygw"
for policy in 25s/0 5m/0 25s/5m; do # upload every / SegmentAge
  seg=${policy%/*} age=${policy#*/}
  name=$seg; [ "$age" = 0 ] || name=$seg-open$age
  serve "$out/srv-tbgo-$name"
  "$out/s3write" -url "$url" -steps "$steps" -segment "$seg" -segment-age "$age" >"$out/tbgo-$name.json"
  echo "tbgo, segment $seg, SegmentAge $age: $(cat "$out/tbgo-$name.json" | tr -d '\n')  server saw $(requests "$out/srv-tbgo-$name/versitygw.log") requests"
  scripts/s3server.sh stop "$out/srv-tbgo-$name"
done

serve "$out/srv-tbx"
.venv/bin/python bench/s3write_tbx.py "s3://bench/tbx" "$steps" >"$out/tbx.json"
echo "tensorboardX: $(cat "$out/tbx.json")  server saw $(requests "$out/srv-tbx/versitygw.log") requests"
scripts/s3server.sh stop "$out/srv-tbx"

# The reader: TensorBoard watching tbgo's run (default policy) for 60 s.
scripts/s3server.sh start "$out/srv-tbgo-25s" "$port" >/dev/null
before=$(grep -c '| vgw |' "$out/srv-tbgo-25s/versitygw.log")
objects=$(find "$out/srv-tbgo-25s/buckets/bench/tbgo" -type f | wc -l)
.venv/bin/tensorboard --logdir s3://bench/tbgo --load_fast=false --reload_interval 5 --host 127.0.0.1 --port 0 >"$out/tb.log" 2>&1 &
tb=$!
sleep 30
grep '| vgw |' "$out/srv-tbgo-25s/versitygw.log" | tail -n +"$((before + 1))" > "$out/reader-start.log"
mid=$(grep -c '| vgw |' "$out/srv-tbgo-25s/versitygw.log")
sleep 60
kill "$tb"; wait "$tb" 2>/dev/null || true
grep '| vgw |' "$out/srv-tbgo-25s/versitygw.log" | tail -n +"$((mid + 1))" > "$out/reader.log"
n=$(grep -v /health "$out/reader.log" | wc -l)
echo "TensorBoard (Python loader) on tbgo's run of $objects objects: first 30 s $(requests "$out/reader-start.log") requests (it reads every object once); then 60 s of watching: $(requests "$out/reader.log") requests, $((n * 60)) per hour"
