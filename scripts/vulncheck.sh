#!/usr/bin/env bash
# Checks tbgo's dependencies: go.mod and go.sum are tidy, and govulncheck
# finds no known vulnerability in code tbgo calls.
#
# The machine reaches the Go module proxy but not vuln.go.dev, so the
# vulnerability database is built locally from the golang.org/x/vulndb
# module (its OSV reports, indexed by its own indexdb command) at the
# pinned version below; bump it to see newer reports.
#
# govulncheck runs on the Go 1.27.3 toolchain (fetched from the module
# proxy, as scripts/fuzz.sh does): the standard library of the machine's
# Go 1.26.8 has known issues fixed in 1.26.9, so build releases with a
# current Go.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

vulndb=golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018
govulncheck=golang.org/x/vuln/cmd/govulncheck@v1.9.0

echo "vulncheck: go mod tidy"
go mod tidy -diff

db=${TBGO_VULNDB:-$(go env GOCACHE)/tbgo-vulndb/${vulndb##*@}}
if [ ! -f "$db/index/db.json" ]; then
  echo "vulncheck: building the vulnerability database from $vulndb"
  src=$(go mod download -json "$vulndb" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$db.tmp"
  go run "golang.org/x/vulndb/cmd/indexdb@${vulndb##*@}" -vulns "$src/data/osv" -out "$db.tmp"
  mv "$db.tmp" "$db"
fi
echo "vulncheck: govulncheck"
GOTOOLCHAIN=go1.27.3 go run "$govulncheck" -db "file://$db" ./...
