#!/usr/bin/env bash
# Runs every test of tbgo: formatting, vet, staticcheck, the race-enabled unit tests
# (which include the generated-code freshness check), and the compatibility
# suite against real TensorBoard (both loaders) in the project's .venv.
# scripts/setup.sh is run first, so this works on a fresh machine with Go and
# Python 3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
# Tests that need something besides Go (protoc, TensorBoard, Chromium, an
# S3 server) skip without it on a developer's machine; here, with setup
# done, they must run (internal/testenv).
export CI=${CI:-1}
export TBGO_VENV=$root/.venv
export PATH=$root/.venv/bin:$PATH

echo "test: gofmt"
unformatted=$(find . -name '*.go' -not -path './.venv/*' -print0 | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "test: go vet"
go vet ./...
go vet -tags compat ./compat/...

echo "test: staticcheck"
staticcheck=(go run honnef.co/go/tools/cmd/staticcheck@v0.8.2)
"${staticcheck[@]}" ./...
"${staticcheck[@]}" -tags compat ./compat/...

echo "test: dependencies (go mod tidy, govulncheck)"
scripts/vulncheck.sh

echo "test: go test -race ./..."
go test -race -count=1 ./...

# The race detector slows the heaviest tests tenfold, so they run smaller
# under it; run them once more at full size without it.
echo "test: full-size hostile-input tests, the cnn preset's 98% target, and the diagnostics' healthy matrix"
go test -count=1 -run 'TestHostile' ./cmd/tbgo ./archive
go test -count=1 -run 'TestPresetRecipes' ./trainer -cnn
go test -count=1 -run 'TestHealthyMatrix' ./trainer/job ./trainer/doctor -matrix

echo "test: a short run of every fuzz target (scripts/fuzz.sh 10m is the long one)"
scripts/fuzz.sh 10s

echo "test: compatibility suite against TensorBoard"
go test -tags compat -count=1 -timeout 20m ./compat/...

echo "test: the data server benchmark at 1% scale: tbgo-data-server and RustBoard answer alike"
bench/dataserver.sh 0.01

echo "test: all passed"
