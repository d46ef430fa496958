# Sourced by the scripts that install and run a server for the tests
# (s3server.sh, gcsserver.sh), which set $root to the repository root.
#
#   server_install NAME MODULE@VERSION WHAT
#       build NAME from MODULE@VERSION into $root/.tools/bin, unless the
#       binary there was built from that version already; WHAT says how
#       long it takes, for the message
#   server_wait NAME URL LOG
#       wait up to 10 s for URL to answer 200; fail naming LOG if not
#   server_stop PIDFILE
#       stop the process whose pid PIDFILE holds, and remove PIDFILE

server_install() {
  local name=$1 pkg=$2 what=$3
  local bin=$root/.tools/bin/$name version=${pkg##*@}
  if [ -x "$bin" ] && [ "$(cat "$bin.version" 2>/dev/null)" = "$version" ]; then
    return
  fi
  echo "$name: building $version into .tools/bin ($what)"
  mkdir -p "$root/.tools/bin"
  GOBIN=$root/.tools/bin GOFLAGS=-mod=mod go install "$pkg"
  echo "$version" >"$bin.version"
}

server_wait() {
  local name=$1 url=$2 log=$3
  for _ in $(seq 100); do
    if curl -fs "$url" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "$name did not answer at $url; see $log" >&2
  return 1
}

server_stop() {
  local pidfile=$1
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}
