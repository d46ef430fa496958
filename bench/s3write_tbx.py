"""The tensorboardX side of bench/s3.sh: the same simulated hour as
bench/s3write (a step per simulated second: 10 scalars, a histogram of
1000 values, a 16x16 image; flush every 2 simulated seconds) written with
tensorboardX's S3 writer to s3://BUCKET/PREFIX (S3_ENDPOINT and the AWS
variables point boto3 at the server). Prints one JSON object."""
import json
import math
import resource
import sys
import time

import numpy as np
from tensorboardX import SummaryWriter
from tensorboardX import record_writer

url = sys.argv[1]
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3600

# Count what each flush uploads: tensorboardX re-uploads its whole buffer.
uploaded = [0, 0]  # bytes, flushes
last = [None]  # the S3RecordWriter
orig_flush = record_writer.S3RecordWriter.flush


def counting_flush(self):
    uploaded[0] += len(self.buffer.getvalue())
    uploaded[1] += 1
    last[0] = self
    return orig_flush(self)


record_writer.S3RecordWriter.flush = counting_flush

start = time.time()
w = SummaryWriter(url, flush_secs=10**6)  # flushes come from the loop below
values = np.arange(1000, dtype=np.float64)
img = np.zeros((1, 16, 16), dtype=np.uint8)
for step in range(steps):
    for i in range(10):
        w.add_scalar("scalar/%d" % i, math.sin(step * (i + 1) / 100), step)
    w.add_histogram("weights", np.sin(values * 0.37 + step / 50) * (1 + step / 1000), step, bins=30)
    img[0] = ((np.arange(256) * 7 + step) % 256).reshape(16, 16)
    w.add_image("sample", img, step)
    if (step + 1) % 2 == 0:
        w.flush()
w.close()
event_bytes = len(last[0].buffer.getvalue())
print(json.dumps({
    "writer": "tensorboardX",
    "event_bytes": event_bytes,
    "uploaded_bytes": uploaded[0],
    "upload_ratio": uploaded[0] / event_bytes,
    "objects": 1,
    "flushes": uploaded[1],
    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "seconds": time.time() - start,
}))
