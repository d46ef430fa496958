#!/usr/bin/env bash
# Archive size and speed, side by side on one logdir: tbgo archive (Snappy,
# SHA-256 per file) against tar + gzip -6, packing and unpacking, with wall
# time and peak RSS of each process (GNU time); then tbgo verify of the
# archive, and tbgo archive with lossy compaction.
#
#   bench/archive.sh [genlogdir flags...]
#
# The logdir is bench/genlogdir's (by default the export benchmark's: 1e6
# scalars and 1e4 histograms over 20 runs); flags are passed to it, e.g.
# bench/archive.sh -scalars 100000 -histograms 1000. Needs /usr/bin/time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
go build -o "$out/tbgo" ./cmd/tbgo
go build -o "$out/genlogdir" ./bench/genlogdir
"$out/genlogdir" -logdir "$out/logdir" "$@" > /dev/null
in=$(find "$out/logdir" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
files=$(find "$out/logdir" -type f | wc -l)
printf 'logdir: %d files, %d bytes (genlogdir %s)\n\n' "$files" "$in" "${*:-defaults}"

measure() { # name, output file or -, command...
  local name=$1 file=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$out/time" "$@" > /dev/null
  read -r wall rss < "$out/time"
  if [ "$file" = - ]; then
    printf '%-34s %8ss  %7d KiB RSS\n' "$name" "$wall" "$rss"
  else
    local size
    size=$(stat -c %s "$file")
    printf '%-34s %8ss  %7d KiB RSS  %11d bytes  %5.1f%%  %6.0f MB/s\n' "$name" "$wall" "$rss" "$size" \
      "$(echo "100 * $size / $in" | bc -l)" "$(echo "$in / $wall / 1000000" | bc -l)"
  fi
}

measure "pack: tbgo archive" "$out/a.tbar" "$out/tbgo" archive "$out/logdir" "$out/a.tbar"
measure "pack: tar | gzip -6" "$out/a.tar.gz" sh -c "tar -C '$out' -cf - logdir | gzip -6 > '$out/a.tar.gz'"
measure "unpack: tbgo restore" - "$out/tbgo" restore "$out/a.tbar" "$out/r1"
mkdir "$out/r2"
measure "unpack: gzip -d | tar" - sh -c "gzip -dc '$out/a.tar.gz' | tar -C '$out/r2' -xf -"
diff -r "$out/logdir" "$out/r1"
diff -r "$out/logdir" "$out/r2/logdir"
echo "both restored logdirs are identical to the original"
measure "check: tbgo verify (every record)" - "$out/tbgo" verify -q "$out/a.tbar"
measure "check: gzip -t" - gzip -t "$out/a.tar.gz"
measure "pack: tbgo archive -thin-scalars 10" "$out/c.tbar" "$out/tbgo" archive -thin-scalars 10 "$out/logdir" "$out/c.tbar"
