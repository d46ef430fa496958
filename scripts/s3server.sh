#!/usr/bin/env bash
# A real S3-compatible server for tbgo's tests and benchmarks: versitygw
# (Apache-2.0), built from its Go module into the project's .tools/bin.
#
#   scripts/s3server.sh install            build .tools/bin/versitygw (about 2 minutes, once)
#   scripts/s3server.sh start DIR [PORT]   serve the subdirectories of DIR/buckets as
#                                          buckets on 127.0.0.1:PORT (default 7070); prints
#                                          the endpoint; the pid goes to DIR/versitygw.pid
#   scripts/s3server.sh stop DIR           stop the server started on DIR
#
# The server's credentials are access key "tbgo" and secret "tbgo-secret"
# (override with ROOT_ACCESS_KEY and ROOT_SECRET_KEY): export them as
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for clients. The Go tests
# (internal/s3test) start and stop their own servers with the same binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/testserver.sh"
version=v1.8.0
bin=$root/.tools/bin/versitygw

install() {
  server_install versitygw "github.com/versity/versitygw/cmd/versitygw@$version" "about 2 minutes"
}

case "${1:-}" in
install)
  install
  ;;
start)
  dir=${2:?usage: s3server.sh start DIR [PORT]}
  port=${3:-7070}
  install
  # Metadata (ETags) goes in extended attributes, which DIR's file system
  # must support (ext4, xfs, tmpfs do): with --sidecar files instead,
  # versitygw updates an object's data and its ETag in two steps, and
  # concurrent If-Match writes lost updates in our tests.
  mkdir -p "$dir/buckets"
  ROOT_ACCESS_KEY=${ROOT_ACCESS_KEY:-tbgo} ROOT_SECRET_KEY=${ROOT_SECRET_KEY:-tbgo-secret} \
    "$bin" --port "127.0.0.1:$port" --health /health posix "$dir/buckets" \
    >"$dir/versitygw.log" 2>&1 &
  echo $! >"$dir/versitygw.pid"
  server_wait versitygw "http://127.0.0.1:$port/health" "$dir/versitygw.log"
  echo "http://127.0.0.1:$port"
  ;;
stop)
  dir=${2:?usage: s3server.sh stop DIR}
  server_stop "$dir/versitygw.pid"
  ;;
*)
  sed -n '2,16p' "$0" >&2
  exit 2
  ;;
esac
