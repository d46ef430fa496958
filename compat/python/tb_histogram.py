"""Bucket data sets with TensorBoard's own histogram code and print the buckets.

Usage: tb_histogram.py < cases.json

Input: a JSON list of {"values": [...], "buckets": k}. Output: a JSON list,
one per case, of the [left, right, count] rows that TensorBoard's
histogram_pb (tensorboard/plugins/histogram/summary_v2.py, the numpy
version of tf.summary.histogram) writes for it. Floats are printed with
repr, so they survive the trip exactly.
"""

import json
import sys

from tensorboard.plugins.histogram import summary_v2
from tensorboard.util import tensor_util


def main():
    out = []
    for case in json.load(sys.stdin):
        pb = summary_v2.histogram_pb("h", case["values"], buckets=case["buckets"])
        out.append(tensor_util.make_ndarray(pb.value[0].tensor).tolist())
    json.dump(out, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
