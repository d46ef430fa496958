package summary

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// ErrImageSize is wrapped by errors about an image with no pixels, a size
// that does not match its data, or images of one batch (a step of Images,
// the frames of a Video) whose sizes differ.
var ErrImageSize = media.ErrImageSize

// ImageValue returns an image summary value from already encoded images
// (PNG, JPEG, GIF or BMP, all width by height): a DT_STRING [2+n] tensor
// ("width", "height", image...) with images metadata and data class
// BLOB_SEQUENCE. Writer.Image and Writer.Images encode image.Image values
// themselves; image/png encodes one for ImageValue.
func ImageValue(tag string, width, height int, encoded [][]byte, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("summary: %w: image %q is %dx%d", ErrImageSize, tag, width, height)
	}
	if len(encoded) == 0 {
		return nil, fmt.Errorf("summary: image %q: no images", tag)
	}
	vals := make([][]byte, 0, 2+len(encoded))
	vals = append(vals, strconv.AppendInt(nil, int64(width), 10), strconv.AppendInt(nil, int64(height), 10))
	for i, e := range encoded {
		if len(e) == 0 {
			return nil, fmt.Errorf("summary: image %q: image %d is empty", tag, i)
		}
		vals = append(vals, e)
	}
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginImages, nil, tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:       tbpb.DataType_DT_STRING,
			TensorShape: shape(int64(len(vals))),
			StringVal:   vals,
		}},
	}, nil
}

// Pixel is the element type of raw image data: bytes in [0, 255] or floats
// in [0, 1].
type Pixel interface {
	~uint8 | ~float32 | ~float64
}

// PixelOrder says how raw image data is ordered: which of height, width
// and channels varies slowest. (A CustomLayout, by contrast, arranges
// charts.)
type PixelOrder int

const (
	// HWC is height, width, channels: the channels of a pixel are adjacent
	// (Go's image packages, PIL, TensorFlow).
	HWC PixelOrder = iota
	// CHW is channels, height, width: one plane per channel (PyTorch).
	CHW
)

// FromRaw converts raw pixel data of the given size and pixel order to an image.
// channels is 1 (grey), 3 (RGB) or 4 (RGBA, not premultiplied). Floats are
// taken to lie in [0, 1] and are scaled to bytes, values outside clamped;
// NaN is an error.
func FromRaw[T Pixel](data []T, order PixelOrder, height, width, channels int) (image.Image, error) {
	if height <= 0 || width <= 0 {
		return nil, fmt.Errorf("summary: %w: %dx%d", ErrImageSize, width, height)
	}
	if channels != 1 && channels != 3 && channels != 4 {
		return nil, fmt.Errorf("summary: %d channels, want 1, 3 or 4", channels)
	}
	if height > math.MaxInt32/width/channels || len(data) != height*width*channels {
		return nil, fmt.Errorf("summary: %w: %d values for %dx%dx%d", ErrImageSize, len(data), height, width, channels)
	}
	if order != HWC && order != CHW {
		return nil, fmt.Errorf("summary: unknown pixel order %d", order)
	}
	plane := height * width
	index := func(y, x, c int) int { // position of channel c of pixel (x, y)
		if order == CHW {
			return c*plane + y*width + x
		}
		return (y*width+x)*channels + c
	}
	var conv func(T) (uint8, error)
	switch any(data).(type) {
	case []uint8:
		conv = func(v T) (uint8, error) { return uint8(v), nil }
	default:
		conv = func(v T) (uint8, error) {
			f := float64(v)
			if math.IsNaN(f) {
				return 0, fmt.Errorf("summary: NaN pixel value")
			}
			return uint8(math.Round(min(max(f, 0), 1) * 255)), nil
		}
	}
	if channels == 1 {
		img := image.NewGray(image.Rect(0, 0, width, height))
		for y := range height {
			for x := range width {
				v, err := conv(data[index(y, x, 0)])
				if err != nil {
					return nil, fmt.Errorf("%w at (%d, %d)", err, x, y)
				}
				img.Pix[y*img.Stride+x] = v
			}
		}
		return img, nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			p := img.Pix[y*img.Stride+4*x : y*img.Stride+4*x+4]
			p[3] = 255
			for c := range channels {
				v, err := conv(data[index(y, x, c)])
				if err != nil {
					return nil, fmt.Errorf("%w at (%d, %d) channel %d", err, x, y, c)
				}
				p[c] = v
			}
		}
	}
	return img, nil
}

// FromMatrix renders m as a grey image, each element a square of scale by
// scale pixels (one pixel for scale 0 or 1), rows top to bottom, scaled so
// that the smallest element is black and the largest white. A constant
// matrix is mid-grey. NaN or ±Inf is an error, and so is an image of more
// than 2^31 pixels. Scale up what TensorBoard would show as a thumbnail: a
// 64x16 weight matrix at scale 8 is 512x128.
func FromMatrix(m mat.Matrix, scale int) (*image.Gray, error) {
	r, c := m.Dims()
	if scale < 0 {
		return nil, fmt.Errorf("summary: matrix image at scale %d", scale)
	}
	scale = max(scale, 1)
	if r == 0 || c == 0 || r > math.MaxInt32/c/scale/scale {
		return nil, fmt.Errorf("summary: %w: matrix is %dx%d at scale %d", ErrImageSize, r, c, scale)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range r {
		for j := range c {
			v := m.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: matrix element (%d, %d) is %v", ErrNonFinite, i, j, v)
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	img := image.NewGray(image.Rect(0, 0, c*scale, r*scale))
	for i := range r {
		row := img.Pix[i*scale*img.Stride : i*scale*img.Stride+c*scale]
		for j := range c {
			g := uint8(128)
			if hi > lo {
				g = uint8(math.Round((m.At(i, j) - lo) / (hi - lo) * 255))
			}
			for k := range scale {
				row[j*scale+k] = g
			}
		}
		for k := 1; k < scale; k++ {
			copy(img.Pix[(i*scale+k)*img.Stride:], row)
		}
	}
	return img, nil
}

// filterBorder is the colour between the tiles of Filters: dark blue, a
// colour no grey tile has.
var filterBorder = color.RGBA{0, 0, 96, 255}

// Filters draws each row of m as a filter: a layer's weights, one row per
// unit (a gonum layer's transposed weight matrix, say), each row read as a
// height by width grey image in row-major order (zero height and width
// mean a square, for rows of a square number of weights), scaled up by
// scale as FromMatrix does, its own smallest weight black and largest
// white. The tiles are laid out by Grid in a near-square grid, one pixel
// of dark blue around each. Of a first layer on 28x28 images, each tile
// shows what a unit looks for.
func Filters(m mat.Matrix, height, width, scale int) (*image.NRGBA, error) {
	r, c := m.Dims()
	if height == 0 && width == 0 {
		side := int(math.Round(math.Sqrt(float64(c))))
		height, width = side, side
	}
	if height <= 0 || width <= 0 || height*width != c {
		return nil, fmt.Errorf("summary: %w: filters of %d weights are not %dx%d images", ErrImageSize, c, height, width)
	}
	tiles := make([]image.Image, r)
	row := make([]float64, c)
	for i := range r {
		mat.Row(row, i, m)
		img, err := FromMatrix(mat.NewDense(height, width, row), scale)
		if err != nil {
			return nil, fmt.Errorf("summary: filter %d: %w", i, err)
		}
		tiles[i] = img
	}
	return Grid(tiles, 0, 1, filterBorder)
}

// Grid tiles images into one picture, cols per row (a near-square grid if
// cols is 0), each in a cell the size of the largest image, with pad pixels
// of background between and around cells. A nil background is black. It is
// the usual way to show a layer's filters as one image.
func Grid(images []image.Image, cols, pad int, background color.Color) (*image.NRGBA, error) {
	if len(images) == 0 {
		return nil, errors.New("summary: grid of no images")
	}
	if cols < 0 || pad < 0 {
		return nil, fmt.Errorf("summary: grid with %d columns and padding %d", cols, pad)
	}
	if cols == 0 {
		cols = int(math.Ceil(math.Sqrt(float64(len(images)))))
	}
	cols = min(cols, len(images))
	rows := (len(images) + cols - 1) / cols
	cw, ch := 0, 0
	for i, img := range images {
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 {
			return nil, fmt.Errorf("summary: %w: grid image %d is %dx%d", ErrImageSize, i, b.Dx(), b.Dy())
		}
		cw, ch = max(cw, b.Dx()), max(ch, b.Dy())
	}
	out := image.NewNRGBA(image.Rect(0, 0, cols*cw+(cols+1)*pad, rows*ch+(rows+1)*pad))
	if background == nil {
		background = color.Black
	}
	draw.Draw(out, out.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	for i, img := range images {
		x := pad + (i%cols)*(cw+pad)
		y := pad + (i/cols)*(ch+pad)
		b := img.Bounds()
		draw.Draw(out, image.Rect(x, y, x+b.Dx(), y+b.Dy()), img, b.Min, draw.Src)
	}
	return out, nil
}
