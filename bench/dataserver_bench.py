"""Measure a data server launched by TensorBoard: bench/dataserver.sh runs it.

Usage: dataserver_bench.py NAME LOGDIR GEN_JSON [DATA_SERVER_BINARY]

Starts `tensorboard --logdir LOGDIR --load_fast=true --reload_interval 0`
(with TENSORBOARD_DATA_SERVER_BINARY set when a binary is given, else with
TensorBoard's own Rust data server), finds the data server TensorBoard
launched and its port, and measures, from the data server's start:

  first_answer_s  until ReadScalars first returns a point;
  loaded_s        until every run's scalar tags reach their last step
                  (GEN_JSON is genlogdir's output, which lists them);
  peak_rss_mb     the data server's peak resident memory (VmHWM) once loaded;
  load_cpu_s      the CPU time (user + system) the server had used then;
  read_ms         the median latency of ReadScalars for 50 runs x 1 tag.

It prints one JSON object with these and, for the equality check, every
run's "loss" series: count, last step and last value, and each scalar
tag's max_step.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import grpc
from tensorboard.data.proto import data_provider_pb2 as pb
from tensorboard.data.proto import data_provider_pb2_grpc as pbg


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def now():
    """Seconds since boot, the clock of start_time."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def start_time(pid):
    """Seconds since boot at which pid started (to 10 ms)."""
    with open("/proc/%d/stat" % pid) as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU time pid has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    name, logdir, gen = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
    binary = sys.argv[4] if len(sys.argv) > 4 else None
    env = dict(os.environ)
    if binary:
        env["TENSORBOARD_DATA_SERVER_BINARY"] = binary
    tb_bin = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    tb = subprocess.Popen([tb_bin, "--logdir", logdir, "--load_fast=true", "--reload_interval", "0",
                           "--port", "0", "--host", "127.0.0.1"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # The data server is the child of TensorBoard with a --port-file.
        ds = port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            for c in children(tb.pid):
                args = cmdline(c)
                pf = [a.split("=", 1)[1] for a in args if a.startswith("--port-file=")]
                if pf and os.path.exists(pf[0]):
                    text = open(pf[0]).read()
                    if text.endswith("\n"):
                        ds, port = c, int(text)
            time.sleep(0.005)
        if port is None:
            raise SystemExit("%s: no data server started" % name)
        t0 = start_time(ds)
        stub = pbg.TensorBoardDataProviderStub(grpc.insecure_channel(
            "localhost:%d" % port, options=[("grpc.max_receive_message_length", 256 << 20)]))
        want = gen["last_steps"]
        first = loaded = None
        while loaded is None:
            if first is None:
                r = stub.ReadScalars(pb.ReadScalarsRequest(plugin_filter=pb.PluginFilter(plugin_name="scalars"),
                                                           downsample=pb.Downsample(num_points=1)))
                if any(len(t.data.step) for run in r.runs for t in run.tags):
                    first = now() - t0
            ls = stub.ListScalars(pb.ListScalarsRequest(plugin_filter=pb.PluginFilter(plugin_name="scalars")))
            got = {run.run_name: {t.tag_name: t.metadata.max_step for t in run.tags} for run in ls.runs}
            if got == want:
                loaded = now() - t0
            else:
                time.sleep(0.05)
            if now() - t0 > 3600:
                raise SystemExit("%s: not loaded after an hour" % name)
        rss = vm(ds, "VmHWM")
        cpu = cpu_seconds(ds)
        runs = sorted(want)[:50]
        req = pb.ReadScalarsRequest(plugin_filter=pb.PluginFilter(plugin_name="scalars"),
                                    run_tag_filter=pb.RunTagFilter(runs=pb.RunFilter(names=runs),
                                                                   tags=pb.TagFilter(names=["loss"])),
                                    downsample=pb.Downsample(num_points=1000))
        lat = []
        for _ in range(30):
            s = time.perf_counter()
            stub.ReadScalars(req)
            lat.append((time.perf_counter() - s) * 1000)
        full = stub.ReadScalars(pb.ReadScalarsRequest(
            plugin_filter=pb.PluginFilter(plugin_name="scalars"), run_tag_filter=pb.RunTagFilter(tags=pb.TagFilter(names=["loss"])),
            downsample=pb.Downsample(num_points=1000)))
        loss = {run.run_name: [len(t.data.step), t.data.step[-1], t.data.value[-1]] for run in full.runs for t in run.tags}
        print(json.dumps({"name": name, "first_answer_s": first, "loaded_s": loaded, "peak_rss_mb": rss, "load_cpu_s": cpu,
                          "read_ms": statistics.median(lat), "loss": loss, "max_steps": got}))
    finally:
        os.killpg(tb.pid, 15)
        tb.wait()


if __name__ == "__main__":
    main()
