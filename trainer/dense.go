package trainer

import (
	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer/internal/kernel"
)

// dense is y = x·Wᵀ + b, with W out×in: row j holds the weights into unit
// j. It reads its input as a flat vector of In.Size() values.
type dense struct {
	l       *Layer
	in, out int
	w, b    *Param // b is nil without a bias
	x       *mat.Dense
	y, dx   buffer
	needDx  bool
	ws      kernel.Workspace
}

func newDense(l *Layer, units int, bias bool) *dense {
	in := l.In.Size()
	d := &dense{l: l, in: in, out: units}
	d.w = newParam(l.Name, "weights", Weight, units, in, []int{units, in})
	d.w.FanIn, d.w.FanOut = in, units
	l.Params = append(l.Params, d.w)
	if bias {
		d.b = newParam(l.Name, "bias", Bias, 1, units, []int{units})
		l.Params = append(l.Params, d.b)
	}
	l.Out = Vector(units)
	return d
}

func (d *dense) layer() *Layer       { return d.l }
func (d *dense) setNeedDx(need bool) { d.needDx = need }

func (d *dense) forward(x *mat.Dense, train bool) *mat.Dense {
	n, _ := x.Dims()
	y := d.y.resize(n, d.out)
	d.ws.Gemm(false, true, n, d.out, d.in, raw(x), d.in, raw(d.w.Value), d.in, raw(y), d.out, false)
	if d.b != nil {
		addRow(raw(y), raw(d.b.Value))
	}
	d.x = x
	record(d.l, x, y, train)
	return y
}

func (d *dense) backward(dy *mat.Dense) *mat.Dense {
	n, _ := dy.Dims()
	// dW += dyᵀ·x, db += Σ rows of dy, dx = dy·W.
	d.ws.Gemm(true, false, d.out, d.in, n, raw(dy), d.out, raw(d.x), d.in, raw(d.w.Grad), d.in, true)
	if d.b != nil {
		addColSums(raw(d.b.Grad), raw(dy))
	}
	if !d.needDx {
		return nil
	}
	dx := d.dx.resize(n, d.in)
	d.ws.Gemm(false, false, n, d.in, d.out, raw(dy), d.out, raw(d.w.Value), d.in, raw(dx), d.in, false)
	return dx
}

// addRow adds row to every row of the row-major matrix y, whose width is
// len(row).
func addRow(y, row []float64) {
	w := len(row)
	for i := 0; i+w <= len(y); i += w {
		yr := y[i : i+w]
		for j, v := range row {
			yr[j] += v
		}
	}
}

// addColSums adds the column sums of the row-major matrix y, whose width
// is len(sum), to sum.
func addColSums(sum, y []float64) {
	w := len(sum)
	for i := 0; i+w <= len(y); i += w {
		yr := y[i : i+w]
		for j, v := range yr {
			sum[j] += v
		}
	}
}
