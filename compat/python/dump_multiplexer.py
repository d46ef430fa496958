"""Print, as JSON, everything TensorBoard's Python loader reads from a logdir.

Usage: dump_multiplexer.py LOGDIR

This is the loader behind `tensorboard --load_fast=false`: an
EventMultiplexer that keeps every point, read through the same
MultiplexerDataProvider the dashboards use. Output:

  {"runs": [...], "plugins": [...],
   "series": [{"run", "tag", "plugin", "data_class", "display_name",
               "description", "points": [{"step", "wall_time", ...}]}]}

Scalar points carry "value" and "bits" (the float32 bit pattern, hex);
histogram points "buckets" ([left, right, count] rows); image points
"width", "height" and "blobs" ([{"len", "sha256"}] of the encoded images);
audio points "blobs";
text points "text" (the cells, row-major) and "shape". Non-finite floats are
written as the strings "nan", "inf" and "-inf", so the output is strict JSON.
"""

import hashlib
import json
import math
import struct
import sys

from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.compat.proto import summary_pb2

EXPERIMENT = ""
EVERYTHING = 10**9  # downsample limit that keeps every point


def number(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def float32_bits(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", x))[0]


def scalar_points(data):
    return [
        {
            "step": d.step,
            "wall_time": d.wall_time,
            "value": number(d.value),
            "bits": float32_bits(d.value),
        }
        for d in data
    ]


def histogram_points(data):
    return [
        {
            "step": d.step,
            "wall_time": d.wall_time,
            "buckets": [[number(x) for x in row] for row in d.numpy.tolist()],
        }
        for d in data
    ]


def text_points(data):
    return [
        {
            "step": d.step,
            "wall_time": d.wall_time,
            "shape": list(d.numpy.shape),
            "text": [cell.decode("utf-8") for cell in d.numpy.flatten()],
        }
        for d in data
    ]


def blob_points(provider, ctx, data, sized):
    """Blob sequences; if sized, the first two blobs are width and height."""
    points = []
    for d in data:
        blobs = [provider.read_blob(ctx, blob_key=ref.blob_key) for ref in d.values]
        point = {"step": d.step, "wall_time": d.wall_time}
        if sized:
            point["width"], point["height"] = int(blobs[0]), int(blobs[1])
            blobs = blobs[2:]
        point["blobs"] = [{"len": len(b), "sha256": hashlib.sha256(b).hexdigest()} for b in blobs]
        points.append(point)
    return points


def main(logdir):
    mux = plugin_event_multiplexer.EventMultiplexer(size_guidance={"tensors": 0})
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, logdir)
    ctx = context.RequestContext()

    readers = {
        "scalars": lambda: provider.read_scalars(
            ctx, experiment_id=EXPERIMENT, plugin_name="scalars", downsample=EVERYTHING
        ),
        "histograms": lambda: provider.read_tensors(
            ctx, experiment_id=EXPERIMENT, plugin_name="histograms", downsample=EVERYTHING
        ),
        "text": lambda: provider.read_tensors(
            ctx, experiment_id=EXPERIMENT, plugin_name="text", downsample=EVERYTHING
        ),
        "images": lambda: provider.read_blob_sequences(
            ctx, experiment_id=EXPERIMENT, plugin_name="images", downsample=EVERYTHING
        ),
        "audio": lambda: provider.read_blob_sequences(
            ctx, experiment_id=EXPERIMENT, plugin_name="audio", downsample=EVERYTHING
        ),
    }
    convert = {
        "scalars": scalar_points,
        "histograms": histogram_points,
        "text": text_points,
        "images": lambda data: blob_points(provider, ctx, data, sized=True),
        "audio": lambda data: blob_points(provider, ctx, data, sized=False),
    }

    series = []
    for plugin, read in readers.items():
        for run, tags in sorted(read().items()):
            for tag, data in sorted(tags.items()):
                meta = mux.SummaryMetadata(run, tag)
                series.append(
                    {
                        "run": run,
                        "tag": tag,
                        "plugin": meta.plugin_data.plugin_name,
                        "data_class": summary_pb2.DataClass.Name(meta.data_class),
                        "display_name": meta.display_name,
                        "description": meta.summary_description,
                        "points": convert[plugin](data),
                    }
                )

    out = {
        "runs": [r.run_name for r in provider.list_runs(ctx, experiment_id=EXPERIMENT)],
        "plugins": sorted(provider.list_plugins(ctx, experiment_id=EXPERIMENT)),
        "series": series,
    }
    json.dump(out, sys.stdout, allow_nan=False, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
