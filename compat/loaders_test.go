//go:build compat

package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestPythonLoader has TensorBoard's Python loader (EventMultiplexer and
// MultiplexerDataProvider, what --load_fast=false uses) read the logdir
// and asserts every run, series, metadata and value, scalars by their
// float32 bits and images by their digests.
func TestPythonLoader(t *testing.T) {
	v := multiplexerView(t)
	checkView(t, fx.logdir, v)
}

// TestRustServer asserts everything over HTTP from a TensorBoard whose Rust
// data server verifies every checksum (--load_fast=true, --checksum).
func TestRustServer(t *testing.T) {
	testServer(t, rustServer)
}

// TestPythonServer asserts everything over HTTP from a TensorBoard with
// the Python loader (--load_fast=false).
func TestPythonServer(t *testing.T) {
	testServer(t, pythonServer)
}

func testServer(t *testing.T, name string) {
	s := server(t, name)
	checkPluginsListing(t, s, fx.logdir.Plugins())
	checkView(t, fx.logdir, httpView(t, name))
}

// checkPluginsListing asserts that exactly the dashboards of the logdir's
// plugins (and those derived from them) are enabled.
func checkPluginsListing(t *testing.T, s *Server, plugins []string) {
	t.Helper()
	var listing map[string]struct {
		Enabled bool `json:"enabled"`
	}
	if err := s.GetJSON("data/plugins_listing", nil, &listing); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(plugins)
	if slices.Contains(want, "scalars") {
		want = append(want, "timeseries")
	}
	if slices.Contains(want, "histograms") {
		want = append(want, "distributions")
	}
	slices.Sort(want)
	var got []string
	for name, p := range listing {
		if p.Enabled {
			got = append(got, name)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("enabled dashboards = %q, want %q", got, want)
	}
}

var views struct {
	mu sync.Mutex
	m  map[string]*view
}

// cached returns the view called name, building it once.
func cached(t *testing.T, name string, build func() *view) *view {
	t.Helper()
	views.mu.Lock()
	defer views.mu.Unlock()
	if v := views.m[name]; v != nil {
		return v
	}
	v := build()
	if !t.Failed() {
		if views.m == nil {
			views.m = map[string]*view{}
		}
		views.m[name] = v
	}
	return v
}

// multiplexerView runs compat/python/dump_multiplexer.py on the logdir.
func multiplexerView(t *testing.T) *view {
	t.Helper()
	setup(t)
	return cached(t, "multiplexer", func() *view {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := Python(ctx, fx.venv, "dump_multiplexer.py", nil, fx.logdir.Dir)
		if err != nil {
			t.Fatal(err)
		}
		return parseDump(t, "python loader", out, fx.logdir.Plugins())
	})
}

// parseDump converts the JSON of dump_multiplexer.py into a view and
// asserts that the plugins holding data are plugins.
func parseDump(t *testing.T, name string, out []byte, plugins []string) *view {
	t.Helper()
	var dump struct {
		Runs    []string `json:"runs"`
		Plugins []string `json:"plugins"`
		Series  []struct {
			Run         string `json:"run"`
			Tag         string `json:"tag"`
			Plugin      string `json:"plugin"`
			DataClass   string `json:"data_class"`
			DisplayName string `json:"display_name"`
			Description string `json:"description"`
			Points      []struct {
				Step     int64      `json:"step"`
				WallTime float64    `json:"wall_time"`
				Value    Float      `json:"value"`
				Bits     string     `json:"bits"`
				Buckets  [][3]Float `json:"buckets"`
				Width    int        `json:"width"`
				Height   int        `json:"height"`
				Blobs    []blobSum  `json:"blobs"`
				Text     []string   `json:"text"`
				Shape    []int64    `json:"shape"`
			} `json:"points"`
		} `json:"series"`
	}
	if err := json.Unmarshal(out, &dump); err != nil {
		t.Fatalf("%s: bad JSON from dump_multiplexer.py: %v\n%.1000s", name, err, out)
	}
	if !slices.Equal(dump.Plugins, plugins) {
		t.Errorf("%s: plugins with data = %q, want %q", name, dump.Plugins, plugins)
	}
	v := &view{name: name, runs: dump.Runs, series: map[key]*viewSeries{}}
	for _, s := range dump.Series {
		vs := &viewSeries{plugin: s.Plugin, dataClass: s.DataClass, displayName: s.DisplayName, description: s.Description}
		for _, p := range s.Points {
			vp := viewPoint{
				step: p.Step, wall: p.WallTime, value: float64(p.Value), bits: p.Bits,
				width: p.Width, height: p.Height, digests: p.Blobs, text: p.Text, shape: p.Shape,
			}
			for _, b := range p.Buckets {
				vp.buckets = append(vp.buckets, [3]float64{float64(b[0]), float64(b[1]), float64(b[2])})
			}
			vs.points = append(vs.points, vp)
		}
		v.series[key{s.Run, s.Tag}] = vs
	}
	return v
}

// httpView reads everything the named TensorBoard serves over its HTTP API.
func httpView(t *testing.T, name string) *view {
	t.Helper()
	s := server(t, name)
	return cached(t, name, func() *view { return serverView(t, s, name+" server") })
}

type tagInfo struct {
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Samples     int    `json:"samples"`
}

// tags fetches a plugin's {run: {tag: info}} listing and adds an empty
// series to v for each.
func tags(t *testing.T, s *Server, v *view, plugin string) map[string]map[string]tagInfo {
	t.Helper()
	var m map[string]map[string]tagInfo
	if err := s.GetJSON("data/plugin/"+plugin+"/tags", nil, &m); err != nil {
		t.Fatal(err)
	}
	for run, ts := range m {
		for tag, info := range ts {
			v.series[key{run, tag}] = &viewSeries{plugin: plugin, displayName: info.DisplayName, description: info.Description}
		}
	}
	return m
}

func httpScalars(t *testing.T, s *Server, v *view) {
	for run, ts := range tags(t, s, v, "scalars") {
		for tag := range ts {
			// [[wall_time, step, value], ...]
			var rows [][]json.RawMessage
			if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", tag), &rows); err != nil {
				t.Fatal(err)
			}
			vs := v.series[key{run, tag}]
			for _, row := range rows {
				var p viewPoint
				var value Float
				decodeRow(t, row, &p.wall, &p.step, &value)
				p.value = float64(value)
				vs.points = append(vs.points, p)
			}
		}
	}
}

func httpHistograms(t *testing.T, s *Server, v *view) {
	for run, ts := range tags(t, s, v, "histograms") {
		for tag := range ts {
			// [[wall_time, step, [[left, right, count], ...]], ...]
			var rows [][]json.RawMessage
			if err := s.GetJSON("data/plugin/histograms/histograms", query("run", run, "tag", tag), &rows); err != nil {
				t.Fatal(err)
			}
			vs := v.series[key{run, tag}]
			for _, row := range rows {
				var p viewPoint
				var buckets [][3]Float
				decodeRow(t, row, &p.wall, &p.step, &buckets)
				for _, b := range buckets {
					p.buckets = append(p.buckets, [3]float64{float64(b[0]), float64(b[1]), float64(b[2])})
				}
				vs.points = append(vs.points, p)
			}
		}
	}
}

// httpImages fetches every sample of every step and the image bytes behind
// it; the size comes from decoding the PNG, as a browser would.
func httpImages(t *testing.T, s *Server, v *view) {
	for run, ts := range tags(t, s, v, "images") {
		for tag, info := range ts {
			vs := v.series[key{run, tag}]
			byStep := map[int64]*viewPoint{}
			var order []int64
			for sample := range info.Samples {
				var entries []struct {
					WallTime float64 `json:"wall_time"`
					Step     int64   `json:"step"`
					Query    string  `json:"query"`
				}
				q := query("run", run, "tag", tag, "sample", strconv.Itoa(sample))
				if err := s.GetJSON("data/plugin/images/images", q, &entries); err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					b, err := s.GetRaw("data/plugin/images/individualImage", e.Query)
					if err != nil {
						t.Fatal(err)
					}
					p := byStep[e.Step]
					if p == nil {
						p = &viewPoint{step: e.Step, wall: e.WallTime}
						if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err == nil {
							p.width, p.height = cfg.Width, cfg.Height
						}
						byStep[e.Step] = p
						order = append(order, e.Step)
					}
					if len(p.images) != sample {
						t.Errorf("%s: run %q tag %q step %d: sample %d arrived after %d samples", v.name, run, tag, e.Step, sample, len(p.images))
					}
					p.images = append(p.images, b)
				}
			}
			slices.Sort(order)
			for _, step := range order {
				vs.points = append(vs.points, *byStep[step])
			}
		}
	}
}

func httpText(t *testing.T, s *Server, v *view) {
	var m map[string][]string
	if err := s.GetJSON("data/plugin/text/tags", nil, &m); err != nil {
		t.Fatal(err)
	}
	for run, ts := range m {
		for _, tag := range ts {
			vs := &viewSeries{plugin: "text"}
			v.series[key{run, tag}] = vs
			var entries []struct {
				WallTime float64 `json:"wall_time"`
				Step     int64   `json:"step"`
				Text     string  `json:"text"`
			}
			if err := s.GetJSON("data/plugin/text/text", query("run", run, "tag", tag), &entries); err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				vs.points = append(vs.points, viewPoint{step: e.Step, wall: e.WallTime, html: e.Text})
			}
		}
	}
}

// decodeRow decodes the elements of a JSON array into dst, one each.
func decodeRow(t *testing.T, row []json.RawMessage, dst ...any) {
	t.Helper()
	if len(row) != len(dst) {
		t.Fatalf("row %s has %d elements, want %d", row, len(row), len(dst))
	}
	for i, d := range dst {
		if err := json.Unmarshal(row[i], d); err != nil {
			t.Fatalf("row element %d (%s): %v", i, row[i], err)
		}
	}
}
