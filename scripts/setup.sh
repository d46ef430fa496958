#!/usr/bin/env bash
# Installs what tbgo's tests need, without root: the Go modules, and a
# project-local Python virtual environment (.venv) with a pinned TensorBoard,
# tensorboardX and protoc (scripts/requirements.txt). Safe to re-run; it
# reinstalls only when requirements.txt changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

command -v go >/dev/null || { echo "setup: Go is not installed (https://go.dev/dl/)" >&2; exit 1; }
python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "setup: $python not found; Python 3.9+ is needed for the compatibility suite" >&2; exit 1; }

echo "setup: go modules"
go mod download

venv=$root/.venv
stamp=$venv/.requirements
if [ ! -x "$venv/bin/python" ] || ! cmp -s scripts/requirements.txt "$stamp"; then
  echo "setup: python virtual environment in .venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt "$stamp"
fi
"$venv/bin/python" -c 'import tensorboard, tensorboardX, tensorboard_data_server; print("setup: tensorboard", tensorboard.__version__, "tensorboardX", tensorboardX.__version__)'
"$venv/bin/protoc" --version | sed 's/^/setup: /'

# Headless Chromium for the dashboard screenshot tests, from Debian's
# packages (as root, or through sudo).
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "setup: installing chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "setup: chromium is missing and this user cannot install it; install Debian's chromium package or set CHROMIUM" >&2
    exit 1
  fi
  chromium=$(command -v chromium)
fi
"$chromium" --version 2>/dev/null | sed 's/^/setup: /'
