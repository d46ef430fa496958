package summary_test

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png" // for image.Decode
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

// Word vectors with two metadata columns, and digit features with a label
// and a thumbnail each, for TensorBoard's Projector tab.
func ExampleWriter_Embedding() {
	logdir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	run := filepath.Join(logdir, "train")
	w, err := summary.NewWriter(run, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	words := [][]float64{{0.1, 0.2, 0.3}, {0.9, 0.8, 0.7}, {0.5, 0.5, 0.5}}
	err = w.Embedding("words", 100, words, summary.EmbeddingOptions{
		Columns: []string{"word", "count"},
		Rows:    [][]string{{"cat", "12"}, {"dog", "7"}, {"fish", "3"}},
	})
	if err != nil {
		log.Fatal(err)
	}

	// Two 8x8 thumbnails, one dark and one light.
	var thumbs []image.Image
	for _, g := range []uint8{40, 220} {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		for i := range img.Pix {
			img.Pix[i] = g
		}
		thumbs = append(thumbs, img)
	}
	digits := [][]float64{{1, 0}, {0, 1}}
	err = w.Embedding("digits", 100, digits, summary.EmbeddingOptions{
		Labels:  []string{"zero", "one"},
		Sprites: thumbs,
	})
	if err != nil {
		log.Fatal(err)
	}

	// The files of the run, but the event file.
	filepath.WalkDir(run, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(d.Name(), "tfevents") {
			rel, _ := filepath.Rel(run, path)
			fmt.Println(filepath.ToSlash(rel))
		}
		return err
	})
	meta, err := os.ReadFile(filepath.Join(run, "projector/00100/words/metadata.tsv"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("words metadata: %q\n", meta)

	b, err := os.ReadFile(filepath.Join(run, summary.ProjectorConfigFile))
	if err != nil {
		log.Fatal(err)
	}
	var cfg tbpb.ProjectorConfig
	if err := prototext.Unmarshal(b, &cfg); err != nil {
		log.Fatal(err)
	}
	for _, e := range cfg.Embeddings {
		fmt.Println(e.TensorName, e.TensorShape, e.TensorPath, e.Sprite.GetSingleImageDim())
	}

	sprite, err := os.Open(filepath.Join(run, "projector/00100/digits/sprite.png"))
	if err != nil {
		log.Fatal(err)
	}
	defer sprite.Close()
	img, _, err := image.Decode(sprite)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sprite sheet:", img.Bounds().Size(), "second thumbnail:", color.GrayModel.Convert(img.At(8, 0)))
	// Output:
	// projector/00100/digits/metadata.tsv
	// projector/00100/digits/sprite.png
	// projector/00100/digits/tensors.tsv
	// projector/00100/words/metadata.tsv
	// projector/00100/words/tensors.tsv
	// projector_config.pbtxt
	// words metadata: "word\tcount\ncat\t12\ndog\t7\nfish\t3\n"
	// words:00100 [3 3] projector/00100/words/tensors.tsv []
	// digits:00100 [2 2] projector/00100/digits/tensors.tsv [8 8]
	// sprite sheet: (16,16) second thumbnail: {220}
}
