# Sourced by the scripts that install a Go program for the tests
# (s3server.sh, gcsserver.sh): gotool_install NAME MODULE@VERSION WHAT
# builds NAME from MODULE@VERSION into .tools/bin at the repository root
# ($root), unless the binary there was built from that version already.
# WHAT says how long it takes, for the message.
gotool_install() {
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
