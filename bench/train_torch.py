"""The PyTorch side of bench/train.sh: train the model of DIR/model.json on
DIR/train.csv (both written by `traingo -prepare DIR`) and print the
training throughput as one JSON line, as bench/traingo does for tbgo.

    python bench/train_torch.py DIR --batch 32 [--epochs 20] [--warmup 1]
                                [--threads 2] [--dtype float32|float64]

The model is rebuilt from model.json layer by layer (dense with its
initialiser, ReLU, dropout), trained with Adam and a per-step cosine
schedule from the recipe's learning rate to 0 over the timed run, on
mini-batches of a fresh permutation each epoch, the last batch holding what
remains: what tbgo's trainer.Train does. Only the training loop is timed:
no evaluation, no data loading, no import.

It prints the SHA-256 of the data it read (float64 values row by row, then
the labels as int64, little-endian) and refuses to run if it differs from
--sha256, so both sides train on the same numbers.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import struct
import sys
import time

import torch


def load(dirname):
    with open(os.path.join(dirname, "model.json")) as f:
        model = json.load(f)
    xs, ys = [], []
    with open(os.path.join(dirname, "train.csv"), newline="") as f:
        for line, row in enumerate(csv.reader(f), 1):
            try:
                ys.append(int(row[0]))
                xs.append([float(v) for v in row[1:]])
            except (ValueError, IndexError) as e:
                sys.exit(f"train_torch.py: train.csv:{line}: {e}")
    h = hashlib.sha256()
    for row in xs:
        h.update(struct.pack("<%dd" % len(row), *row))
    h.update(struct.pack("<%dq" % len(ys), *ys))
    return model, xs, ys, h.hexdigest()


def build(model, dtype):
    layers = []
    for spec in model["layers"]:
        t = spec["type"]
        if t == "dense":
            lin = torch.nn.Linear(spec["in"], spec["out"], dtype=dtype)
            if spec["init"] == "he_normal":  # N(0, 2/fan_in)
                torch.nn.init.kaiming_normal_(lin.weight, mode="fan_in", nonlinearity="relu")
            elif spec["init"] == "glorot_uniform":  # U(±sqrt(6/(fan_in+fan_out)))
                torch.nn.init.xavier_uniform_(lin.weight)
            else:
                sys.exit(f"train_torch.py: unknown initialiser {spec['init']!r}")
            torch.nn.init.zeros_(lin.bias)
            layers.append(lin)
        elif t == "relu":
            layers.append(torch.nn.ReLU())
        elif t == "dropout":
            layers.append(torch.nn.Dropout(spec["rate"]))
        else:
            sys.exit(f"train_torch.py: unknown layer type {t!r}")
    return torch.nn.Sequential(*layers)


def train(model, X, Y, batch, epochs, seed):
    net = build(model, X.dtype)
    net.train()
    lr0 = model["lr"]
    opt = torch.optim.Adam(net.parameters(), lr=lr0)  # betas (0.9, 0.999), eps 1e-8: tbgo's defaults
    lossf = torch.nn.CrossEntropyLoss()
    n = X.shape[0]
    total = epochs * ((n + batch - 1) // batch)
    gen = torch.Generator().manual_seed(seed)
    step, last = 0, []
    start = time.perf_counter()
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for lo in range(0, n, batch):
            idx = perm[lo : lo + batch]
            # tbgo's Cosine{LR, Min: 0, Steps: total}
            for g in opt.param_groups:
                g["lr"] = lr0 * (1 + math.cos(math.pi * min(step, total) / total)) / 2
            opt.zero_grad(set_to_none=True)
            loss = lossf(net(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            step += 1
            if epoch == epochs - 1:
                last.append(loss.detach())
    elapsed = time.perf_counter() - start
    return elapsed, float(torch.stack(last).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--sha256", default="", help="refuse data whose digest differs")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model, xs, ys, digest = load(args.dir)
    if args.sha256 and digest != args.sha256:
        sys.exit(f"train_torch.py: data sha256 {digest}, want {args.sha256}")
    dtype = getattr(torch, args.dtype)
    X = torch.tensor(xs, dtype=torch.float64).to(dtype)
    Y = torch.tensor(ys, dtype=torch.long)
    if args.warmup > 0:
        train(model, X, Y, args.batch, args.warmup, 2)
    elapsed, last_loss = train(model, X, Y, args.batch, args.epochs, 1)
    samples = args.epochs * X.shape[0]
    print(json.dumps({
        "impl": "pytorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "dtype": args.dtype,
        "batch": args.batch,
        "epochs": args.epochs,
        "samples": samples,
        "seconds": elapsed,
        "samples_per_s": samples / elapsed,
        "last_loss": last_loss,
        "sha256": digest,
    }), flush=True)


if __name__ == "__main__":
    main()
