package summary

import (
	"fmt"
	"image"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// VideoValue returns an image summary value holding frames, all of one
// size, as one animated GIF that loops forever, shown at fps frames per
// second; TensorBoard's images dashboard plays it.
//
// GIF stores a frame's delay in hundredths of a second, and browsers show
// delays under two hundredths as a tenth of a second, so the delay is
// 100/fps rounded, and at least 2: a video faster than 50 fps plays at 50,
// and 30 fps plays at 100/3. A delay over 65535 hundredths (fps under
// about 0.0015) is cut to that.
//
// GIF holds at most 256 colours, shared here by all frames. A video of at
// most 256 distinct colours keeps them exactly. Otherwise the palette is
// made by median cut: colours are counted at 5 bits per channel, the
// colour cube is split 255 times, each time the box holding the most
// pixels (of those with more than one colour) at the median pixel along
// its longest side, and each box becomes its mean colour; pixels take the
// colour of their box, without dithering. Transparency is not kept:
// translucent pixels are drawn over black.
func VideoValue(tag string, frames []image.Image, fps float64, m Meta) (*tbpb.Summary_Value, error) {
	g, err := encodeVideo(tag, frames, fps)
	if err != nil {
		return nil, err
	}
	size := frames[0].Bounds().Size()
	return ImageValue(tag, size.X, size.Y, [][]byte{g}, m)
}

// encodeVideo checks tag and encodes frames as VideoValue says.
func encodeVideo(tag string, frames []image.Image, fps float64) ([]byte, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	g, err := media.EncodeGIF(frames, fps)
	if err != nil {
		return nil, fmt.Errorf("summary: video %q: %w", tag, err)
	}
	return g, nil
}

// Video writes frames, all of one size, as an animated GIF played at fps
// frames per second in the images dashboard (see VideoValue). The GIF is
// encoded before the Writer is locked, so other goroutines may go on
// writing meanwhile.
func (w *Writer) Video(tag string, step int64, frames []image.Image, fps float64) (err error) {
	defer w.note(&err)
	g, err := encodeVideo(tag, frames, fps)
	if err != nil {
		return err
	}
	size := frames[0].Bounds().Size()
	return w.writeBuilt(tag, step, PluginImages, func(m Meta) (*tbpb.Summary_Value, error) {
		return ImageValue(tag, size.X, size.Y, [][]byte{g}, m)
	})
}
