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

# A real S3 server (versitygw, built from its Go module into .tools/bin)
# for the object-storage tests; about 2 minutes the first time.
scripts/s3server.sh install
# A GCS emulator (fake-gcs-server, into .tools/bin) for the gs:// tests;
# about 40 s the first time.
scripts/gcsserver.sh install

# PyTorch, in a venv of its own (scripts/requirements-torch.txt), for the
# golden logdir written by torch.utils.tensorboard (the compatibility suite
# finds it as $TBGO_VENV_TORCH, default .venv-torch). TBGO_TORCH=0 skips it,
# and the compatibility suite then skips that test, saying so.
if [ "${TBGO_TORCH:-1}" != 0 ]; then
  tvenv=$root/.venv-torch
  tstamp=$tvenv/.requirements
  if [ ! -x "$tvenv/bin/python" ] || ! cmp -s scripts/requirements-torch.txt "$tstamp"; then
    echo "setup: python virtual environment with PyTorch in .venv-torch (about 5.5 GB)"
    rm -rf "$tvenv"
    "$python" -m venv "$tvenv"
    "$tvenv/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off -r scripts/requirements-torch.txt
    cp scripts/requirements-torch.txt "$tstamp"
  fi
  "$tvenv/bin/python" -c 'import torch; print("setup: torch", torch.__version__)'
fi

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
