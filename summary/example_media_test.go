package summary_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"log"
	"math"
	"os"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// readBack returns the values of the event file name, which must be
// whole: ReadEventFile reads a small, finished file, a Decoder decodes its
// events.
func readBack(name string) []summary.Value {
	evs, err := tfevents.ReadEventFile(name)
	if err != nil {
		log.Fatal(err)
	}
	var d summary.Decoder
	var vals []summary.Value
	for _, ev := range evs {
		if vals, err = d.Event(vals, ev); err != nil {
			log.Fatal(err)
		}
	}
	return vals
}

// Two clips at 16 kHz, a mono tone and a stereo pair, as one step of the
// audio dashboard.
func ExampleWriter_Audio() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}

	const rate = 16000
	tone := make([]float32, rate/10) // 0.1 s of 440 Hz
	for i := range tone {
		tone[i] = 0.5 * float32(math.Sin(2*math.Pi*440*float64(i)/rate))
	}
	stereo := make([]float32, 2*len(tone)) // the tone left, silence right
	for i, x := range tone {
		stereo[2*i] = x
	}
	err = w.Audio("samples/tone", 100, rate,
		summary.Clip{Samples: tone, Label: "440 Hz"},
		summary.Clip{Samples: stereo, Channels: 2, Label: "left only"})
	if err != nil {
		log.Fatal(err)
	}

	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	for _, v := range readBack(w.FileName()) {
		fmt.Printf("%s step %d: %v, %s\n", v.Tag, v.Step, v.Kind, v.ContentType)
		for i, wav := range v.Blobs {
			clip, rate, err := summary.DecodeWAV(wav)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("clip %d %q: %d bytes, %d channels at %v Hz, %d frames\n",
				i, v.Labels[i], len(wav), clip.Channels, rate, len(clip.Samples)/clip.Channels)
		}
	}
	// Output:
	// samples/tone step 100: audio, audio/wav
	// clip 0 "440 Hz": 3244 bytes, 1 channels at 16000 Hz, 1600 frames
	// clip 1 "left only": 6444 bytes, 2 channels at 16000 Hz, 1600 frames
}

// A square moving across ten frames becomes an animated GIF in the images
// dashboard.
func ExampleWriter_Video() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}

	var frames []image.Image
	for f := range 10 {
		img := image.NewRGBA(image.Rect(0, 0, 32, 16))
		for y := 4; y < 12; y++ {
			for x := 2 * f; x < 2*f+8; x++ {
				img.Set(x, y, color.RGBA{255, 128, 0, 255})
			}
		}
		frames = append(frames, img)
	}
	if err := w.Video("rollout", 5, frames, 10); err != nil {
		log.Fatal(err)
	}

	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	for _, v := range readBack(w.FileName()) {
		g, err := gif.DecodeAll(bytes.NewReader(v.Blobs[0]))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s step %d: %v %dx%d, %d frames of %d ms, loop count %d\n",
			v.Tag, v.Step, v.Kind, v.Width, v.Height, len(g.Image), 10*g.Delay[0], g.LoopCount)
	}
	// Output:
	// rollout step 5: image 32x16, 10 frames of 100 ms, loop count 0
}

// A coloured triangle mesh goes to the mesh dashboard as one value per
// part, all in one event.
func ExampleWriter_Mesh() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}

	square := summary.Mesh{
		Vertices: [][][3]float32{{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}}},
		Faces:    [][][3]int32{{{0, 1, 2}, {0, 2, 3}}},
		Colors:   [][][3]uint8{{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}}},
		Config:   map[string]any{"camera": map[string]any{"cls": "PerspectiveCamera", "fov": 75}},
	}
	if err := w.Mesh("square", 0, square); err != nil {
		log.Fatal(err)
	}

	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	for _, v := range readBack(w.FileName()) {
		fmt.Printf("%s step %d: %s %v %v\n", v.Tag, v.Step, v.Plugin, v.Tensor.GetDtype(), v.Shape)
	}
	// Output:
	// square_VERTEX step 0: mesh DT_FLOAT [1 4 3]
	// square_FACE step 0: mesh DT_INT32 [1 2 3]
	// square_COLOR step 0: mesh DT_UINT8 [1 4 3]
}

// EncodeWAV writes 16-bit PCM: a sample x becomes round(x * 32768),
// clamped to the 16-bit range.
func ExampleEncodeWAV() {
	wav, err := summary.EncodeWAV(summary.Clip{Samples: []float32{0, 0.5, -1, 1.5}}, 8000)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", wav[:16])
	fmt.Printf("% x\n", wav[44:])
	// Output:
	// "RIFF,\x00\x00\x00WAVEfmt "
	// 00 00 00 40 00 80 ff 7f
}
