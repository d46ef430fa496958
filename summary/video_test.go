package summary

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"math"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// dotFrames returns n frames of 5 x 4 pixels: a green dot moving across
// a grey background.
func dotFrames(n int) []image.Image {
	frames := make([]image.Image, n)
	for f := range frames {
		img := image.NewRGBA(image.Rect(0, 0, 5, 4))
		draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, draw.Src)
		img.SetRGBA(f%5, 2, color.RGBA{10, 200, 30, 255})
		frames[f] = img
	}
	return frames
}

// Writer.Video refuses bad input before writing anything.
func TestWriterVideoErrors(t *testing.T) {
	frames := dotFrames(3)
	odd := append(dotFrames(2), image.NewRGBA(image.Rect(0, 0, 5, 5)))
	for _, tt := range []struct {
		desc   string
		frames []image.Image
		fps    float64
		msg    string
	}{
		{"no frames", nil, 10, `video "v": no frames`},
		{"nil frame", []image.Image{frames[0], nil}, 10, `video "v": frame 1 is nil`},
		{"mismatched sizes", odd, 10, `video "v": bad image size: frame 2 is 5x5, frame 0 is 5x4`},
		{"empty frames", []image.Image{image.NewRGBA(image.Rect(0, 0, 0, 3))}, 10, "frames are 0x3"},
		{"too wide for GIF", []image.Image{image.NewGray(image.Rect(0, 0, 1<<16, 1))}, 10, "frames are 65536x1"},
		{"fps 0", frames, 0, `video "v": 0 frames per second`},
		{"negative fps", frames, -5, "-5 frames per second"},
		{"NaN fps", frames, math.NaN(), "NaN frames per second"},
		{"infinite fps", frames, math.Inf(1), "+Inf frames per second"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			vals, err := writeAndDecode(t, func(w *Writer) error { return w.Video("v", 1, tt.frames, tt.fps) })
			if err == nil || !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one saying %q", err, tt.msg)
			}
			if len(vals) != 0 {
				t.Errorf("%d values written, want none", len(vals))
			}
		})
	}
}

// What Writer.Video writes, the Decoder reads back as an image value
// holding the GIF that media.EncodeGIF makes.
func TestWriterVideoDecode(t *testing.T) {
	frames := dotFrames(5)
	want, err := media.EncodeGIF(frames, 5)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := writeAndDecode(t, func(w *Writer) error { return w.Video("clip", 7, frames, 5) })
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 {
		t.Fatalf("%d values, want 1", len(vals))
	}
	v := vals[0]
	if v.Kind != KindImage || v.Plugin != PluginImages || v.Tag != "clip" || v.Step != 7 ||
		v.DataClass != tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE || v.Width != 5 || v.Height != 4 {
		t.Errorf("value = %+v", v)
	}
	if len(v.Blobs) != 1 || !bytes.Equal(v.Blobs[0], want) {
		t.Fatalf("value holds %d blobs, want the GIF of media.EncodeGIF", len(v.Blobs))
	}
	if g, err := gif.DecodeAll(bytes.NewReader(v.Blobs[0])); err != nil || len(g.Image) != 5 || g.Delay[0] != 20 {
		t.Errorf("GIF of %d frames, delay %d; want 5 frames of 20", len(g.Image), g.Delay[0])
	}
}

func TestVideoValue(t *testing.T) {
	frames := dotFrames(2)
	v, err := VideoValue("v", frames, 10, Meta{Description: "a dot"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := media.EncodeGIF(frames, 10)
	if err != nil {
		t.Fatal(err)
	}
	sv := v.GetTensor().GetStringVal()
	if len(sv) != 3 || string(sv[0]) != "5" || string(sv[1]) != "4" || !bytes.Equal(sv[2], g) {
		t.Errorf("tensor strings %q..., want 5, 4 and the GIF", sv[:min(len(sv), 2)])
	}
	if md := v.GetMetadata(); md.GetPluginData().GetPluginName() != PluginImages || md.GetSummaryDescription() != "a dot" {
		t.Errorf("metadata %v", md)
	}
	if _, err := VideoValue("v", nil, 10, Meta{}); err == nil || !strings.Contains(err.Error(), `video "v": no frames`) {
		t.Errorf("VideoValue of no frames: %v", err)
	}
}
