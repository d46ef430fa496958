"""Compress histograms as TensorBoard's Distributions dashboard does.

Usage: export_distribution.py < HISTOGRAMS

Reads a JSON list of histograms, each a list of [left, right, count]
buckets, and prints a JSON list with, for each, the values at the basis
points of compressor.NORMAL_HISTOGRAM_BPS, from compress_histogram, the
function the distributions plugin applies to every histogram.
"""

import json
import sys

from tensorboard.plugins.distribution import compressor


def main():
    histograms = json.load(sys.stdin)
    out = []
    for buckets in histograms:
        out.append([float(bp_value[1]) for bp_value in compressor.compress_histogram(buckets)])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
