package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"math"
	"slices"
)

// EncodeGIF encodes frames, which must all have the same size, as an
// animated GIF that loops forever, shown at fps frames per second.
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
func EncodeGIF(frames []image.Image, fps float64) ([]byte, error) {
	if len(frames) == 0 {
		return nil, errors.New("no frames")
	}
	if !(fps > 0) || math.IsInf(fps, 1) {
		return nil, fmt.Errorf("%v frames per second, want a positive finite rate", fps)
	}
	for i, f := range frames {
		if f == nil {
			return nil, fmt.Errorf("frame %d is nil", i)
		}
	}
	size := frames[0].Bounds().Size()
	if size.X <= 0 || size.Y <= 0 || size.X > math.MaxUint16 || size.Y > math.MaxUint16 {
		return nil, fmt.Errorf("%w: frames are %dx%d, want 1 to %d pixels a side", ErrImageSize, size.X, size.Y, math.MaxUint16)
	}
	for i, f := range frames {
		if s := f.Bounds().Size(); s != size {
			return nil, fmt.Errorf("%w: frame %d is %dx%d, frame 0 is %dx%d", ErrImageSize, i, s.X, s.Y, size.X, size.Y)
		}
	}
	delay := int(min(max(math.Round(100/fps), 2), math.MaxUint16))

	rect := image.Rect(0, 0, size.X, size.Y)
	rgba := make([]*image.RGBA, len(frames))
	for i, f := range frames {
		rgba[i] = image.NewRGBA(rect)
		draw.Draw(rgba[i], rect, f, f.Bounds().Min, draw.Src)
	}
	g := &gif.GIF{
		Image: make([]*image.Paletted, len(frames)),
		Delay: make([]int, len(frames)),
	}
	pal, ok := exactPalette(rgba, g.Image)
	if !ok {
		pal = medianCut(rgba, g.Image)
	}
	for i := range g.Delay {
		g.Delay[i] = delay
	}
	// One global colour table for all frames; LoopCount 0 loops forever.
	g.Config = image.Config{ColorModel: pal, Width: size.X, Height: size.Y}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		return nil, fmt.Errorf("encode gif: %w", err)
	}
	return buf.Bytes(), nil
}

// rgb returns the colour of the pixel at Pix[i:], as 0xRRGGBB.
func rgb(pix []byte, i int) uint32 {
	return uint32(pix[i])<<16 | uint32(pix[i+1])<<8 | uint32(pix[i+2])
}

// exactPalette fills out with frames in a palette of their own colours, in
// the order they first appear, and reports false if there are more than
// 256.
func exactPalette(frames []*image.RGBA, out []*image.Paletted) (color.Palette, bool) {
	index := map[uint32]uint8{}
	var pal color.Palette
	for i, f := range frames {
		p := image.NewPaletted(f.Rect, nil)
		for j := range len(p.Pix) {
			c := rgb(f.Pix, 4*j)
			k, ok := index[c]
			if !ok {
				if len(pal) == 256 {
					return nil, false
				}
				k = uint8(len(pal))
				index[c] = k
				pal = append(pal, color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff})
			}
			p.Pix[j] = k
		}
		out[i] = p
	}
	for _, p := range out {
		p.Palette = pal
	}
	return pal, true
}

// A colour is counted in one of 32768 bins, 5 bits per channel.
func bin(c uint32) int {
	return int(c>>19&0x1f)<<10 | int(c>>11&0x1f)<<5 | int(c>>3&0x1f)
}

// binStats are the pixels of one bin: how many, and their channel sums.
type binStats struct {
	n       int
	r, g, b int
}

// medianCut fills out with frames in a palette of at most 256 colours
// made by median cut (see EncodeGIF) and returns it.
func medianCut(frames []*image.RGBA, out []*image.Paletted) color.Palette {
	stats := make([]binStats, 1<<15)
	for _, f := range frames {
		for i := 0; i < len(f.Pix); i += 4 {
			s := &stats[bin(rgb(f.Pix, i))]
			s.n++
			s.r += int(f.Pix[i])
			s.g += int(f.Pix[i+1])
			s.b += int(f.Pix[i+2])
		}
	}
	var bins []int
	for i, s := range stats {
		if s.n > 0 {
			bins = append(bins, i)
		}
	}
	// A box is a run of bins; splitting sorts its bins along one axis
	// and cuts the run in two.
	type box struct {
		bins  []int
		count int
	}
	boxes := []box{{bins, 0}}
	for _, b := range bins {
		boxes[0].count += stats[b].n
	}
	for len(boxes) < 256 {
		// The most populous box that can be split.
		k := -1
		for i, b := range boxes {
			if len(b.bins) > 1 && (k < 0 || b.count > boxes[k].count) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		b := boxes[k]
		axis := longestAxis(b.bins)
		slices.SortFunc(b.bins, func(x, y int) int { return x>>axis&0x1f - y>>axis&0x1f })
		// Cut after the bin that holds the median pixel, leaving at least
		// one bin on each side.
		half, acc, cut := b.count/2, 0, 1
		for i, x := range b.bins[:len(b.bins)-1] {
			acc += stats[x].n
			cut = i + 1
			if acc >= half {
				break
			}
		}
		lo, hi := box{bins: b.bins[:cut]}, box{bins: b.bins[cut:]}
		for _, x := range lo.bins {
			lo.count += stats[x].n
		}
		hi.count = b.count - lo.count
		boxes[k] = lo
		boxes = append(boxes, hi)
	}
	pal := make(color.Palette, len(boxes))
	lookup := make([]uint8, len(stats))
	for i, b := range boxes {
		var sum binStats
		for _, x := range b.bins {
			s := stats[x]
			sum.n += s.n
			sum.r, sum.g, sum.b = sum.r+s.r, sum.g+s.g, sum.b+s.b
			lookup[x] = uint8(i)
		}
		pal[i] = color.RGBA{uint8((sum.r + sum.n/2) / sum.n), uint8((sum.g + sum.n/2) / sum.n), uint8((sum.b + sum.n/2) / sum.n), 0xff}
	}
	for i, f := range frames {
		p := image.NewPaletted(f.Rect, pal)
		for j := range len(p.Pix) {
			p.Pix[j] = lookup[bin(rgb(f.Pix, 4*j))]
		}
		out[i] = p
	}
	return pal
}

// longestAxis returns the shift (10 red, 5 green, 0 blue) of the channel
// whose values spread widest over bins.
func longestAxis(bins []int) int {
	best, spread := 10, -1
	for _, axis := range []int{10, 5, 0} {
		lo, hi := 0x1f, 0
		for _, b := range bins {
			v := b >> axis & 0x1f
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo > spread {
			best, spread = axis, hi-lo
		}
	}
	return best
}
