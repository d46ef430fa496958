package diag

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
)

// minCell is the smallest side, in pixels, a tile of the filters and
// inputs images is scaled up to, so that 8×8 digits or 3×3 kernels are
// visible at TensorBoard's actual size.
const minCell = 24

// greyPalette is the 256 greys, so that a grey image becomes a paletted
// one without copying: PNG encodes paletted images without trying a
// filter per row, several times faster.
var greyPalette = func() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.Gray{Y: uint8(i)}
	}
	return p
}()

// paletted returns g as a paletted image sharing its pixels.
func paletted(g *image.Gray) *image.Paletted {
	return &image.Paletted{Pix: g.Pix, Stride: g.Stride, Rect: g.Rect, Palette: greyPalette}
}

// grey renders values (h×w, row-major) as a grey image, the smallest value
// black and the largest white, scaled up by f; nil if a value is not
// finite.
func grey(values []float64, h, w, f int) *image.Gray {
	g, err := summary.FromMatrix(mat.NewDense(h, w, values), f)
	if err != nil {
		return nil
	}
	return g
}

// scaleFor returns the factor that brings a side of n pixels to at least
// minCell.
func scaleFor(n int) int { return max(1, (minCell+n-1)/n) }

// tileGrid renders the first rows of x, samples of shape s, as one grey
// image: a near-square grid of tiles with a border of 2 mid-grey pixels,
// each tile one sample with its channels side by side, scaled up so that
// it is at least minCell pixels high, its smallest value black and its
// largest white (mid-grey if constant). Values whose show[j] is false
// are drawn mid-grey and left out of the scaling (show nil shows all).
// It returns nil for vectors, and for a sample with a non-finite value. It draws straight into the grid:
// summary.Grid over FromMatrix tiles allocates per tile and goes through
// image/draw's general path, ten times slower, which the Monitor's
// overhead budget cannot afford.
func tileGrid(x *mat.Dense, rows int, s trainer.Shape, show []bool) *image.Gray {
	if s.H < 2 && s.W < 2 || rows == 0 {
		return nil
	}
	const pad = 2
	f := scaleFor(max(s.H, s.W))
	tw, th := s.C*s.W*f, s.H*f
	cols := int(math.Ceil(math.Sqrt(float64(rows))))
	grid := (rows + cols - 1) / cols
	out := image.NewGray(image.Rect(0, 0, cols*(tw+pad)+pad, grid*(th+pad)+pad))
	for i := range out.Pix {
		out.Pix[i] = 96
	}
	for n := range rows {
		row := x.RawRowView(n)[:s.Size()]
		lo, hi := math.Inf(1), math.Inf(-1)
		for j, v := range row {
			if math.IsNaN(v) {
				return nil
			}
			if show == nil || show[j] {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return nil
		}
		scale := 0.0
		if hi > lo {
			scale = 255 / (hi - lo)
		}
		x0, y0 := pad+(n%cols)*(tw+pad), pad+(n/cols)*(th+pad)
		for c := range s.C {
			for i := range s.H {
				start := (y0+i*f)*out.Stride + x0 + c*s.W*f
				line := out.Pix[start : start+s.W*f]
				base := (c*s.H + i) * s.W
				for j, v := range row[base : base+s.W] {
					g := uint8(128)
					if scale > 0 && (show == nil || show[base+j]) {
						g = uint8(math.Round((v - lo) * scale))
					}
					for k := range f {
						line[j*f+k] = g
					}
				}
				for k := 1; k < f; k++ {
					copy(out.Pix[start+k*out.Stride:], line)
				}
			}
		}
	}
	return out
}

// heat renders the first rows of the matrix x as one grey image scaled up
// so that it is at least about minCell·4 pixels on its longer side.
func heat(x *mat.Dense, rows int) *image.Gray {
	_, cols := x.Dims()
	v := make([]float64, 0, rows*cols)
	for i := range rows {
		v = append(v, x.RawRowView(i)...)
	}
	return grey(v, rows, cols, max(1, 4*minCell/max(rows, cols)))
}

// inputsImage logs a fixed batch of training inputs, the first 32 rows,
// as "inputs/batch".
func (m *Monitor) inputsImage(s *trainer.State) {
	x := s.TrainData.X
	rows := min(32, s.TrainData.Len())
	var img image.Image
	if g := tileGrid(x, rows, m.m.InShape(), nil); g != nil {
		img = paletted(g)
	} else if g := heat(x, rows); g != nil {
		img = paletted(g)
	}
	if img != nil {
		m.fail(m.w.Image("inputs/batch", 0, img))
	}
}

// filterImage logs the first dense or convolutional layer's filters as
// "filters/<layer>": each unit's weights reshaped to the input's H×W
// (a convolution's to its kernel), channels side by side, up to
// MaxFilters units, the weights of inputs that never vary in grey; a
// layer reading a vector shows its weight matrix.
func (m *Monitor) filterImage(step int) {
	l := m.filters
	if l == nil || len(l.Params) == 0 {
		return
	}
	w := l.Params[0].Value
	units, _ := w.Dims()
	n := min(units, m.o.MaxFilters)
	shape := l.In
	// The weights of input values that never vary are noise nothing
	// trains: grey them out.
	show := m.filterPix
	if l.Type == trainer.TypeConv {
		shape = trainer.Shape{C: l.In.C, H: l.Spec.Kernel, W: l.Spec.Kernel}
		show = nil
	}
	var img image.Image
	if g := tileGrid(w, n, shape, show); g != nil {
		img = paletted(g)
	} else if g := heat(w, n); g != nil {
		img = paletted(g)
	}
	if img != nil {
		m.fail(m.w.Image("filters/"+l.Name, int64(step), img))
	}
}

// confusionImage logs the confusion matrix of the last evaluation as
// "confusion/val".
func (m *Monitor) confusionImage(s *trainer.State) {
	if m.classes < 2 || s.ValData.Y == nil || len(s.ValPred) != len(s.ValData.Y) {
		return
	}
	k := m.classes
	counts := make([][]int, k)
	for i := range counts {
		counts[i] = make([]int, k)
	}
	for i, y := range s.ValData.Y {
		if p := s.ValPred[i]; p >= 0 && p < k && y >= 0 && y < k {
			counts[y][p]++
		}
	}
	m.fail(m.w.Image("confusion/val", int64(s.Step), Confusion(counts, m.o.ClassNames)))
}

// digits3x5 are the digits 0-9 as 3×5 bitmaps, one row of three bits per
// value, top row first.
var digits3x5 = [10][5]uint8{
	{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
	{7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
}

// The confusion matrix's font scale and spacing, in pixels.
const (
	fontScale = 2
	digitW    = 3*fontScale + fontScale // a digit and the space after it
	digitH    = 5 * fontScale
	cellPad   = 6
)

// confusionPalette is white, black, the grid's grey, then shades from
// white to dark blue: a paletted image encodes several times faster than
// an RGBA one.
var confusionPalette = func() color.Palette {
	p := color.Palette{color.White, color.Black, color.RGBA{200, 200, 200, 255}}
	for i := range shades {
		f := float64(i) / (shades - 1)
		p = append(p, color.RGBA{uint8(math.Round(255 * (1 - 0.9*f))), uint8(math.Round(255 * (1 - 0.75*f))), uint8(math.Round(255 * (1 - 0.35*f))), 255})
	}
	return p
}()

// shades is the number of blues of the confusion matrix.
const shades = 64

// Indexes into confusionPalette.
const (
	palWhite, palBlack, palGrid, palShade0 = 0, 1, 2, 3
)

// drawNumber draws the decimal n centred in r, in colour c.
func drawNumber(img *image.Paletted, r image.Rectangle, n int, c uint8) {
	s := strconv.Itoa(n)
	w := len(s)*digitW - fontScale
	x0 := r.Min.X + (r.Dx()-w)/2
	y0 := r.Min.Y + (r.Dy()-digitH)/2
	for i, ch := range s {
		d := digits3x5[ch-'0']
		for row := range 5 {
			for col := range 3 {
				if d[row]>>(2-col)&1 == 0 {
					continue
				}
				for dy := range fontScale {
					for dx := range fontScale {
						img.SetColorIndex(x0+i*digitW+col*fontScale+dx, y0+row*fontScale+dy, c)
					}
				}
			}
		}
	}
}

// fill sets every pixel of r to c.
func fill(img *image.Paletted, r image.Rectangle, c uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = c
		}
	}
}

// Confusion renders a confusion matrix as a heat map with counts: row i is
// the true class i, column j the predicted class j, each cell shaded by
// its share of the row (the recall, on the diagonal) from white to dark
// blue, with its count written in it. The classes are labelled along the
// top and the left by their index, or by their name in names when it is a
// number. counts must be square.
func Confusion(counts [][]int, names []string) *image.Paletted {
	k := len(counts)
	maxN := 1
	for _, row := range counts {
		for _, n := range row {
			maxN = max(maxN, n)
		}
	}
	label := func(i int) int {
		if i < len(names) {
			if v, err := strconv.Atoi(names[i]); err == nil && v >= 0 {
				return v
			}
		}
		return i
	}
	for i := range k {
		maxN = max(maxN, label(i))
	}
	cw := len(strconv.Itoa(maxN))*digitW - fontScale + 2*cellPad
	ch := digitH + 2*cellPad
	img := image.NewPaletted(image.Rect(0, 0, (k+1)*cw+1, (k+1)*ch+1), confusionPalette)
	for i := range k {
		drawNumber(img, image.Rect(0, (i+1)*ch, cw, (i+2)*ch), label(i), palBlack)
		drawNumber(img, image.Rect((i+1)*cw, 0, (i+2)*cw, ch), label(i), palBlack)
		total := 0
		for _, n := range counts[i] {
			total += n
		}
		for j := range k {
			f := 0.0
			if total > 0 {
				f = float64(counts[i][j]) / float64(total)
			}
			cell := image.Rect((j+1)*cw, (i+1)*ch, (j+2)*cw, (i+2)*ch)
			fill(img, cell, palShade0+uint8(math.Round(f*(shades-1))))
			fg := uint8(palBlack)
			if f > 0.5 {
				fg = palWhite
			}
			if counts[i][j] > 0 {
				drawNumber(img, cell, counts[i][j], fg)
			}
		}
	}
	for i := 1; i <= k+1; i++ {
		fill(img, image.Rect(cw, i*ch, img.Rect.Dx(), i*ch+1), palGrid)
		fill(img, image.Rect(i*cw, ch, i*cw+1, img.Rect.Dy()), palGrid)
	}
	return img
}
