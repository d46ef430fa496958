package dataserver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// blobChunk is the most bytes one ReadBlob response carries.
const blobChunk = 8 << 20

// GetExperiment reports the logdir as the data location.
func (s *Server) GetExperiment(context.Context, *dp.GetExperimentRequest) (*dp.GetExperimentResponse, error) {
	return &dp.GetExperimentResponse{DataLocation: s.location}, nil
}

// ListPlugins names the plugins of every stored time series, including
// those with no points.
func (s *Server) ListPlugins(context.Context, *dp.ListPluginsRequest) (*dp.ListPluginsResponse, error) {
	seen := map[string]bool{}
	for _, r := range s.snapshot(nil) {
		r.mu.RLock()
		for _, ts := range r.series {
			if ts.stored() {
				seen[ts.plugin] = true
			}
		}
		r.mu.RUnlock()
	}
	res := &dp.ListPluginsResponse{}
	for _, name := range sortedKeys(seen) {
		res.Plugins = append(res.Plugins, &dp.Plugin{Name: name})
	}
	return res, nil
}

// ListRuns lists the runs that have an event with a finite wall time,
// by start time.
func (s *Server) ListRuns(context.Context, *dp.ListRunsRequest) (*dp.ListRunsResponse, error) {
	res := &dp.ListRunsResponse{}
	for _, r := range s.snapshot(nil) {
		r.mu.RLock()
		if r.hasStart {
			res.Runs = append(res.Runs, &dp.Run{Name: r.name, StartTime: r.start})
		}
		r.mu.RUnlock()
	}
	slices.SortStableFunc(res.Runs, func(a, b *dp.Run) int {
		switch {
		case a.StartTime < b.StartTime:
			return -1
		case a.StartTime > b.StartTime:
			return 1
		}
		return 0
	})
	return res, nil
}

// ListScalars describes the scalar series of a plugin that have points.
func (s *Server) ListScalars(_ context.Context, req *dp.ListScalarsRequest) (*dp.ListScalarsResponse, error) {
	res := &dp.ListScalarsResponse{}
	err := s.each(req.GetPluginFilter(), req.GetRunTagFilter(), tbpb.DataClass_DATA_CLASS_SCALAR, func(r *run, tags []string) {
		e := &dp.ListScalarsResponse_RunEntry{RunName: r.name}
		for _, tag := range tags {
			ts := r.series[tag]
			if step, wall, _, ok := ts.maxima(); ok {
				e.Tags = append(e.Tags, &dp.ListScalarsResponse_TagEntry{TagName: tag, Metadata: &dp.ScalarMetadata{
					MaxStep: step, MaxWallTime: wall, SummaryMetadata: ts.meta,
				}})
			}
		}
		if len(e.Tags) > 0 {
			res.Runs = append(res.Runs, e)
		}
	})
	return res, err
}

// ReadScalars returns the points of scalar series, downsampled.
func (s *Server) ReadScalars(_ context.Context, req *dp.ReadScalarsRequest) (*dp.ReadScalarsResponse, error) {
	k, err := numPoints(req.GetDownsample())
	if err != nil {
		return nil, err
	}
	res := &dp.ReadScalarsResponse{}
	var idx []int
	err = s.each(req.GetPluginFilter(), req.GetRunTagFilter(), tbpb.DataClass_DATA_CLASS_SCALAR, func(r *run, tags []string) {
		e := &dp.ReadScalarsResponse_RunEntry{RunName: r.name}
		for _, tag := range tags {
			ts := r.series[tag]
			idx = downsample(ts.valid(idx[:0]), k)
			d := &dp.ScalarData{
				Step:     make([]int64, len(idx)),
				WallTime: make([]float64, len(idx)),
				Value:    make([]float32, len(idx)),
			}
			for j, i := range idx {
				d.Step[j], d.WallTime[j], d.Value[j] = ts.step(i), ts.walls[i], ts.scalars[i]
			}
			e.Tags = append(e.Tags, &dp.ReadScalarsResponse_TagEntry{TagName: tag, Data: d})
		}
		if len(e.Tags) > 0 {
			res.Runs = append(res.Runs, e)
		}
	})
	return res, err
}

// ListTensors describes the tensor series of a plugin that have points.
func (s *Server) ListTensors(_ context.Context, req *dp.ListTensorsRequest) (*dp.ListTensorsResponse, error) {
	res := &dp.ListTensorsResponse{}
	err := s.each(req.GetPluginFilter(), req.GetRunTagFilter(), tbpb.DataClass_DATA_CLASS_TENSOR, func(r *run, tags []string) {
		e := &dp.ListTensorsResponse_RunEntry{RunName: r.name}
		for _, tag := range tags {
			ts := r.series[tag]
			if step, wall, _, ok := ts.maxima(); ok {
				e.Tags = append(e.Tags, &dp.ListTensorsResponse_TagEntry{TagName: tag, Metadata: &dp.TensorMetadata{
					MaxStep: step, MaxWallTime: wall, SummaryMetadata: ts.meta,
				}})
			}
		}
		if len(e.Tags) > 0 {
			res.Runs = append(res.Runs, e)
		}
	})
	return res, err
}

// ReadTensors returns the points of tensor series, downsampled.
func (s *Server) ReadTensors(_ context.Context, req *dp.ReadTensorsRequest) (*dp.ReadTensorsResponse, error) {
	k, err := numPoints(req.GetDownsample())
	if err != nil {
		return nil, err
	}
	// Collect the points under the runs' locks; read and convert their
	// values after, so that a load is not held up by the reads.
	type pending struct {
		data   *dp.TensorData
		tag    string
		ts     *series
		values []payload
	}
	var todo []pending
	res := &dp.ReadTensorsResponse{}
	var idx []int
	err = s.each(req.GetPluginFilter(), req.GetRunTagFilter(), tbpb.DataClass_DATA_CLASS_TENSOR, func(r *run, tags []string) {
		e := &dp.ReadTensorsResponse_RunEntry{RunName: r.name}
		for _, tag := range tags {
			ts := r.series[tag]
			idx = downsample(ts.valid(idx[:0]), k)
			p := pending{tag: tag, ts: ts, values: make([]payload, len(idx)), data: &dp.TensorData{
				Step:     make([]int64, len(idx)),
				WallTime: make([]float64, len(idx)),
				Value:    make([]*tbpb.TensorProto, len(idx)),
			}}
			for j, i := range idx {
				p.data.Step[j], p.data.WallTime[j], p.values[j] = ts.step(i), ts.walls[i], ts.values[i]
			}
			todo = append(todo, p)
			e.Tags = append(e.Tags, &dp.ReadTensorsResponse_TagEntry{TagName: tag, Data: p.data})
		}
		if len(e.Tags) > 0 {
			res.Runs = append(res.Runs, e)
		}
	})
	if err != nil {
		return nil, err
	}
	for _, p := range todo {
		for j, v := range p.values {
			h, err := fetch(p.tag, p.ts, v)
			if err != nil {
				return nil, status.Errorf(codes.Internal, "tag %q step %d: %v", p.tag, p.data.Step[j], err)
			}
			p.data.Value[j] = new(tbpb.TensorProto)
			if err := proto.Unmarshal(h.tensor, p.data.Value[j]); err != nil {
				return nil, status.Errorf(codes.Internal, "tag %q step %d: stored tensor does not decode: %v", p.tag, p.data.Step[j], err)
			}
		}
	}
	return res, nil
}

// ListBlobSequences describes the blob sequence series of a plugin that
// have points.
func (s *Server) ListBlobSequences(_ context.Context, req *dp.ListBlobSequencesRequest) (*dp.ListBlobSequencesResponse, error) {
	res := &dp.ListBlobSequencesResponse{}
	err := s.each(req.GetPluginFilter(), req.GetRunTagFilter(), tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, func(r *run, tags []string) {
		e := &dp.ListBlobSequencesResponse_RunEntry{RunName: r.name}
		for _, tag := range tags {
			ts := r.series[tag]
			if step, wall, length, ok := ts.maxima(); ok {
				e.Tags = append(e.Tags, &dp.ListBlobSequencesResponse_TagEntry{TagName: tag, Metadata: &dp.BlobSequenceMetadata{
					MaxStep: step, MaxWallTime: wall, MaxLength: int64(length), SummaryMetadata: ts.meta,
				}})
			}
		}
		if len(e.Tags) > 0 {
			res.Runs = append(res.Runs, e)
		}
	})
	return res, err
}

// ReadBlobSequences returns the points of blob sequence series,
// downsampled, with a key for each blob.
func (s *Server) ReadBlobSequences(_ context.Context, req *dp.ReadBlobSequencesRequest) (*dp.ReadBlobSequencesResponse, error) {
	k, err := numPoints(req.GetDownsample())
	if err != nil {
		return nil, err
	}
	res := &dp.ReadBlobSequencesResponse{}
	var idx []int
	err = s.each(req.GetPluginFilter(), req.GetRunTagFilter(), tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, func(r *run, tags []string) {
		e := &dp.ReadBlobSequencesResponse_RunEntry{RunName: r.name}
		for _, tag := range tags {
			ts := r.series[tag]
			idx = downsample(ts.valid(idx[:0]), k)
			d := &dp.BlobSequenceData{
				Step:     make([]int64, len(idx)),
				WallTime: make([]float64, len(idx)),
				Values:   make([]*dp.BlobReferenceSequence, len(idx)),
			}
			for j, i := range idx {
				d.Step[j], d.WallTime[j] = ts.step(i), ts.walls[i]
				refs := make([]*dp.BlobReference, ts.values[i].n)
				for b := range refs {
					key := blobKey{req.GetExperimentId(), r.name, tag, ts.step(i), uint64(b)}
					refs[b] = &dp.BlobReference{BlobKey: key.String()}
				}
				d.Values[j] = &dp.BlobReferenceSequence{BlobRefs: refs}
			}
			e.Tags = append(e.Tags, &dp.ReadBlobSequencesResponse_TagEntry{TagName: tag, Data: d})
		}
		if len(e.Tags) > 0 {
			res.Runs = append(res.Runs, e)
		}
	})
	return res, err
}

// ReadBlob streams the blob a key names in chunks of at most 8 MiB.
func (s *Server) ReadBlob(req *dp.ReadBlobRequest, stream dp.TensorBoardDataProvider_ReadBlobServer) error {
	k, err := parseBlobKey(req.GetBlobKey())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	blob, err := s.blob(k)
	if err != nil {
		return err
	}
	for len(blob) > 0 {
		n := min(len(blob), blobChunk)
		if err := stream.Send(&dp.ReadBlobResponse{Data: blob[:n]}); err != nil {
			return err
		}
		blob = blob[n:]
	}
	return nil
}

// blob finds the blob k names. Stored blobs are never modified, so they
// may be sent after the lock is released.
func (s *Server) blob(k blobKey) ([]byte, error) {
	s.mu.RLock()
	r := s.runs[k.run]
	s.mu.RUnlock()
	if r == nil {
		return nil, status.Errorf(codes.NotFound, "no such run: %q", k.run)
	}
	r.mu.RLock()
	ts := r.series[k.tag]
	if ts == nil || ts.class != tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE {
		r.mu.RUnlock()
		return nil, status.Errorf(codes.NotFound, "run %q has no such tag: %q", k.run, k.tag)
	}
	i := ts.find(k.step)
	if i < 0 {
		r.mu.RUnlock()
		return nil, status.Errorf(codes.NotFound, "run %q, tag %q has no step %d; may have been evicted", k.run, k.tag, k.step)
	}
	v := ts.values[i]
	r.mu.RUnlock()
	if k.index >= uint64(v.n) {
		return nil, status.Errorf(codes.NotFound, "blob sequence at run %q, tag %q, step %d has no index %d (length: %d)",
			k.run, k.tag, k.step, k.index, v.n)
	}
	h, err := fetch(k.tag, ts, v)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "run %q, tag %q, step %d: %v", k.run, k.tag, k.step, err)
	}
	if k.index >= uint64(len(h.blobs)) {
		return nil, status.Errorf(codes.Internal, "run %q, tag %q, step %d: %v: it holds %d blobs", k.run, k.tag, k.step, errGone, len(h.blobs))
	}
	return h.blobs[k.index], nil
}

// maxima returns the step of the last good point, the largest wall time
// and the most blobs of any good point; ok is false if there is none.
func (ts *series) maxima() (step int64, wall float64, length int, ok bool) {
	for i := range ts.len() {
		if !ts.good(i) {
			continue
		}
		if !ok || ts.walls[i] > wall {
			wall = ts.walls[i]
		}
		if ts.class == tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE {
			length = max(length, int(ts.values[i].n))
		}
		step, ok = ts.step(i), true
	}
	return step, wall, length, ok
}

// each calls fn, holding the run's read lock, for every run the filter
// selects that has series of class and the plugin the filter names, with
// those series' tags in name order. Runs come in name order.
func (s *Server) each(pf *dp.PluginFilter, rtf *dp.RunTagFilter, class tbpb.DataClass, fn func(r *run, tags []string)) error {
	plugin := pf.GetPluginName()
	if plugin == "" {
		return status.Error(codes.InvalidArgument, "must specify non-empty plugin name")
	}
	tagSet := nameSet(rtf.GetTags())
	var tags []string
	for _, r := range s.snapshot(rtf.GetRuns()) {
		r.mu.RLock()
		tags = tags[:0]
		for tag, ts := range r.series {
			if ts.class == class && ts.plugin == plugin && (tagSet == nil || tagSet[tag]) {
				tags = append(tags, tag)
			}
		}
		if len(tags) > 0 {
			slices.Sort(tags)
			fn(r, tags)
		}
		r.mu.RUnlock()
	}
	return nil
}

// A namesFilter is a RunFilter or TagFilter.
type namesFilter interface{ GetNames() []string }

// nameSet returns the names a filter selects, or nil for a filter that is
// absent and so selects everything. A present filter with no names
// selects nothing.
func nameSet[F interface {
	comparable
	namesFilter
}](f F) map[string]bool {
	var zero F
	if f == zero {
		return nil
	}
	set := make(map[string]bool, len(f.GetNames()))
	for _, n := range f.GetNames() {
		set[n] = true
	}
	return set
}

// snapshot returns the runs the filter selects (all for nil), by name.
func (s *Server) snapshot(f *dp.RunFilter) []*run {
	set := nameSet(f)
	s.mu.RLock()
	runs := make([]*run, 0, len(s.runs))
	for name, r := range s.runs {
		if set == nil || set[name] {
			runs = append(runs, r)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(runs, func(a, b *run) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	return runs
}

// numPoints checks a read request's downsample.
func numPoints(d *dp.Downsample) (int, error) {
	if d == nil {
		return 0, status.Error(codes.InvalidArgument, "must specify downsample")
	}
	if n := d.GetNumPoints(); n < 0 {
		return 0, status.Error(codes.InvalidArgument, fmt.Sprintf("num_points must be non-negative; got %d", n))
	}
	return int(min(d.GetNumPoints(), int64(^uint(0)>>1))), nil
}

// downsample keeps at most k of the points idx: all of them if there are
// no more than k, none if k is 0, and otherwise the last point and k-1
// chosen uniformly at random from the others, in order. The choice is the
// same on every call, so that repeated reads agree.
func downsample(idx []int, k int) []int {
	n := len(idx)
	switch {
	case k >= n:
		return idx
	case k == 0:
		return idx[:0]
	}
	rng := rand.New(rand.NewPCG(0, 0))
	out := idx[:0] // written behind the reading position
	need := k - 1
	for i := 0; i < n-1 && need > 0; i++ {
		// Selection sampling: take i with probability need/remaining.
		if rng.IntN(n-1-i) < need {
			out = append(out, idx[i])
			need--
		}
	}
	return append(out, idx[n-1])
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
