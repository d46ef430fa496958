"""Write a logdir with tensorboardX and print the values it was given as JSON.

Usage: write_tensorboardx.py LOGDIR

tensorboardX writes TensorBoard's legacy forms: simple_value scalars,
HistogramProto histograms, Summary.Image images and Summary.Audio clips
(built here with the standard wave module, since tensorboardX's add_audio
needs the soundfile package), plus a text plugin tensor. Every value is
written with a fixed wall time, so the output states everything the files
should hold.
"""

import io
import json
import sys
import wave

import numpy as np
from tensorboardX import SummaryWriter
from tensorboardX.proto.summary_pb2 import Summary

WALL = 1700000000.0


def wav(samples, rate):
    """Returns mono 16-bit PCM WAV bytes of samples."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.array(samples, dtype="<i2").tobytes())
    return buf.getvalue()


def main(logdir):
    out = {"scalars": [], "described": {}, "histograms": [], "images": [], "texts": [], "audio": []}
    writer = SummaryWriter(logdir)

    for step in range(5):
        wall = WALL + step
        for tag, value in (("loss", 1.0 / (step + 1)), ("accuracy/train", 0.1 * step), ("lr", 1e-3 * 0.5**step)):
            writer.add_scalar(tag, value, step, walltime=wall)
            out["scalars"].append({"tag": tag, "step": step, "wall_time": wall, "value": value})

    writer.add_scalar(
        "described", 2.5, 0, walltime=WALL, display_name="Shown name", summary_description="A *described* scalar"
    )
    out["described"] = {"tag": "described", "step": 0, "wall_time": WALL, "value": 2.5,
                        "display_name": "Shown name", "description": "A *described* scalar"}

    for step in range(2):
        data = (np.arange(-50, 51, dtype=np.float64) / 10.0) * (step + 1) + step
        writer.add_histogram("weights", data, step, walltime=WALL + step)
        out["histograms"].append({"tag": "weights", "step": step, "wall_time": WALL + step, "values": data.tolist()})

    chw = (np.arange(3 * 2 * 4, dtype=np.int64) * 11 % 256).astype(np.uint8).reshape(3, 2, 4)
    writer.add_image("picture", chw, 3, walltime=WALL + 3, dataformats="CHW")
    out["images"].append({"tag": "picture", "step": 3, "wall_time": WALL + 3, "chw": chw.tolist()})

    text = "hello **world** — ünïcödé 🎉"
    writer.add_text("note", text, 4, walltime=WALL + 4)
    out["texts"].append({"tag": "note/text_summary", "step": 4, "wall_time": WALL + 4, "text": text})

    samples = [0, 1000, -1000, 32767, -32768, 12345, -1, 7]
    rate = 8000
    audio = Summary.Audio(sample_rate=rate, num_channels=1, length_frames=len(samples),
                          encoded_audio_string=wav(samples, rate), content_type="audio/wav")
    writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag="sound", audio=audio)]), 5, WALL + 5)
    out["audio"].append({"tag": "sound", "step": 5, "wall_time": WALL + 5, "sample_rate": rate, "samples": samples})

    writer.close()
    json.dump(out, sys.stdout, allow_nan=False, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
