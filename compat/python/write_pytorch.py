"""Write a logdir with PyTorch's writer and print the values it was given as JSON.

Usage: write_pytorch.py LOGDIR

torch.utils.tensorboard.SummaryWriter writes scalars in the legacy
simple_value form and, asked to, as float32 or float64 tensors (new_style,
double_precision); HistogramProto histograms; PNG images; text as a text
plugin tensor; and audio as WAV, scaled from [-1, 1] floats to 16-bit PCM.
Every value has a fixed wall time, so the output (in write_tensorboardx.py's
form) states everything the files should hold.
"""

import json
import sys

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter

WALL = 1700000000.0


def main(logdir):
    out = {"scalars": [], "histograms": [], "images": [], "texts": [], "audio": []}
    writer = SummaryWriter(logdir)

    for step in range(5):
        wall = WALL + step
        for tag, value, style in (
            ("loss", 1.0 / (step + 1), {}),
            ("accuracy/train", 0.1 * step, {}),
            ("lr", 1e-3 * 0.5**step, {"new_style": True}),
            ("exact", 1.0 / 3 + step, {"new_style": True, "double_precision": True}),
        ):
            writer.add_scalar(tag, value, step, walltime=wall, **style)
            out["scalars"].append({"tag": tag, "step": step, "wall_time": wall, "value": value,
                                   "double": style.get("double_precision", False)})

    for step in range(2):
        data = torch.arange(-50, 51, dtype=torch.float64) / 10.0 * (step + 1) + step
        writer.add_histogram("weights", data, step, walltime=WALL + step)
        out["histograms"].append({"tag": "weights", "step": step, "wall_time": WALL + step, "values": data.tolist()})

    chw = (np.arange(3 * 2 * 4, dtype=np.int64) * 11 % 256).astype(np.uint8).reshape(3, 2, 4)
    writer.add_image("picture", torch.from_numpy(chw), 3, walltime=WALL + 3, dataformats="CHW")
    out["images"].append({"tag": "picture", "step": 3, "wall_time": WALL + 3, "chw": chw.tolist()})

    text = "hello **world** — ünïcödé 🎉"
    writer.add_text("note", text, 4, walltime=WALL + 4)
    out["texts"].append({"tag": "note/text_summary", "step": 4, "wall_time": WALL + 4, "text": text})

    wave = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 0.25, -0.001, 0.0002])
    rate = 8000
    writer.add_audio("sound", torch.from_numpy(wave), 5, sample_rate=rate, walltime=WALL + 5)
    # PyTorch's conversion (torch.utils.tensorboard.summary.audio).
    samples = (wave * np.iinfo(np.int16).max).astype("<i2").tolist()
    out["audio"].append({"tag": "sound", "step": 5, "wall_time": WALL + 5, "sample_rate": rate, "samples": samples})

    writer.close()
    json.dump(out, sys.stdout, allow_nan=False, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
