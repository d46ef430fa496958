//go:build compat

package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/summary"
)

// The export tests run the tbgo command itself, built once.
var tbgoBin struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// tbgo runs the tbgo command with args and returns its standard output.
func tbgo(t *testing.T, args ...string) []byte {
	t.Helper()
	tbgoBin.once.Do(func() {
		root, err := testenv.Root()
		if err != nil {
			tbgoBin.err = err
			return
		}
		if tbgoBin.dir, err = os.MkdirTemp("", "tbgo-bin-"); err != nil {
			tbgoBin.err = err
			return
		}
		tbgoBin.path = filepath.Join(tbgoBin.dir, "tbgo")
		cmd := exec.Command("go", "build", "-o", tbgoBin.path, "./cmd/tbgo")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			tbgoBin.err = fmt.Errorf("go build ./cmd/tbgo: %v\n%s", err, out)
		}
	})
	if tbgoBin.err != nil {
		t.Fatal(tbgoBin.err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(tbgoBin.path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tbgo %q: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// exportAll exports every kind the dump compares (scalars, histograms,
// text, images, audio) as JSON Lines into a new directory.
func exportAll(t *testing.T, logdir string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	args := append([]string{"export", "-what", "scalars,histograms,text,images,audio", "-format", "jsonl", "-o", out}, extra...)
	tbgo(t, append(args, logdir)...)
	return out
}

// jsonRows reads a JSON Lines file; numbers stay exact (json.Number).
func jsonRows(t *testing.T, name string) []map[string]any {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %v: %s", name, err, sc.Bytes())
		}
		rows = append(rows, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// jnum reads an exported number: a JSON number or "NaN", "Infinity",
// "-Infinity".
func jnum(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	case string:
		switch x {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
	}
	t.Fatalf("%v (%T) is not an exported number", v, v)
	return 0
}

func jint(t *testing.T, v any) int64 {
	t.Helper()
	n, err := v.(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// exportView reads an export directory (exportAll) into a view, so that
// compareViews can set it against TensorBoard's. Export writes values, not
// series metadata: display names and descriptions are not in it.
func exportView(t *testing.T, dir string) *view {
	t.Helper()
	v := &view{name: "tbgo export", series: map[key]*viewSeries{}}
	series := func(m map[string]any, plugin string) *viewSeries {
		k := key{m["run"].(string), m["tag"].(string)}
		s := v.series[k]
		if s == nil {
			s = &viewSeries{plugin: plugin, dataClass: dataClasses[plugin]}
			if plugin == summary.PluginAudio {
				s.dataClass = "DATA_CLASS_BLOB_SEQUENCE"
			}
			v.series[k] = s
			if !slices.Contains(v.runs, k.run) {
				v.runs = append(v.runs, k.run)
			}
		}
		return s
	}
	head := func(m map[string]any) viewPoint {
		return viewPoint{step: jint(t, m["step"]), wall: jnum(t, m["wall_time"])}
	}
	for _, m := range jsonRows(t, filepath.Join(dir, "scalars.jsonl")) {
		p := head(m)
		p.value = jnum(t, m["value"])
		s := series(m, summary.PluginScalars)
		s.points = append(s.points, p)
	}
	for _, m := range jsonRows(t, filepath.Join(dir, "histograms.jsonl")) {
		s := series(m, summary.PluginHistograms)
		if m["bucket"] == nil || jint(t, m["bucket"]) == 0 {
			s.points = append(s.points, head(m))
		}
		if m["bucket"] != nil {
			p := &s.points[len(s.points)-1]
			p.buckets = append(p.buckets, [3]float64{jnum(t, m["left"]), jnum(t, m["right"]), jnum(t, m["count"])})
		}
	}
	for _, m := range jsonRows(t, filepath.Join(dir, "text.jsonl")) {
		s := series(m, summary.PluginText)
		if jint(t, m["row"]) == 0 && jint(t, m["col"]) == 0 {
			s.points = append(s.points, head(m))
		}
		p := &s.points[len(s.points)-1]
		p.text = append(p.text, m["text"].(string))
	}
	for _, kind := range []string{summary.PluginImages, summary.PluginAudio} {
		for _, m := range jsonRows(t, filepath.Join(dir, kind, "index.jsonl")) {
			s := series(m, kind)
			if jint(t, m["sample"]) == 0 {
				p := head(m)
				if kind == summary.PluginImages {
					p.width, p.height = int(jint(t, m["width"])), int(jint(t, m["height"]))
				}
				s.points = append(s.points, p)
			}
			b, err := os.ReadFile(filepath.Join(dir, kind, filepath.FromSlash(m["file"].(string))))
			if err != nil {
				t.Fatal(err)
			}
			p := &s.points[len(s.points)-1]
			p.images = append(p.images, b)
		}
	}
	return v
}

// adoptUnexported copies into ours what export does not write, each
// series' display name and description, and a text point's shape where
// its cells agree, from TensorBoard's view.
func adoptUnexported(ours, theirs *view) {
	for k, ts := range theirs.series {
		os := ours.series[k]
		if os == nil {
			continue
		}
		os.displayName, os.description = ts.displayName, ts.description
		for i := range min(len(os.points), len(ts.points)) {
			if slices.Equal(os.points[i].text, ts.points[i].text) {
				os.points[i].shape = ts.points[i].shape
			}
		}
	}
}

// TestExportTensorboardX: values tensorboardX was given come out of tbgo
// export exactly: scalars as the float32 tensorboardX stores, wall times,
// histograms consistent with their data, text, image pixels, audio
// samples, and hparams sessions (a second tensorboardX script).
func TestExportTensorboardX(t *testing.T) {
	venv, err := Venv()
	if err != nil {
		t.Fatal(err)
	}
	testWriterExport(t, venv, venv, "write_tensorboardx.py", "tensorboardx")
}

// TestExportPyTorch: the same for a logdir written by PyTorch's own writer,
// torch.utils.tensorboard, from the pinned torch in .venv-torch: legacy
// scalars as float32, and tensor scalars as float32 or, asked for double
// precision, float64, exactly.
func TestExportPyTorch(t *testing.T) {
	venv, err := Venv()
	if err != nil {
		t.Fatal(err)
	}
	torch, err := TorchVenv()
	if errors.Is(err, ErrNoTorch) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	testWriterExport(t, torch, venv, "write_pytorch.py", "pytorch")
}

// testWriterExport has a writer's script (run in writerVenv) write a
// logdir and print what it was given, exports the logdir with tbgo and
// checks that export returns exactly those values, then that it agrees
// with TensorBoard's Python loader (run in venv). writer names it for
// export_hparams.py, which writes hparams sessions.
func testWriterExport(t *testing.T, writerVenv, venv, writeScript, writer string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logdir := filepath.Join(t.TempDir(), "logdir")
	out, err := Python(ctx, writerVenv, writeScript, nil, logdir)
	if err != nil {
		t.Fatal(err)
	}
	var in tbxInput
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatalf("bad JSON from %s: %v\n%s", writeScript, err, out)
	}
	dir := exportAll(t, logdir)
	v := exportView(t, dir)
	point := func(tag string, step int64) viewPoint {
		t.Helper()
		s := v.series[key{".", tag}]
		if s == nil {
			t.Fatalf("export has no series %q", tag)
		}
		var found []viewPoint
		for _, p := range s.points {
			if p.step == step {
				found = append(found, p)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%q: %d points at step %d, want 1", tag, len(found), step)
		}
		return found[0]
	}

	t.Run("scalars", func(t *testing.T) {
		n := 0
		for _, s := range in.Scalars {
			p := point(s.Tag, s.Step)
			// A float32 is written in its shortest float32 form, which
			// reads back to it as a float32; a double is exact.
			want, got := float64(float32(s.Value)), p.value
			if s.Double {
				want = s.Value
			} else {
				text := strconv.FormatFloat(p.value, 'g', -1, 64)
				if text != strconv.FormatFloat(want, 'g', -1, 32) {
					t.Errorf("%q step %d: %s, want the float32's shortest form %s", s.Tag, s.Step, text, strconv.FormatFloat(want, 'g', -1, 32))
				}
				got, _ = strconv.ParseFloat(text, 32)
			}
			if math.Float64bits(got) != math.Float64bits(want) || p.wall != s.WallTime {
				t.Errorf("%q step %d: %v at %v, want %v (given %v, double %v) at %v", s.Tag, s.Step, p.value, p.wall, want, s.Value, s.Double, s.WallTime)
			}
			n++
		}
		if d := in.Described; d.Tag != "" {
			if p := point(d.Tag, d.Step); p.value != d.Value || p.wall != d.WallTime {
				t.Errorf("%q: %v, want %v", d.Tag, p.value, d.Value)
			}
			n++
		}
		total := 0
		for _, s := range v.series {
			if s.plugin == summary.PluginScalars {
				total += len(s.points)
			}
		}
		if total != n {
			t.Errorf("%d scalars exported, %s wrote %d", total, writeScript, n)
		}
	})
	t.Run("histograms", func(t *testing.T) {
		for _, h := range in.Histograms {
			p := point(h.Tag, h.Step)
			var bs []summary.Bucket
			for _, b := range p.buckets {
				bs = append(bs, summary.Bucket{Left: b[0], Right: b[1], Count: b[2]})
			}
			if err := consistentBuckets(bs, h.Values); err != nil || p.wall != h.WallTime {
				t.Errorf("%q step %d: %v (wall %v, want %v)", h.Tag, h.Step, err, p.wall, h.WallTime)
			}
		}
	})
	t.Run("text", func(t *testing.T) {
		for _, tx := range in.Texts {
			if p := point(tx.Tag, tx.Step); !slices.Equal(p.text, []string{tx.Text}) || p.wall != tx.WallTime {
				t.Errorf("%q: %q, want %q", tx.Tag, p.text, tx.Text)
			}
		}
	})
	t.Run("images", func(t *testing.T) {
		for _, im := range in.Images {
			p := point(im.Tag, im.Step)
			h, w := len(im.CHW[0]), len(im.CHW[0][0])
			if p.width != w || p.height != h || len(p.images) != 1 {
				t.Fatalf("%q: %dx%d, %d images; want %dx%d, 1", im.Tag, p.width, p.height, len(p.images), w, h)
			}
			rows := jsonRows(t, filepath.Join(dir, "images", "index.jsonl"))
			f, err := os.Open(filepath.Join(dir, "images", filepath.FromSlash(rows[0]["file"].(string))))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			for y := range h {
				for x := range w {
					want := color.NRGBA{uint8(im.CHW[0][y][x]), uint8(im.CHW[1][y][x]), uint8(im.CHW[2][y][x]), 255}
					if got := color.NRGBAModel.Convert(img.At(x, y)); got != want {
						t.Errorf("%q pixel (%d, %d) = %v, want %v", im.Tag, x, y, got, want)
					}
				}
			}
		}
	})
	t.Run("audio", func(t *testing.T) {
		rows := jsonRows(t, filepath.Join(dir, "audio", "index.jsonl"))
		for i, a := range in.Audio {
			m := rows[i]
			b, err := os.ReadFile(filepath.Join(dir, "audio", filepath.FromSlash(m["file"].(string))))
			if err != nil {
				t.Fatal(err)
			}
			got, err := wavSamples(b)
			if err != nil || !slices.Equal(got, a.Samples) || jnum(t, m["sample_rate"]) != a.SampleRate || m["content_type"] != "audio/wav" {
				t.Errorf("%q: samples %v (%v) rate %v type %v, want %v at %v audio/wav", a.Tag, got, err, m["sample_rate"], m["content_type"], a.Samples, a.SampleRate)
			}
		}
	})
	t.Run("hparams", func(t *testing.T) {
		hpdir := filepath.Join(t.TempDir(), "hp")
		out, err := Python(ctx, writerVenv, "export_hparams.py", nil, writer, hpdir)
		if err != nil {
			t.Fatal(err)
		}
		var given struct {
			Sessions []struct {
				Run     string             `json:"run"`
				HParams map[string]any     `json:"hparams"`
				Metrics map[string]float64 `json:"metrics"`
			} `json:"sessions"`
		}
		if err := json.Unmarshal(out, &given); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(tbgo(t, "export", "-what", "hparams", hpdir))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		if want := []string{"run", "group", "status", "start_time", "end_time", "bsize", "dropout", "lr", "opt"}; !slices.Equal(header, want) {
			t.Fatalf("hparams header %q, want %q", header, want)
		}
		if len(rows) != 1+len(given.Sessions) {
			t.Fatalf("%d sessions exported, %s wrote %d", len(rows)-1, writer, len(given.Sessions))
		}
		for i, s := range given.Sessions {
			row := rows[1+i]
			if row[0] != s.Run || row[2] != "STATUS_SUCCESS" {
				t.Errorf("session %d: run %q status %q, want %q STATUS_SUCCESS", i, row[0], row[2], s.Run)
			}
			for j, name := range header[5:] {
				if want := fmt.Sprint(s.HParams[name]); row[5+j] != want {
					t.Errorf("%s %s = %q, want %q", s.Run, name, row[5+j], want)
				}
			}
			scalars := tbgo(t, "export", "-run", s.Run, hpdir)
			for tag, want := range s.Metrics {
				line := fmt.Sprintf("%s,%s,3,", s.Run, tag)
				if !bytes.Contains(scalars, []byte(line)) || !bytes.Contains(scalars, []byte(","+strconv.FormatFloat(float64(float32(want)), 'g', -1, 32)+"\n")) {
					t.Errorf("metric %s of %s: want %v at step 3 in\n%s", tag, s.Run, want, scalars)
				}
			}
		}
	})

	// The same logdir through TensorBoard's Python loader: every series,
	// step, wall time and value as export wrote it.
	t.Run("agrees with the python loader", func(t *testing.T) {
		dump, err := Python(ctx, venv, "dump_multiplexer.py", nil, logdir)
		if err != nil {
			t.Fatal(err)
		}
		theirs := parseDump(t, "python loader", dump, []string{"audio", "histograms", "images", "scalars", "text"})
		adoptUnexported(v, theirs)
		compareViews(t, v, theirs)
	})
}

// TestExportMatchesPythonLoader exports the compatibility logdir
// (WriteLogdir: every kind, edge values, nested runs, two files in a run,
// a damaged record) and compares it, value for value, with what
// TensorBoard's Python loader reads: scalars by float32 bits, histogram
// edges and counts, text cells, image bytes. The damaged run differs
// by design, and is checked on its own: export skips the one damaged
// record and reads on, the Python loader stops reading that file there.
func TestExportMatchesPythonLoader(t *testing.T) {
	venv, err := Venv()
	if err != nil {
		t.Fatal(err)
	}
	l, err := WriteLogdir(filepath.Join(t.TempDir(), "logdir"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dump, err := Python(ctx, venv, "dump_multiplexer.py", nil, l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	theirs := parseDump(t, "python loader", dump, l.Plugins())
	ours := exportView(t, exportAll(t, l.Dir))
	adoptUnexported(ours, theirs)

	c := l.Corrupt
	k := key{c.Run, c.Tag}
	os, ts := ours.series[k], theirs.series[k]
	delete(ours.series, k)
	delete(theirs.series, k)
	compareViews(t, ours, theirs)

	if os == nil || ts == nil {
		t.Fatalf("damaged series %v: export %v, python loader %v", k, os != nil, ts != nil)
	}
	var wantOurs []int64
	for i, p := range c.Points {
		if i != c.Index {
			wantOurs = append(wantOurs, p.Step)
		}
	}
	if got := steps(os.points); !slices.Equal(got, wantOurs) {
		t.Errorf("damaged series: export has steps %v, want all but the damaged %v", got, wantOurs)
	}
	if got := steps(ts.points); len(got) != c.Index || !slices.Equal(got, steps(os.points)[:c.Index]) {
		t.Errorf("damaged series: the python loader has steps %v, want the %d before the damage", got, c.Index)
	}
	for i, p := range os.points {
		want := c.Points[i]
		if i >= c.Index {
			want = c.Points[i+1]
		}
		if float32(p.value) != want.Scalar || p.wall != want.Wall {
			t.Errorf("damaged series step %d: %v at %v, want %v at %v", p.step, p.value, p.wall, want.Scalar, want.Wall)
		}
	}
}

// TestExportParquetReaders: every table export writes in Parquet (long and
// wide scalars, histograms, text, the image and audio indexes, hparams
// sessions) is read by pandas, polars and DuckDB (python/read_parquet.py)
// as holding, cell for cell, what the CSV export of the same data holds.
func TestExportParquetReaders(t *testing.T) {
	venv, err := Venv()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	l, err := WriteLogdir(filepath.Join(tmp, "logdir"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hpdir := filepath.Join(tmp, "hparams")
	if _, err := Python(ctx, venv, "export_hparams.py", nil, "tensorboardx", hpdir); err != nil {
		t.Fatal(err)
	}
	// tensorboardX's logdir has the audio the main one lacks.
	tbxdir := filepath.Join(tmp, "tbx")
	if _, err := Python(ctx, venv, "write_tensorboardx.py", nil, tbxdir); err != nil {
		t.Fatal(err)
	}
	tables := []string{"scalars", "histograms", "text", filepath.Join("images", "index"), filepath.Join("audio", "index"), "wide"}
	for _, format := range []string{"parquet", "csv"} {
		if err := os.Mkdir(filepath.Join(tmp, format), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var pairs []string
	for _, src := range []string{l.Dir, tbxdir} {
		for _, format := range []string{"parquet", "csv"} {
			dir := filepath.Join(tmp, format, filepath.Base(src))
			tbgo(t, "export", "-what", "scalars,histograms,text,images,audio", "-format", format, "-o", dir, src)
			tbgo(t, "export", "-layout", "wide", "-o", filepath.Join(dir, "wide."+format), src)
		}
		for _, name := range tables {
			name = filepath.Join(filepath.Base(src), name)
			pairs = append(pairs, filepath.Join(tmp, "parquet", name+".parquet"), filepath.Join(tmp, "csv", name+".csv"))
		}
	}
	for _, format := range []string{"parquet", "csv"} {
		tbgo(t, "export", "-what", "hparams", "-o", filepath.Join(tmp, format, "hparams."+format), hpdir)
	}
	pairs = append(pairs, filepath.Join(tmp, "parquet", "hparams.parquet"), filepath.Join(tmp, "csv", "hparams.csv"))
	out, err := Python(ctx, venv, "read_parquet.py", nil, pairs...)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Checked []struct {
			File    string   `json:"file"`
			Rows    int      `json:"rows"`
			Readers []string `json:"readers"`
		} `json:"checked"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("bad JSON from read_parquet.py: %v\n%s", err, out)
	}
	if len(got.Checked) != len(pairs)/2 {
		t.Fatalf("read_parquet.py checked %d files, want %d", len(got.Checked), len(pairs)/2)
	}
	rows := map[string]int{} // per table, in both logdirs
	for _, c := range got.Checked {
		rel, _ := filepath.Rel(filepath.Join(tmp, "parquet"), c.File)
		table := strings.TrimSuffix(rel, ".parquet")
		if _, inLogdir, ok := strings.Cut(table, string(filepath.Separator)); ok {
			table = inLogdir // without the logdir's name
		}
		rows[table] += c.Rows
		if len(c.Readers) != 3 {
			t.Errorf("%s: checked by %q, want three readers", rel, c.Readers)
		}
		t.Logf("%s: %d rows, equal to the CSV in %s", rel, c.Rows, strings.Join(c.Readers, ", "))
	}
	for _, table := range append(tables, "hparams") {
		if rows[table] == 0 {
			t.Errorf("no rows of %s were checked", table)
		}
	}
}

// TestDistributionMatchesTensorBoard computes the Distributions
// dashboard's quantiles of random histograms (TensorBoard's compressor.py
// via python/export_distribution.py) and with history.Distribution, which
// plot draws: they must agree to the last bit or two.
func TestDistributionMatchesTensorBoard(t *testing.T) {
	venv, err := Venv()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var hists [][][3]float64
	for i := range 60 {
		k := 1 + rng.IntN(40)
		var data []float64
		for range rng.IntN(500) {
			data = append(data, rng.NormFloat64()*float64(i+1)+float64(i))
		}
		if i%10 == 0 {
			data = []float64{2.5, 2.5, 2.5} // all equal: empty buckets but the last
		}
		b, err := summary.Buckets(nil, data, k)
		if err != nil {
			t.Fatal(err)
		}
		var rows [][3]float64
		for _, x := range b {
			rows = append(rows, [3]float64{x.Left, x.Right, x.Count})
		}
		hists = append(hists, rows)
	}
	hists = append(hists, [][3]float64{}, [][3]float64{{-1, 1, 0}}) // no buckets; no weight
	in, err := json.Marshal(hists)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := Python(ctx, venv, "export_distribution.py", in)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, rows := range hists {
		var bs []summary.Bucket
		for _, r := range rows {
			bs = append(bs, summary.Bucket{Left: r[0], Right: r[1], Count: r[2]})
		}
		got := history.Distribution(bs)
		for j := range got {
			if d := math.Abs(got[j] - want[i][j]); d > 1e-12*math.Max(1, math.Abs(want[i][j])) {
				t.Errorf("histogram %d (%d buckets): quantiles %v, TensorBoard %v", i, len(rows), got, want[i])
				break
			}
		}
	}
}
