package dataserver

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

func FuzzPeek(f *testing.F) {
	f.Add([]byte{0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01, 0x2a, 0x02, 0x0a, 0x00})
	f.Add([]byte{0x1a, 0x0d, 'b', 'r', 'a', 'i', 'n', '.', 'E', 'v', 'e', 'n', 't', ':', '2'})
	f.Add([]byte{0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x05, 0x2a, 0x04, 0x0a, 0x00, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, ok := peek(b)
		if ok && e.values < 0 {
			t.Fatalf("negative value count")
		}
		// The fast path agrees with the general one where it applies.
		if fast, ok := peekSummary(b); ok {
			slow, ok := peekFields(b)
			if !ok || fast.what != slow.what || fast.values != slow.values || fast.step != slow.step ||
				math.Float64bits(fast.wall) != math.Float64bits(slow.wall) {
				t.Fatalf("peekSummary = %+v, the general peek %+v, %v", fast, slow, ok)
			}
		}
	})
}

func FuzzParseBlobKey(f *testing.F) {
	f.Add(blobKey{"EXP", "run", "tag", 3, 1}.String())
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseBlobKey(s)
		if err != nil {
			return
		}
		if again, err := parseBlobKey(k.String()); err != nil || again != k {
			t.Fatalf("%q parses to %v, which round-trips to %v, %v", s, k, again, err)
		}
	})
}

// FuzzLoad serves an event file of arbitrary bytes and makes every kind of
// RPC on it: no input may panic the server or make it hang.
func FuzzLoad(f *testing.F) {
	var seed bytes.Buffer
	w := tfevents.NewWriter(&seed)
	for _, ev := range []*tbpb.Event{
		fileVersion2(1), scalarEvent("s", 1, 1), sessionStart(0), sessionStart(1), scalarEvent("s", 0, 2),
		tensorEvent("img", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, 2, blobTensor([]byte("1"), []byte("1"), []byte("x"))),
		tensorEvent("t", "text", 0, 3, blobTensor([]byte("hi"))),
		{WallTime: 4, Step: 4, What: &tbpb.Event_GraphDef{GraphDef: []byte("graph")}},
	} {
		w.WriteEvent(ev)
	}
	w.Flush()
	f.Add(seed.Bytes())
	f.Add(seed.Bytes()[:seed.Len()/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.tfevents.1"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, checksum := range []bool{false, true} {
			s := New(os.DirFS(dir), ".", dir, &Options{Checksum: checksum, Samples: map[string]int{"scalars": 2}})
			ctx := context.Background()
			s.Load(ctx)
			plugins, _ := s.ListPlugins(ctx, &dp.ListPluginsRequest{})
			s.ListRuns(ctx, &dp.ListRunsRequest{})
			for _, p := range plugins.GetPlugins() {
				pf := &dp.PluginFilter{PluginName: p.Name}
				if p.Name == "" {
					continue
				}
				ds := &dp.Downsample{NumPoints: 3}
				s.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: pf})
				s.ReadScalars(ctx, &dp.ReadScalarsRequest{PluginFilter: pf, Downsample: ds})
				s.ListTensors(ctx, &dp.ListTensorsRequest{PluginFilter: pf})
				s.ReadTensors(ctx, &dp.ReadTensorsRequest{PluginFilter: pf, Downsample: ds})
				s.ListBlobSequences(ctx, &dp.ListBlobSequencesRequest{PluginFilter: pf})
				res, _ := s.ReadBlobSequences(ctx, &dp.ReadBlobSequencesRequest{PluginFilter: pf, Downsample: ds})
				for _, r := range res.GetRuns() {
					for _, tag := range r.Tags {
						for _, seq := range tag.Data.Values {
							for _, ref := range seq.BlobRefs {
								if k, err := parseBlobKey(ref.BlobKey); err == nil {
									s.blob(k)
								}
							}
						}
					}
				}
			}
			s.Close()
		}
	})
}
