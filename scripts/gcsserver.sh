#!/usr/bin/env bash
# A Google Cloud Storage emulator for tbgo's gs:// tests: fake-gcs-server
# (BSD-2-Clause), built from its Go module into the project's .tools/bin.
# It speaks GCS's JSON API over HTTP; the Go tests (internal/gcstest)
# start and stop their own servers with it.
#
#   scripts/gcsserver.sh install            build .tools/bin/fake-gcs-server (about 40 s, once)
#   scripts/gcsserver.sh start DIR [PORT]   serve on 127.0.0.1:PORT (default 4443), objects in
#                                           DIR/objects, a bucket per subdirectory of DIR/buckets;
#                                           prints the STORAGE_EMULATOR_HOST value; the pid goes
#                                           to DIR/fake-gcs-server.pid
#   scripts/gcsserver.sh stop DIR           stop the server started on DIR
#
# Clients need STORAGE_EMULATOR_HOST=127.0.0.1:PORT and, with tbgo,
# gs://BUCKET/PREFIX?anonymous=true (the emulator takes no credentials).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/testserver.sh"
version=v1.56.1
bin=$root/.tools/bin/fake-gcs-server

install() {
  server_install fake-gcs-server "github.com/fsouza/fake-gcs-server@$version" "about 40 s"
}

case "${1:-}" in
install)
  install
  ;;
start)
  dir=${2:?usage: gcsserver.sh start DIR [PORT]}
  port=${3:-4443}
  install
  mkdir -p "$dir/buckets" "$dir/objects"
  "$bin" -scheme http -host 127.0.0.1 -port "$port" -public-host "127.0.0.1:$port" \
    -external-url "http://127.0.0.1:$port" -backend filesystem -filesystem-root "$dir/objects" \
    -data "$dir/buckets" -log-level warn >"$dir/fake-gcs-server.log" 2>&1 &
  echo $! >"$dir/fake-gcs-server.pid"
  server_wait fake-gcs-server "http://127.0.0.1:$port/storage/v1/b" "$dir/fake-gcs-server.log"
  echo "127.0.0.1:$port"
  ;;
stop)
  dir=${2:?usage: gcsserver.sh stop DIR}
  server_stop "$dir/fake-gcs-server.pid"
  ;;
*)
  sed -n '2,15p' "$0" >&2
  exit 2
  ;;
esac
