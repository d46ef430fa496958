//go:build compat

package compat

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/summary"
)

// A projEmbedding is an embedding written to the Projector test's logdir,
// with what the Projector must serve for it.
type projEmbedding struct {
	run, name string // run and tensor name
	tag       string
	step      int64
	vectors   [][]float64
	opts      summary.EmbeddingOptions
	metadata  string        // the TSV the metadata endpoint must serve, "" if none
	colours   []color.NRGBA // the colour of each thumbnail, if any
	cell      int           // thumbnail size
}

// projThumb returns an image of one colour.
func projThumb(w, h int, c color.NRGBA) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// writeProjectorLogdir writes two runs of embeddings into logdir: alpha
// holds nothing but embeddings (its event file has only the first event),
// beta also a scalar.
func writeProjectorLogdir(t *testing.T, logdir string) []*projEmbedding {
	t.Helper()
	colours := []color.NRGBA{
		{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255},
		{255, 255, 0, 255}, {0, 255, 255, 255}, {255, 0, 255, 128},
	}
	thumbs := make([]image.Image, len(colours))
	for i, c := range colours {
		thumbs[i] = projThumb(6, 6, c)
	}
	embeddings := []*projEmbedding{{
		run: "alpha", tag: "words", step: 0, name: "words:00000",
		vectors: [][]float64{
			{0.1, 1.0 / 3, -2.5e-8},
			{1e30, math.Copysign(0, -1), 7},
			{math.MaxFloat32, math.SmallestNonzeroFloat32, -1},
			{123456.789, 0.5, 0.25},
		},
		opts:     summary.EmbeddingOptions{Labels: []string{"cat", "dog", "naïve 🐟", "a b"}},
		metadata: "cat\ndog\nnaïve 🐟\na b\n",
	}, {
		run: "alpha", tag: "digits/train", step: 5, name: "digits/train:00005",
		vectors: [][]float64{
			{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}, {1, 1, 0, 0}, {0, 0, 1, 1},
		},
		opts: summary.EmbeddingOptions{
			Columns: []string{"digit", "parity", "note"},
			Rows: [][]string{
				{"0", "even", "first"}, {"1", "odd", ""}, {"2", "even", "x"},
				{"3", "odd", ""}, {"4", "even", "y"}, {"5", "odd", "last"},
			},
			Sprites: thumbs,
		},
		metadata: "digit\tparity\tnote\n0\teven\tfirst\n1\todd\t\n2\teven\tx\n3\todd\t\n4\teven\ty\n5\todd\tlast\n",
		colours:  colours,
		cell:     6,
	}, {
		run: "beta", tag: "words", step: 10, name: "words:00010",
		vectors: [][]float64{{-1, 1}, {2, -2}, {0.3, 0.7}},
		opts: summary.EmbeddingOptions{
			Columns:    []string{"word", "count"},
			Rows:       [][]string{{"sun", "3"}, {"moon", "1"}, {"star", "9"}},
			Sprites:    thumbs[:3],
			SpriteSize: 3,
		},
		metadata: "word\tcount\nsun\t3\nmoon\t1\nstar\t9\n",
		colours:  colours[:3],
		cell:     3,
	}}
	writers := map[string]*summary.Writer{}
	for _, e := range embeddings {
		w := writers[e.run]
		if w == nil {
			var err error
			if w, err = summary.NewWriter(filepath.Join(logdir, e.run), nil); err != nil {
				t.Fatal(err)
			}
			writers[e.run] = w
		}
		var err error
		if e.run == "alpha" {
			err = w.Embedding(e.tag, e.step, e.vectors, e.opts)
		} else {
			m := mat.NewDense(len(e.vectors), len(e.vectors[0]), nil)
			for i, v := range e.vectors {
				m.SetRow(i, v)
			}
			err = w.EmbeddingMatrix(e.tag, e.step, m, e.opts)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := writers["beta"].Scalar("loss", 10, 0.5); err != nil {
		t.Fatal(err)
	}
	for _, w := range writers {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return embeddings
}

// TestProjector writes embeddings with tbgo and reads them back through the
// Projector plugin's HTTP API of TensorBoard with either loader: the runs
// it lists, each run's config, the tensors as float32, the metadata TSV and
// the sprite sheet.
func TestProjector(t *testing.T) {
	logdir := t.TempDir()
	embeddings := writeProjectorLogdir(t, logdir)
	// The projector serves files from disk: a server is ready once it
	// serves at all.
	configs := bothLoaders(logdir, nil)
	servers := startServers(t, configs)
	for i, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkProjector(t, servers[i], logdir, embeddings)
		})
	}
}

// projInfo is the JSON of a ProjectorConfig, as /info serves it.
type projInfo struct {
	Embeddings []projInfoEmbedding `json:"embeddings"`
}

type projInfoEmbedding struct {
	TensorName   string      `json:"tensorName"`
	TensorShape  []int       `json:"tensorShape"`
	TensorPath   string      `json:"tensorPath"`
	MetadataPath string      `json:"metadataPath,omitempty"`
	Sprite       *projSprite `json:"sprite,omitempty"`
}

type projSprite struct {
	ImagePath      string `json:"imagePath"`
	SingleImageDim []int  `json:"singleImageDim"`
}

func checkProjector(t *testing.T, s *Server, logdir string, embeddings []*projEmbedding) {
	runs := []string{"alpha", "beta"}
	err := s.WaitFor("the projector runs", func() (bool, error) {
		var got []string
		if err := s.GetJSON("data/plugin/projector/runs", nil, &got); err != nil {
			return false, err
		}
		slices.Sort(got)
		if !slices.Equal(got, runs) {
			return false, fmt.Errorf("projector runs %q, want %q", got, runs)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The plugin decides it is active in a thread of its own, started by
	// the first listing.
	err = s.WaitFor("the projector in the plugin listing", func() (bool, error) {
		var listing map[string]struct {
			Enabled bool `json:"enabled"`
		}
		if err := s.GetJSON("data/plugins_listing", nil, &listing); err != nil {
			return false, err
		}
		return listing["projector"].Enabled, fmt.Errorf("projector listed as %+v", listing["projector"])
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, run := range runs {
		body, err := s.Get("data/plugin/projector/info", query("run", run))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		var got projInfo
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("run %s: info %s: %v", run, body, err)
		}
		var want projInfo
		for _, e := range embeddings {
			if e.run != run {
				continue
			}
			dir := "projector/" + fmt.Sprintf("%05d", e.step) + "/" + strings.ReplaceAll(e.tag, "/", "%2F") + "/"
			info := projInfoEmbedding{
				TensorName:  e.name,
				TensorShape: []int{len(e.vectors), len(e.vectors[0])},
				TensorPath:  dir + "tensors.tsv",
			}
			if e.metadata != "" {
				info.MetadataPath = dir + "metadata.tsv"
			}
			if e.colours != nil {
				info.Sprite = &projSprite{ImagePath: dir + "sprite.png", SingleImageDim: []int{e.cell, e.cell}}
			}
			want.Embeddings = append(want.Embeddings, info)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("run %s: info\n got %s\nwant %s", run, g, w)
		}
	}

	for _, e := range embeddings {
		q := query("run", e.run, "name", e.name)
		where := fmt.Sprintf("run %s embedding %s", e.run, e.name)

		raw, err := s.Get("data/plugin/projector/tensor", q)
		if err != nil {
			t.Fatal(err)
		}
		n, d := len(e.vectors), len(e.vectors[0])
		if len(raw) != 4*n*d {
			t.Errorf("%s: tensor of %d bytes, want %d float32s", where, len(raw), n*d)
		} else {
			for i, v := range e.vectors {
				for j, x := range v {
					bits := binary.LittleEndian.Uint32(raw[4*(i*d+j):])
					if want := math.Float32bits(float32(x)); bits != want {
						t.Errorf("%s: vector %d number %d is %v (bits %08x), want %v (bits %08x)",
							where, i, j, math.Float32frombits(bits), bits, float32(x), want)
					}
				}
			}
		}

		meta, err := s.Get("data/plugin/projector/metadata", q)
		if err != nil {
			t.Fatal(err)
		}
		if string(meta) != e.metadata {
			t.Errorf("%s: metadata %q, want %q", where, meta, e.metadata)
		}

		if e.colours == nil {
			continue
		}
		sprite, err := s.Get("data/plugin/projector/sprite_image", q)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := os.ReadFile(filepath.Join(logdir, e.run, "projector", fmt.Sprintf("%05d", e.step), strings.ReplaceAll(e.tag, "/", "%2F"), "sprite.png"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sprite, ours) {
			t.Errorf("%s: sprite image of %d bytes differs from the %d written", where, len(sprite), len(ours))
		}
		img, err := png.Decode(bytes.NewReader(sprite))
		if err != nil {
			t.Fatalf("%s: sprite image: %v", where, err)
		}
		cols := int(math.Ceil(math.Sqrt(float64(n))))
		if size := img.Bounds().Size(); size != image.Pt(cols*e.cell, cols*e.cell) {
			t.Errorf("%s: sprite sheet is %v, want %d cells of %d pixels a side", where, size, cols, e.cell)
		}
		for i, c := range e.colours {
			x, y := i%cols*e.cell+e.cell/2, i/cols*e.cell+e.cell/2
			if got := color.NRGBAModel.Convert(img.At(x, y)); got != c {
				t.Errorf("%s: thumbnail %d is %v at (%d, %d), want %v", where, i, got, x, y, c)
			}
		}
	}
}
