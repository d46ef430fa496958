#!/bin/sh
# fetch_digits.sh reproduces trainer/data/digits.csv.gz, the UCI optical
# handwritten digits (Alpaydin & Kaynak, CC BY 4.0, see ATTRIBUTION.md),
# from the scikit-learn wheel on PyPI that ships it as
# sklearn/datasets/data/digits.csv.gz.
#
#	trainer/data/fetch_digits.sh          download, extract, verify, install
#	trainer/data/fetch_digits.sh --check  verify the committed file only
#
# The wheel and the extracted file are both pinned by SHA-256; the Go test
# TestDigitsChecksum checks that the embedded file and DIGITS_SHA256 below
# agree. Needs python3 with pip (PYTHON overrides), and sha256sum.
set -eu

VERSION=1.9.1
WHEEL=scikit_learn-1.9.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
WHEEL_SHA256=52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df
MEMBER=sklearn/datasets/data/digits.csv.gz
DIGITS_SHA256=09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22
PYTHON=${PYTHON:-python3}

dir=$(cd "$(dirname "$0")" && pwd)
out="$dir/digits.csv.gz"

check() { # check FILE SHA256
	echo "$2  $1" | sha256sum -c --quiet - || {
		echo "fetch_digits.sh: $1: SHA-256 mismatch, want $2" >&2
		exit 1
	}
}

if [ "${1:-}" = "--check" ]; then
	check "$out" "$DIGITS_SHA256"
	echo "fetch_digits.sh: $out ok"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The platform flags pin the exact wheel whatever the host's Python is.
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
	--platform manylinux_2_28_x86_64 --python-version 3.11 \
	--implementation cp --abi cp311 \
	"scikit-learn==$VERSION" -d "$tmp"
check "$tmp/$WHEEL" "$WHEEL_SHA256"

"$PYTHON" - "$tmp/$WHEEL" "$MEMBER" "$tmp/digits.csv.gz" <<'EOF'
import sys, zipfile
wheel, member, dst = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(dst, "wb") as f:
    f.write(z.read(member))
EOF
check "$tmp/digits.csv.gz" "$DIGITS_SHA256"

# Write beside the target, then rename: never a half-written file.
cp "$tmp/digits.csv.gz" "$out.tmp"
mv "$out.tmp" "$out"
echo "fetch_digits.sh: wrote $out"
