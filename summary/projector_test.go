package summary

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// projFiles returns every file and directory under dir but event files,
// by slash-separated relative path: a file's content, or "<dir>".
func projFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || strings.Contains(d.Name(), "tfevents") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			files[rel] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// projConfig reads the projector config of run directory dir.
func projConfig(t *testing.T, dir string) *tbpb.ProjectorConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ProjectorConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tbpb.ProjectorConfig{}
	if err := prototext.Unmarshal(b, cfg); err != nil {
		t.Fatalf("config does not parse: %v\n%s", err, b)
	}
	return cfg
}

// projSolid returns a w x h image of one colour.
func projSolid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

var (
	projRed   = color.NRGBA{255, 0, 0, 255}
	projGreen = color.NRGBA{0, 255, 0, 255}
	projBlue  = color.NRGBA{0, 0, 255, 255}
	projWhite = color.NRGBA{255, 255, 255, 255}
	projClear = color.NRGBA{}
)

// projPixels decodes a PNG and returns its pixels as rows of colours.
func projPixels(t *testing.T, b []byte) [][]color.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	rows := make([][]color.NRGBA, r.Dy())
	for y := range rows {
		rows[y] = make([]color.NRGBA, r.Dx())
		for x := range rows[y] {
			rows[y][x] = color.NRGBAModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
		}
	}
	return rows
}

func TestEmbeddingFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		tag     string
		step    int64
		vectors [][]float64
		opts    EmbeddingOptions
		files   map[string]string // text files, by path in the run
		info    *tbpb.EmbeddingInfo
	}{{
		desc:    "vectors only",
		tag:     "emb",
		step:    7,
		vectors: [][]float64{{1, 2}, {0.1, -0.5}},
		files: map[string]string{
			"projector/00007/emb/tensors.tsv": "1\t2\n0.1\t-0.5\n",
		},
		info: &tbpb.EmbeddingInfo{
			TensorName:  "emb:00007",
			TensorPath:  "projector/00007/emb/tensors.tsv",
			TensorShape: []uint32{2, 2},
		},
	}, {
		desc:    "labels: one column, no header",
		tag:     "words",
		step:    0,
		vectors: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		opts:    EmbeddingOptions{Labels: []string{"cat", "dog", "naïve 🐟"}},
		files: map[string]string{
			"projector/00000/words/tensors.tsv":  "1\t0\t0\n0\t1\t0\n0\t0\t1\n",
			"projector/00000/words/metadata.tsv": "cat\ndog\nnaïve 🐟\n",
		},
		info: &tbpb.EmbeddingInfo{
			TensorName:   "words:00000",
			TensorPath:   "projector/00000/words/tensors.tsv",
			MetadataPath: "projector/00000/words/metadata.tsv",
			TensorShape:  []uint32{3, 3},
		},
	}, {
		desc:    "columns: header, empty cells kept",
		tag:     "layer/out put",
		step:    123456,
		vectors: [][]float64{{1.5, 2.5}, {-3, 4e-10}},
		opts: EmbeddingOptions{
			Columns: []string{"word", "count"},
			Rows:    [][]string{{"cat", "12"}, {"", "7"}},
		},
		files: map[string]string{
			"projector/123456/layer%2Fout%20put/tensors.tsv":  "1.5\t2.5\n-3\t4e-10\n",
			"projector/123456/layer%2Fout%20put/metadata.tsv": "word\tcount\ncat\t12\n\t7\n",
		},
		info: &tbpb.EmbeddingInfo{
			TensorName:   "layer/out put:123456",
			TensorPath:   "projector/123456/layer%2Fout%20put/tensors.tsv",
			MetadataPath: "projector/123456/layer%2Fout%20put/metadata.tsv",
			TensorShape:  []uint32{2, 2},
		},
	}, {
		desc:    "sprites",
		tag:     "img",
		step:    -3,
		vectors: [][]float64{{0, 1}, {1, 0}, {1, 1}},
		opts: EmbeddingOptions{
			Labels:  []string{"r", "g", "b"},
			Sprites: []image.Image{projSolid(2, 2, projRed), projSolid(2, 2, projGreen), projSolid(2, 2, projBlue)},
		},
		files: map[string]string{
			"projector/-0003/img/tensors.tsv":  "0\t1\n1\t0\n1\t1\n",
			"projector/-0003/img/metadata.tsv": "r\ng\nb\n",
		},
		info: &tbpb.EmbeddingInfo{
			TensorName:   "img:-0003",
			TensorPath:   "projector/-0003/img/tensors.tsv",
			MetadataPath: "projector/-0003/img/metadata.tsv",
			TensorShape:  []uint32{3, 2},
			Sprite:       &tbpb.SpriteMetadata{ImagePath: "projector/-0003/img/sprite.png", SingleImageDim: []uint32{2, 2}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			w, dir := newTestWriter(t)
			defer w.Close()
			if err := w.Embedding(tt.tag, tt.step, tt.vectors, tt.opts); err != nil {
				t.Fatal(err)
			}
			got := projFiles(t, dir)
			for name, want := range tt.files {
				if got[name] != want {
					t.Errorf("%s = %q, want %q", name, got[name], want)
				}
			}
			wantCfg := &tbpb.ProjectorConfig{Embeddings: []*tbpb.EmbeddingInfo{tt.info}}
			if cfg := projConfig(t, dir); !proto.Equal(cfg, wantCfg) {
				t.Errorf("config = %v, want %v", cfg, wantCfg)
			}
			// Exactly the files the config names, and their directories.
			want := map[string]bool{ProjectorConfigFile: true}
			for _, p := range []string{tt.info.TensorPath, tt.info.MetadataPath, tt.info.GetSprite().GetImagePath()} {
				for ; p != "" && p != "."; p = filepath.ToSlash(filepath.Dir(p)) {
					want[p] = true
				}
			}
			for name := range got {
				if !want[name] {
					t.Errorf("unexpected file %s", name)
				}
				delete(want, name)
			}
			for name := range want {
				t.Errorf("missing file %s", name)
			}
			for name, content := range got {
				if content == "<dir>" {
					continue
				}
				fi, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o644 {
					t.Errorf("%s has mode %v, want -rw-r--r-- so that TensorBoard can read it as another user", name, fi.Mode())
				}
			}
		})
	}
}

func TestEmbeddingSpritePixels(t *testing.T) {
	t.Parallel()
	w, dir := newTestWriter(t)
	defer w.Close()
	sprites := []image.Image{projSolid(2, 2, projRed), projSolid(2, 2, projGreen), projSolid(2, 2, projBlue)}
	vectors := [][]float64{{0, 1}, {1, 0}, {1, 1}}
	if err := w.Embedding("img", 1, vectors, EmbeddingOptions{Sprites: sprites}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "projector/00001/img/sprite.png"))
	if err != nil {
		t.Fatal(err)
	}
	// ceil(sqrt(3)) = 2 cells a side, row by row, the last cell empty.
	r, g, bl, o := projRed, projGreen, projBlue, projClear
	want := [][]color.NRGBA{
		{r, r, g, g},
		{r, r, g, g},
		{bl, bl, o, o},
		{bl, bl, o, o},
	}
	if got := projPixels(t, b); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sprite sheet = %v, want %v", got, want)
	}
}

func TestSpriteSheet(t *testing.T) {
	t.Parallel()
	// A 4x2 image: left half white, right half red.
	halves := projSolid(4, 2, projWhite)
	for y := range 2 {
		for x := 2; x < 4; x++ {
			halves.SetNRGBA(x, y, projRed)
		}
	}
	// A 4x4 checkerboard of 2x2 squares, black and projWhite.
	checker := projSolid(4, 4, projWhite)
	for y := range 4 {
		for x := range 4 {
			if (x/2+y/2)%2 == 1 {
				checker.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255})
			}
		}
	}
	grey := color.NRGBA{128, 128, 128, 255}
	w, r, o := projWhite, projRed, projClear
	tests := []struct {
		desc  string
		imgs  []image.Image
		size  int
		cell  int
		sheet [][]color.NRGBA
	}{{
		desc: "a wide image is centred in a square cell, padded with transparent rows",
		imgs: []image.Image{halves},
		cell: 4,
		sheet: [][]color.NRGBA{
			{o, o, o, o},
			{w, w, r, r},
			{w, w, r, r},
			{o, o, o, o},
		},
	}, {
		desc: "a smaller cell averages the pixels each covers",
		imgs: []image.Image{halves},
		size: 2,
		cell: 2,
		sheet: [][]color.NRGBA{
			{w, r},
			{o, o},
		},
	}, {
		desc: "averaging a checkerboard gives grey",
		imgs: []image.Image{checker},
		size: 1,
		cell: 1,
		sheet: [][]color.NRGBA{
			{grey},
		},
	}, {
		desc: "a larger cell repeats pixels",
		imgs: []image.Image{projSolid(1, 1, projRed), halves},
		size: 0, // the largest side, 4
		cell: 4,
		sheet: [][]color.NRGBA{
			{r, r, r, r, o, o, o, o},
			{r, r, r, r, w, w, r, r},
			{r, r, r, r, w, w, r, r},
			{r, r, r, r, o, o, o, o},
			{o, o, o, o, o, o, o, o},
			{o, o, o, o, o, o, o, o},
			{o, o, o, o, o, o, o, o},
			{o, o, o, o, o, o, o, o},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			sheet, cell, err := spriteSheet(tt.imgs, len(tt.imgs), tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if cell != tt.cell {
				t.Errorf("cell = %d, want %d", cell, tt.cell)
			}
			var enc media.PNGEncoder
			b, err := enc.AppendPNG(nil, sheet)
			if err != nil {
				t.Fatal(err)
			}
			if got := projPixels(t, b); fmt.Sprint(got) != fmt.Sprint(tt.sheet) {
				t.Errorf("sheet = %v, want %v", got, tt.sheet)
			}
		})
	}
}

func TestEmbeddingFloatsRoundTrip(t *testing.T) {
	t.Parallel()
	values := []float64{
		0.1, 1.0 / 3, math.Copysign(0, -1), 5e-324, math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32,
		float64(float32(0.1)), 123456789.123456789, 1e-300, 2, -1e20,
	}
	vectors := make([][]float64, len(values))
	for i, v := range values {
		vectors[i] = []float64{v, -v}
	}
	w, dir := newTestWriter(t)
	defer w.Close()
	if err := w.EmbeddingMatrix("f", 0, mat.NewDense(len(values), 2, projFlatten(vectors)), EmbeddingOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "projector/00000/f/tensors.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(values) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(values), b)
	}
	for i, line := range lines {
		cells := strings.Split(line, "\t")
		for j, cell := range cells {
			want := vectors[i][j]
			got, err := strconv.ParseFloat(cell, 64)
			if err != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("vector %d number %d: %q reads as %v (%v), want %v", i, j, cell, got, err, want)
			}
			// As TensorBoard reads it: a double, then float32.
			if float32(got) != float32(want) || math.Signbit(float64(float32(got))) != math.Signbit(want) {
				t.Errorf("vector %d number %d: %q is float32 %v, want %v", i, j, cell, float32(got), float32(want))
			}
		}
	}
}

func projFlatten(rows [][]float64) []float64 {
	var all []float64
	for _, r := range rows {
		all = append(all, r...)
	}
	return all
}

// projSized is an image of a size and no pixels worth allocating.
type projSized struct{ image.Rectangle }

func (s projSized) ColorModel() color.Model { return color.NRGBAModel }
func (s projSized) Bounds() image.Rectangle { return s.Rectangle }
func (s projSized) At(x, y int) color.Color { return color.Black }

// projMatrix is a mat.Matrix of r x c zeros, of any size.
type projMatrix struct{ r, c int }

func (m projMatrix) Dims() (int, int)    { return m.r, m.c }
func (m projMatrix) At(i, j int) float64 { return 0 }
func (m projMatrix) T() mat.Matrix       { return mat.Transpose{Matrix: m} }

func TestEmbeddingBadInput(t *testing.T) {
	t.Parallel()
	two := [][]float64{{1, 2}, {3, 4}}
	sprite := projSolid(2, 2, projRed)
	tests := []struct {
		desc    string
		call    func(w *Writer) error
		want    string // in the message
		wantErr error  // errors.Is, if set
	}{
		{"empty tag", func(w *Writer) error { return w.Embedding("", 0, two, EmbeddingOptions{}) }, "empty tag", ErrEmptyTag},
		{"tag not UTF-8", func(w *Writer) error { return w.Embedding("\xff", 0, two, EmbeddingOptions{}) }, "not valid UTF-8", nil},
		{"no vectors", func(w *Writer) error { return w.Embedding("e", 0, nil, EmbeddingOptions{}) }, "no vectors (0x0)", nil},
		{"vectors of no numbers", func(w *Writer) error { return w.Embedding("e", 0, [][]float64{{}, {}}, EmbeddingOptions{}) }, "no vectors (2x0)", nil},
		{"empty matrix", func(w *Writer) error { return w.EmbeddingMatrix("e", 0, projMatrix{0, 3}, EmbeddingOptions{}) }, "no vectors (0x3)", nil},
		{"nil matrix", func(w *Writer) error { return w.EmbeddingMatrix("e", 0, nil, EmbeddingOptions{}) }, "nil matrix", nil},
		{"one dimension", func(w *Writer) error { return w.Embedding("e", 0, [][]float64{{1}, {2}}, EmbeddingOptions{}) }, "at least 2", nil},
		{"ragged vectors", func(w *Writer) error { return w.Embedding("e", 0, [][]float64{{1, 2}, {3}}, EmbeddingOptions{}) }, "vector 1 has 1 numbers, vector 0 has 2", nil},
		{"NaN", func(w *Writer) error {
			return w.Embedding("e", 0, [][]float64{{1, 2}, {3, math.NaN()}}, EmbeddingOptions{})
		}, "vector 1 number 1 is NaN", nil},
		{"+Inf", func(w *Writer) error {
			return w.EmbeddingMatrix("e", 0, mat.NewDense(1, 2, []float64{math.Inf(1), 0}), EmbeddingOptions{})
		}, "vector 0 number 0 is +Inf", nil},
		{"overflows float32", func(w *Writer) error { return w.Embedding("e", 0, [][]float64{{1e39, 2}}, EmbeddingOptions{}) }, "overflows float32", nil},
		{"labels short", func(w *Writer) error { return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a"}}) }, "1 labels for 2 vectors", nil},
		{"labels and columns", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a", "b"}, Columns: []string{"x", "y"}})
		}, "both Labels and Columns", nil},
		{"label with a tab", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a", "b\tc"}})
		}, `label 1 "b\tc" contains '\t'`, nil},
		{"label with a newline", func(w *Writer) error { return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a\n", "b"}}) }, `contains '\n'`, nil},
		{"label with a carriage return", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a\rb", "b"}})
		}, `contains '\r'`, nil},
		{"blank label", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a", " \u00a0"}})
		}, `label 1, " \u00a0", is blank`, nil},
		{"empty label", func(w *Writer) error { return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"", "b"}}) }, "label 0, \"\", is blank", nil},
		{"label not UTF-8", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a", "\xc3"}})
		}, "not valid UTF-8", nil},
		{"one column", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x"}, Rows: [][]string{{"a"}, {"b"}}})
		}, "1 metadata columns, want at least 2", nil},
		{"rows without columns", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Rows: [][]string{{"a", "b"}, {"c", "d"}}})
		}, "0 metadata columns", nil},
		{"rows short", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "y"}, Rows: [][]string{{"a", "b"}}})
		}, "1 metadata rows for 2 vectors", nil},
		{"row narrower than the header", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "y"}, Rows: [][]string{{"a", "b"}, {"c"}}})
		}, "metadata row 1 has 1 cells for 2 columns", nil},
		{"row wider than the header", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "y"}, Rows: [][]string{{"a", "b", "c"}, {"c", "d"}}})
		}, "metadata row 0 has 3 cells for 2 columns", nil},
		{"blank row", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "y"}, Rows: [][]string{{"a", "b"}, {"", " "}}})
		}, "metadata row 1 is blank", nil},
		{"cell with a tab", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "y"}, Rows: [][]string{{"a", "b"}, {"c", "d\te"}}})
		}, `metadata row 1 cell 1 "d\te" contains '\t'`, nil},
		{"column with a newline", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "y\n"}, Rows: [][]string{{"a", "b"}, {"c", "d"}}})
		}, `column 1 "y\n" contains '\n'`, nil},
		{"blank column", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", ""}, Rows: [][]string{{"a", "b"}, {"c", "d"}}})
		}, `column 1, "", is blank`, nil},
		{"duplicate column", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Columns: []string{"x", "x"}, Rows: [][]string{{"a", "b"}, {"c", "d"}}})
		}, `column "x" appears twice`, nil},
		{"sprites short", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Sprites: []image.Image{sprite}})
		}, "1 sprites for 2 vectors", nil},
		{"sprites empty", func(w *Writer) error { return w.Embedding("e", 0, two, EmbeddingOptions{Sprites: []image.Image{}}) }, "0 sprites for 2 vectors", nil},
		{"sprite size without sprites", func(w *Writer) error { return w.Embedding("e", 0, two, EmbeddingOptions{SpriteSize: 8}) }, "0 sprites for 2 vectors", nil},
		{"nil sprite", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Sprites: []image.Image{sprite, nil}})
		}, "sprite 1 is nil", nil},
		{"empty sprite", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Sprites: []image.Image{sprite, image.NewGray(image.Rect(0, 0, 3, 0))}})
		}, "sprite 1 is 3x0", ErrImageSize},
		{"negative sprite size", func(w *Writer) error {
			return w.Embedding("e", 0, two, EmbeddingOptions{Sprites: []image.Image{sprite, sprite}, SpriteSize: -1})
		}, "sprite size -1", nil},
		{"sprite sheet too large", func(w *Writer) error {
			big := projSized{image.Rect(0, 0, 4097, 100)}
			return w.Embedding("e", 0, two, EmbeddingOptions{Sprites: []image.Image{big, big}})
		}, "2 sprites of 4097x4097 pixels take 2 cells a side, 8194 pixels, more than 8192 (set SpriteSize to at most 4096)", ErrSpriteTooLarge},
		{"one sprite too large", func(w *Writer) error {
			return w.EmbeddingMatrix("e", 0, projMatrix{1, 2}, EmbeddingOptions{Sprites: []image.Image{projSized{image.Rect(0, 0, 1, 8193)}}})
		}, "8193 pixels", ErrSpriteTooLarge},
		{"too many sprites", func(w *Writer) error {
			n := 81*81 + 1
			small := projSized{image.Rect(0, 0, 100, 100)}
			sprites := make([]image.Image, n)
			for i := range sprites {
				sprites[i] = small
			}
			return w.EmbeddingMatrix("e", 0, projMatrix{n, 2}, EmbeddingOptions{Sprites: sprites})
		}, "82 cells a side, 8200 pixels", ErrSpriteTooLarge},
	}

	// A run with an embedding already, which bad input must leave as it is.
	w, dir := newTestWriter(t)
	defer w.Close()
	if err := w.Embedding("e", 0, two, EmbeddingOptions{Labels: []string{"a", "b"}, Sprites: []image.Image{sprite, sprite}}); err != nil {
		t.Fatal(err)
	}
	before := projFiles(t, dir)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.call(w)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one starting with \"summary: \" and containing %q", err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if after := projFiles(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("the run changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func TestEmbeddingConfigAccumulates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := NewWriter(dir, &Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	two := [][]float64{{1, 2}, {3, 4}}
	sprites := []image.Image{projSolid(1, 1, projRed), projSolid(1, 1, projBlue)}
	for _, call := range []func() error{
		func() error {
			return w.Embedding("a", 1, two, EmbeddingOptions{Labels: []string{"x", "y"}, Sprites: sprites})
		},
		func() error { return w.Embedding("b", 1, two, EmbeddingOptions{}) },
		func() error { return w.Embedding("a", 2, two, EmbeddingOptions{}) },
		// a at step 1 again, without metadata or sprites: replaces it.
		func() error { return w.Embedding("a", 1, [][]float64{{5, 6}}, EmbeddingOptions{}) },
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A second Writer in the same run (a resumed run) keeps what the
	// first listed.
	w2, err := NewWriter(dir, &Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if err := w2.Embedding("c", 3, two, EmbeddingOptions{}); err != nil {
		t.Fatal(err)
	}
	info := func(tag, step string, n uint32) *tbpb.EmbeddingInfo {
		return &tbpb.EmbeddingInfo{
			TensorName:  tag + ":" + step,
			TensorPath:  "projector/" + step + "/" + tag + "/tensors.tsv",
			TensorShape: []uint32{n, 2},
		}
	}
	want := &tbpb.ProjectorConfig{Embeddings: []*tbpb.EmbeddingInfo{
		info("a", "00001", 1), info("b", "00001", 2), info("a", "00002", 2), info("c", "00003", 2),
	}}
	if cfg := projConfig(t, dir); !proto.Equal(cfg, want) {
		t.Errorf("config = %v, want %v", cfg, want)
	}
	files := projFiles(t, dir)
	if got := files["projector/00001/a/tensors.tsv"]; got != "5\t6\n" {
		t.Errorf("replaced tensors = %q, want %q", got, "5\t6\n")
	}
	for _, stale := range []string{"projector/00001/a/metadata.tsv", "projector/00001/a/sprite.png"} {
		if _, ok := files[stale]; ok {
			t.Errorf("%s is left from the replaced embedding", stale)
		}
	}
}

func TestEmbeddingKeepsForeignConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		config  string
		want    *tbpb.ProjectorConfig // nil: an error, the file untouched
		wantErr string
	}{{
		desc:   "tensorboardX's config",
		config: "embeddings {\ntensor_name: \"default:00000\"\ntensor_path: \"00000/default/tensors.tsv\"\nsprite {\nimage_path: \"00000/default/sprite.png\"\nsingle_image_dim: 28\nsingle_image_dim: 28\n}\n}\n",
		want: &tbpb.ProjectorConfig{Embeddings: []*tbpb.EmbeddingInfo{{
			TensorName: "default:00000",
			TensorPath: "00000/default/tensors.tsv",
			Sprite:     &tbpb.SpriteMetadata{ImagePath: "00000/default/sprite.png", SingleImageDim: []uint32{28, 28}},
		}, {
			TensorName: "e:00000", TensorPath: "projector/00000/e/tensors.tsv", TensorShape: []uint32{2, 2},
		}}},
	}, {
		desc:    "not a config",
		config:  "embeddings { tensor_name: 3 ",
		wantErr: "is not a projector config, not replacing it",
	}}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			w, dir := newTestWriter(t)
			defer w.Close()
			name := filepath.Join(dir, ProjectorConfigFile)
			if err := os.WriteFile(name, []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			err := w.Embedding("e", 0, [][]float64{{1, 2}, {3, 4}}, EmbeddingOptions{})
			if tt.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				if cfg := projConfig(t, dir); !proto.Equal(cfg, tt.want) {
					t.Errorf("config = %v, want %v", cfg, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			files := projFiles(t, dir)
			if len(files) != 1 || files[ProjectorConfigFile] != tt.config {
				t.Errorf("the run changed: %q", files)
			}
		})
	}
}

func TestEmbeddingClosedWriter(t *testing.T) {
	t.Parallel()
	w, dir := newTestWriter(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	err := w.Embedding("e", 0, [][]float64{{1, 2}}, EmbeddingOptions{})
	if !errors.Is(err, tfevents.ErrClosed) {
		t.Errorf("Embedding after Close = %v, want tfevents.ErrClosed", err)
	}
	if files := projFiles(t, dir); len(files) != 0 {
		t.Errorf("files written after Close: %q", files)
	}
}

func TestEmbeddingConcurrent(t *testing.T) {
	t.Parallel()
	w, dir := newTestWriter(t)
	defer w.Close()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- w.Embedding(fmt.Sprint("e", i), int64(i), [][]float64{{float64(i), 1}}, EmbeddingOptions{})
			errs <- w.Scalar("loss", int64(i), float64(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	names := map[string]bool{}
	for _, e := range projConfig(t, dir).Embeddings {
		names[e.TensorName] = true
	}
	for i := range n {
		if name := fmt.Sprintf("e%d:%05d", i, i); !names[name] {
			t.Errorf("config lacks %s; it has %v", name, names)
		}
	}
	if len(names) != n {
		t.Errorf("config lists %d embeddings, want %d", len(names), n)
	}
}

func TestTagDir(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	tests := []struct {
		desc, tag, want string
	}{
		{"plain", "words", "words"},
		{"kept punctuation", "a-b_c.d", "a-b_c.d"},
		{"slash and space", "layer/out put", "layer%2Fout%20put"},
		{"leading dot", ".hidden", "%2Ehidden"},
		{"dot", ".", "%2E"},
		{"dot dot", "..", "%2E."},
		{"percent", "50%", "50%25"},
		{"tilde", "a~b", "a%7Eb"},
		{"non-ASCII", "é", "%C3%A9"},
		{"long", long, strings.Repeat("x", maxTagDir-17) + "~"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := tagDir(tt.tag)
			if !strings.HasPrefix(got, tt.want) || (tt.desc != "long" && got != tt.want) {
				t.Errorf("tagDir(%q) = %q, want %q", tt.tag, got, tt.want)
			}
			if len(got) > maxTagDir || filepath.Base(got) != got || strings.Trim(got, ".") == "" {
				t.Errorf("tagDir(%q) = %q is not a safe directory name", tt.tag, got)
			}
		})
	}
	if a, b := tagDir(long+"a"), tagDir(long+"b"); a == b {
		t.Errorf("long tags differing at the end share directory %q", a)
	}
}
