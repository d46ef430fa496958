package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestPNGEncoderRoundTrip(t *testing.T) {
	var enc PNGEncoder
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 2, color.NRGBA{1, 2, 3, 4})
	var buf []byte
	for range 3 { // reuse must not corrupt later encodings
		var err error
		buf, err = enc.AppendPNG(buf[:0], img)
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	if c := color.NRGBAModel.Convert(got.At(1, 2)); c != (color.NRGBA{1, 2, 3, 4}) {
		t.Errorf("decoded pixel %v", c)
	}
}

// TestPNGEncoderLevelBySize checks the zero PNGEncoder stores small images and
// compresses large ones, and that both decode to the same pixels.
func TestPNGEncoderLevelBySize(t *testing.T) {
	for _, size := range []int{28, 256} {
		img := image.NewGray(image.Rect(0, 0, size, size))
		for i := range img.Pix {
			img.Pix[i] = uint8(i / size) // smooth: compresses well
		}
		var e PNGEncoder
		out, err := e.AppendPNG(nil, img)
		if err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := got.(*image.Gray); !ok || !bytes.Equal(g.Pix, img.Pix) {
			t.Errorf("%dx%d: decoded pixels differ", size, size)
		}
		raw := size * size
		stored := raw <= StoreLimit
		if stored && len(out) < raw || !stored && len(out) > raw/4 {
			t.Errorf("%dx%d: %d bytes for %d pixel bytes; stored = %v", size, size, len(out), raw, stored)
		}
	}
}

func TestPNGEncoderEmpty(t *testing.T) {
	var enc PNGEncoder
	dst := []byte("kept")
	out, err := enc.AppendPNG(dst, image.NewGray(image.Rect(0, 0, 0, 5)))
	if !errors.Is(err, ErrImageSize) || string(out) != "kept" {
		t.Errorf("AppendPNG of a 0x5 image = %q, %v; want dst unchanged and ErrImageSize", out, err)
	}
}
