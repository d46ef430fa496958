"""Call every RPC of TensorBoard's data provider on two servers and compare.

Usage: dataserver_diff.py OURS_PORT THEIRS_PORT [SOURCE_PORT] < config.json

OURS_PORT is tbgo-data-server, THEIRS_PORT TensorBoard's Rust data server,
both serving the same logdir; the calls go through grpcio and TensorBoard's
own generated stubs. Every answer must be equal, except where config.json
declares a deliberate difference:

  {"double_scalars": [[run, tag], ...],   # scalars RustBoard hides (DT_DOUBLE...)
   "purged": [[run, tag], ...]}           # series a SessionLog START purges

With SOURCE_PORT (a Rust data server keeping every point), the two servers
sample: series must have equal counts and equal last points, and every
point either returns must be one SOURCE_PORT returns.

Prints a JSON report: {"calls": N, "diffs": [...], "notes": [...]}.
"""

import base64
import hashlib
import json
import sys

import grpc
from tensorboard.data.proto import data_provider_pb2 as pb
from tensorboard.data.proto import data_provider_pb2_grpc as pbg

HUGE = 10**9
READS = (
    ("scalars", "ListScalars", "ReadScalars", pb.ListScalarsRequest, pb.ReadScalarsRequest),
    ("tensors", "ListTensors", "ReadTensors", pb.ListTensorsRequest, pb.ReadTensorsRequest),
    ("blobs", "ListBlobSequences", "ReadBlobSequences", pb.ListBlobSequencesRequest, pb.ReadBlobSequencesRequest),
)


def stub(port):
    ch = grpc.insecure_channel("localhost:%d" % port, options=[("grpc.max_receive_message_length", 256 << 20)])
    return pbg.TensorBoardDataProviderStub(ch)


def call(s, method, req):
    """Returns (code name, response or None)."""
    try:
        fn = getattr(s, method)
        if method == "ReadBlob":
            chunks = [r.data for r in fn(req, timeout=60)]
            return "OK", chunks
        return "OK", fn(req, timeout=60)
    except grpc.RpcError as e:
        return e.code().name, None


def fhex(x):
    return float(x).hex()


def meta_hex(md):
    return md.SerializeToString(deterministic=True).hex()


def list_view(res, kind):
    out = {}
    for run in res.runs:
        tags = out.setdefault(run.run_name, {})
        for t in run.tags:
            m = t.metadata
            v = {"max_step": m.max_step, "max_wall_time": fhex(m.max_wall_time), "md": meta_hex(m.summary_metadata)}
            if kind == "blobs":
                v["max_length"] = m.max_length
            tags[t.tag_name] = v
    return out


def read_view(res, kind):
    out = {}
    for run in res.runs:
        tags = out.setdefault(run.run_name, {})
        for t in run.tags:
            d = t.data
            if kind == "scalars":
                vals = [fhex(v) for v in d.value]
            elif kind == "tensors":
                vals = [v.SerializeToString(deterministic=True).hex() for v in d.value]
            else:
                vals = [[r.blob_key for r in seq.blob_refs] for seq in d.values]
            tags[t.tag_name] = [[s, fhex(w), v] for s, w, v in zip(d.step, d.wall_time, vals)]
    return out


class Diff:
    def __init__(self, ours, theirs, source, config):
        self.ours, self.theirs, self.source = stub(ours), stub(theirs), (stub(source) if source else None)
        self.config = config
        self.calls = 0
        self.diffs = []
        self.notes = []
        self.double = {tuple(x) for x in config.get("double_scalars", [])}
        self.purged = {tuple(x) for x in config.get("purged", [])}

    def both(self, method, req):
        self.calls += 1
        return call(self.ours, method, req), call(self.theirs, method, req)

    def fail(self, what, ours, theirs):
        self.diffs.append({"call": what, "ours": ours, "theirs": theirs})

    def same(self, what, ours, theirs):
        if ours != theirs:
            self.fail(what, ours, theirs)

    def run(self):
        for eid in ("", "some-experiment"):
            (oc, o), (tc, t) = self.both("GetExperiment", pb.GetExperimentRequest(experiment_id=eid))
            self.same("GetExperiment code", oc, tc)
            if o and t:
                self.same("GetExperiment", [o.name, o.description, o.HasField("creation_time")],
                          [t.name, t.description, t.HasField("creation_time")])
                self.same("GetExperiment data_location", o.data_location != "", t.data_location != "")
        (_, o), (_, t) = self.both("ListPlugins", pb.ListPluginsRequest())
        plugins = sorted({p.name for p in t.plugins})
        self.same("ListPlugins", sorted(p.name for p in o.plugins), plugins)
        (_, o), (_, t) = self.both("ListRuns", pb.ListRunsRequest())
        self.same("ListRuns", sorted((r.name, fhex(r.start_time)) for r in o.runs),
                  sorted((r.name, fhex(r.start_time)) for r in t.runs))
        self.same("ListRuns order by start time", [r.start_time for r in o.runs], sorted(r.start_time for r in o.runs))
        runs = sorted(r.name for r in t.runs)

        for kind, list_m, read_m, list_req, read_req in READS:
            for plugin in plugins + ["no-such-plugin"]:
                self.kind(kind, list_m, read_m, list_req, read_req, plugin, runs)
            for req in (list_req(), list_req(plugin_filter=pb.PluginFilter(plugin_name=""))):
                (oc, _), (tc, _) = self.both(list_m, req)
                self.same(list_m + " without plugin", oc, tc)
            pf = pb.PluginFilter(plugin_name=plugins[0] if plugins else "x")
            for req in (read_req(plugin_filter=pf), read_req(plugin_filter=pf, downsample=pb.Downsample(num_points=-1))):
                (oc, _), (tc, _) = self.both(read_m, req)
                self.same(read_m + " bad downsample", oc, tc)
        self.blobs(plugins, runs)

    def rtfs(self, runs, tags):
        out = [None, pb.RunTagFilter(runs=pb.RunFilter()), pb.RunTagFilter(tags=pb.TagFilter())]
        for r in runs[:2]:
            out.append(pb.RunTagFilter(runs=pb.RunFilter(names=[r, "no such run"])))
        for t in tags[:2]:
            out.append(pb.RunTagFilter(tags=pb.TagFilter(names=[t])))
            if runs:
                out.append(pb.RunTagFilter(runs=pb.RunFilter(names=runs[-1:]), tags=pb.TagFilter(names=[t, "no tag"])))
        return out

    def kind(self, kind, list_m, read_m, list_req, read_req, plugin, runs):
        pf = pb.PluginFilter(plugin_name=plugin)
        (oc, o), (tc, t) = self.both(list_m, list_req(plugin_filter=pf))
        self.same("%s %s code" % (list_m, plugin), oc, tc)
        if not (o and t):
            return
        ol, tl = list_view(o, kind), list_view(t, kind)
        tags = sorted({tag for r in tl.values() for tag in r})
        for rtf in self.rtfs(runs, tags):
            what = "%s %s %s" % (list_m, plugin, rtf)
            (_, o), (_, t) = self.both(list_m, list_req(plugin_filter=pf, run_tag_filter=rtf))
            self.compare_list(what, list_view(o, kind), list_view(t, kind))
            for k in (HUGE, 0, 1, 2, 5):
                what = "%s %s k=%d %s" % (read_m, plugin, k, rtf)
                (_, o), (_, t) = self.both(read_m, read_req(plugin_filter=pf, run_tag_filter=rtf,
                                                            downsample=pb.Downsample(num_points=k)))
                self.compare_read(what, kind, k, read_view(o, kind), read_view(t, kind),
                                  read_m, read_req, pf, rtf)

    def declared(self, run, tag):
        return (run, tag) in self.double or (run, tag) in self.purged

    def compare_list(self, what, ours, theirs):
        for run in sorted(set(ours) | set(theirs)):
            o, t = ours.get(run, {}), theirs.get(run, {})
            for tag in sorted(set(o) | set(t)):
                if (run, tag) in self.double:
                    if tag in t or tag not in o:
                        self.fail(what + " declared double scalar %s/%s" % (run, tag), o.get(tag), t.get(tag))
                    continue
                if self.source and tag in o and tag in t:
                    # Sampled: the kept points differ, so the maxima may.
                    self.same(what + " %s/%s max_step" % (run, tag), o[tag]["max_step"], t[tag]["max_step"])
                    self.same(what + " %s/%s md" % (run, tag), o[tag]["md"], t[tag]["md"])
                    continue
                if (run, tag) in self.purged:
                    continue
                self.same(what + " %s/%s" % (run, tag), o.get(tag), t.get(tag))

    def compare_read(self, what, kind, k, ours, theirs, read_m, read_req, pf, rtf):
        full_o = full_t = None
        for run in sorted(set(ours) | set(theirs)):
            o, t = ours.get(run, {}), theirs.get(run, {})
            self.same(what + " tags of %s" % run, sorted(o), sorted(t))
            for tag in sorted(set(o) & set(t)):
                op, tp = o[tag], t[tag]
                where = what + " %s/%s" % (run, tag)
                if (run, tag) in self.double:
                    if tp or (k > 0 and not op):
                        self.fail(where + " declared double scalar", op, tp)
                    continue
                if (run, tag) in self.purged:
                    continue
                if kind == "tensors" and op != tp and self.trimmed_histograms(op, tp):
                    continue
                if op == tp:
                    continue
                sampled = self.source is not None or (k < HUGE and len(op) == len(tp) == k)
                if not sampled:
                    self.fail(where, op, tp)
                    continue
                # Sampling: equal counts, equal last points, points from the source.
                self.same(where + " count", len(op), len(tp))
                if kind == "blobs":
                    self.same(where + " last", op[-1][:2] if op else None, tp[-1][:2] if tp else None)
                else:
                    self.same(where + " last", op[-1:] if op else None, tp[-1:] if tp else None)
                if full_o is None:
                    src_o = self.ours if self.source is None else self.source
                    src_t = self.theirs if self.source is None else self.source
                    req = read_req(plugin_filter=pf, run_tag_filter=rtf, downsample=pb.Downsample(num_points=HUGE))
                    full_o = read_view(call(src_o, read_m, req)[1], kind)
                    full_t = read_view(call(src_t, read_m, req)[1], kind)
                for name, pts, full in (("ours", op, full_o), ("theirs", tp, full_t)):
                    pool = full.get(run, {}).get(tag, [])
                    key = (lambda p: tuple(p[:2])) if kind == "blobs" else (lambda p: json.dumps(p))
                    have = {key(p) for p in pool}
                    missing = [p for p in pts if key(p) not in have]
                    if missing:
                        self.fail(where + " %s points not in the source" % name, missing[:3], None)

    def trimmed_histograms(self, ours, theirs):
        """Legacy histograms: ours are TensorBoard's Python conversion, the Rust
        server's untrimmed. Accept ours if it is theirs with the empty buckets
        at both ends dropped and the outer edges kept."""
        from tensorboard.compat.proto import tensor_pb2
        from tensorboard.util import tensor_util
        if len(ours) != len(theirs):
            return False
        for o, t in zip(ours, theirs):
            if o[:2] != t[:2]:
                return False
            if o[2] == t[2]:
                continue
            to, tt = tensor_pb2.TensorProto(), tensor_pb2.TensorProto()
            to.ParseFromString(bytes.fromhex(o[2]))
            tt.ParseFromString(bytes.fromhex(t[2]))
            a, b = tensor_util.make_ndarray(to).tolist(), tensor_util.make_ndarray(tt).tolist()
            if not b or len(b[0]) != 3:
                return False
            lo, hi = 0, len(b)
            while lo < hi and not b[lo][2] > 0:
                lo += 1
            while hi > lo and not b[hi - 1][2] > 0:
                hi -= 1
            want = [list(r) for r in b[lo:hi]]
            if want:
                want[0][0], want[-1][1] = b[0][0], b[-1][1]
            if a != want:
                return False
        self.notes.append("legacy histogram compared trimmed")
        return True

    def blobs(self, plugins, runs):
        keys = []
        for plugin in plugins:
            req = pb.ReadBlobSequencesRequest(plugin_filter=pb.PluginFilter(plugin_name=plugin),
                                              downsample=pb.Downsample(num_points=HUGE), experiment_id="eid")
            (_, o), (_, t) = self.both("ReadBlobSequences", req)
            for run in o.runs:
                for tag in run.tags:
                    for seq in tag.data.values:
                        keys += [r.blob_key for r in seq.blob_refs]
        other = self.theirs if self.source is None else self.source
        for key in keys:
            self.calls += 1
            oc, o = call(self.ours, "ReadBlob", pb.ReadBlobRequest(blob_key=key))
            tc, t = call(other, "ReadBlob", pb.ReadBlobRequest(blob_key=key))
            self.same("ReadBlob code %s" % key, oc, tc)
            if o is not None and t is not None:
                self.same("ReadBlob chunks %s" % key, [len(c) for c in o], [len(c) for c in t])
                self.same("ReadBlob data %s" % key, hashlib.sha256(b"".join(o)).hexdigest(),
                          hashlib.sha256(b"".join(t)).hexdigest())
        # Keys that name nothing, or are not keys.
        def key(*parts):
            return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")
        bad = ["", "!!!", "e30", key("a", "b"), key("", "no such run", "t", 0, 0),
               base64.urlsafe_b64encode(b'["","r","t",0,0]').decode()]
        if keys:
            _, run, tag, step, index = json.loads(base64.urlsafe_b64decode(keys[0] + "=" * (-len(keys[0]) % 4)))
            bad += [key("", run, "no such tag", step, index), key("", run, tag, step + 10**12, index),
                    key("", run, tag, step, index + 1000), key("other eid", run, tag, step, index)]
        for run in runs[:1]:
            bad.append(key("", run, "zz/sentinel", 0, 0))
        for k in bad:
            (oc, o), (tc, t) = self.both("ReadBlob", pb.ReadBlobRequest(blob_key=k))
            self.same("ReadBlob %r code" % k, oc, tc)
            if o is not None and t is not None:
                self.same("ReadBlob %r data" % k, b"".join(o), b"".join(t))


def main():
    ports = [int(a) for a in sys.argv[1:]]
    config = json.load(sys.stdin)
    d = Diff(ports[0], ports[1], ports[2] if len(ports) > 2 else None, config)
    d.run()
    json.dump({"calls": d.calls, "diffs": d.diffs, "notes": sorted(set(d.notes))}, sys.stdout)


if __name__ == "__main__":
    main()
