package media

import (
	"errors"
	"fmt"
	"image"
	"image/png"
)

// ErrImageSize is wrapped by errors about an image with no pixels, one too
// large for its format, or images of a batch whose sizes differ.
var ErrImageSize = errors.New("bad image size")

// StoreLimit is the largest pixel size (width x height x bytes per pixel)
// that the zero PNGEncoder stores uncompressed.
const StoreLimit = 4 << 10

// A PNGEncoder encodes images to PNG, reusing its compression state from
// one call to the next. The zero PNGEncoder is ready to use; it is not
// safe for concurrent use.
type PNGEncoder struct {
	// CompressionLevel is passed to image/png, except that the zero value
	// (png.DefaultCompression) chooses by size: images of at most
	// StoreLimit bytes of pixels are stored uncompressed, because building
	// the compressor's Huffman tables costs far more than the few hundred
	// bytes it would save, and larger ones use png.BestSpeed.
	CompressionLevel png.CompressionLevel

	enc  png.Encoder
	pool pngPool
}

// pngPool keeps the one buffer of a PNGEncoder between calls.
type pngPool struct{ b *png.EncoderBuffer }

func (p *pngPool) Get() *png.EncoderBuffer  { return p.b }
func (p *pngPool) Put(b *png.EncoderBuffer) { p.b = b }

// appender is an io.Writer that appends to a slice.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// AppendPNG appends the PNG encoding of img to dst.
func (e *PNGEncoder) AppendPNG(dst []byte, img image.Image) ([]byte, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return dst, fmt.Errorf("%w: image is %dx%d", ErrImageSize, b.Dx(), b.Dy())
	}
	level := e.CompressionLevel
	if level == png.DefaultCompression {
		level = png.BestSpeed
		if b.Dx()*b.Dy()*bytesPerPixel(img) <= StoreLimit {
			level = png.NoCompression
		}
	}
	e.enc.CompressionLevel = level
	e.enc.BufferPool = &e.pool
	a := appender{dst}
	if err := e.enc.Encode(&a, img); err != nil {
		return dst, fmt.Errorf("encode png: %w", err)
	}
	return a.b, nil
}

// bytesPerPixel estimates how many bytes image/png writes per pixel.
func bytesPerPixel(img image.Image) int {
	switch img.(type) {
	case *image.Gray, *image.Paletted:
		return 1
	case *image.Gray16:
		return 2
	case *image.RGBA64, *image.NRGBA64:
		return 8
	}
	return 4
}
