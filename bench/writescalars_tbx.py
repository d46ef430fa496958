"""Writes N scalars with tensorboardX's SummaryWriter: the Python side of
bench/scalars.sh. Prints the elapsed time of the writing loop (including
close) and the rate as one JSON line."""

import argparse
import json
import time

from tensorboardX import SummaryWriter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("-logdir", required=True)
    args = parser.parse_args()
    tags = ["loss", "accuracy", "learning_rate", "grad_norm"]
    start = time.perf_counter()
    writer = SummaryWriter(args.logdir)
    for i in range(args.n):
        writer.add_scalar(tags[i % len(tags)], i * 1e-6, i // len(tags))
    writer.close()
    elapsed = time.perf_counter() - start
    print(json.dumps({"writer": "tensorboardX", "scalars": args.n,
                      "seconds": elapsed, "scalars_per_s": args.n / elapsed}))


if __name__ == "__main__":
    main()
