#!/usr/bin/env bash
# Training throughput, side by side: tbgo's trainer (float64, one core)
# against PyTorch on the CPU (pinned torch==2.15.0 from PyPI, 2 threads,
# float32 and float64), on the same model, data and batch sizes.
#
#   bench/train.sh [REPS] [EPOCHS]
#
# The model and recipe are the "mlp" preset's (dense 256 He-normal, ReLU,
# dropout 0.2, dense 10 Glorot-uniform; Adam, cosine from 3e-3), read from
# trainer.PresetSpec by bench/traingo, which also exports the standardised
# training split of the embedded digits (1,438 samples) for the PyTorch side
# and a SHA-256 of it that train_torch.py checks. Each measurement is one
# process that trains one untimed warm-up epoch, then EPOCHS (default 20)
# timed epochs with a fresh model: samples/s of training (forward, loss,
# backward, optimiser step over shuffled mini-batches; no evaluation).
# The implementations alternate within each of REPS (default 5) rounds so
# that a change in the machine's load hits them alike; the table shows
# medians, with min..max.
#
# PyTorch comes from a venv at $TBGO_TORCH_VENV (default .venv-bench-torch
# in the repository), created on first use with `pip install torch==2.15.0`
# (about 5 GB with the CUDA libraries it pulls; only the CPU is used).
# PyTorch's 2 threads need 2 idle cores: on a busy machine its OpenMP
# workers wait for each other and its throughput collapses, so the script
# prints the load average and also measures PyTorch with 1 thread.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
epochs=${2:-20}
venv=${TBGO_TORCH_VENV:-$root/.venv-bench-torch}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"

if ! "$venv/bin/python" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.15.0")' 2> /dev/null; then
  echo "creating $venv with torch==2.15.0 (a large download)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch==2.15.0
fi
py=$venv/bin/python

go build -o "$out/traingo" ./bench/traingo
prep=$("$out/traingo" -prepare "$out")
sha=${prep##* }
echo "data: $prep"
echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$py" -c 'import torch; print("torch", torch.__version__)')"
echo "$reps rounds of $epochs timed epochs per measurement"

for rep in $(seq "$reps"); do
  for batch in 32 64; do
    "$out/traingo" -batch "$batch" -epochs "$epochs" >> "$out/results.jsonl"
    for dtype in float32 float64; do
      "$py" bench/train_torch.py "$out" --batch "$batch" --epochs "$epochs" --threads 2 --dtype "$dtype" --sha256 "$sha" >> "$out/results.jsonl"
    done
    "$py" bench/train_torch.py "$out" --batch "$batch" --epochs "$epochs" --threads 1 --dtype float32 --sha256 "$sha" >> "$out/results.jsonl"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$py" - "$out/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def key(r):
    if r["impl"] == "tbgo":
        return "tbgo (float64, 1 core)"
    return "PyTorch %s, %d thread%s" % (r["dtype"], r["threads"], "" if r["threads"] == 1 else "s")
impls = []
for r in rows:
    if key(r) not in impls:
        impls.append(key(r))
print()
print("| batch | implementation | samples/s (median) | min..max | last-epoch loss | tbgo / this |")
print("|---|---|---|---|---|---|")
for batch in sorted({r["batch"] for r in rows}):
    med = {}
    for k in impls:
        rs = [r for r in rows if r["batch"] == batch and key(r) == k]
        v = [r["samples_per_s"] for r in rs]
        med[k] = (statistics.median(v), min(v), max(v), statistics.median(r["last_loss"] for r in rs))
    for k in impls:
        m, lo, hi, loss = med[k]
        ratio = "" if k.startswith("tbgo") else "%.2fx" % (med[impls[0]][0] / m)
        print("| %d | %s | %.0f | %.0f..%.0f | %.3f | %s |" % (batch, k, m, lo, hi, loss, ratio))
PY
