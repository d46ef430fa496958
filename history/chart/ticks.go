package chart

import (
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// roundTicks marks a linear axis at round numbers: about five major
// ticks, spaced 1, 2 or 5 times a power of ten and falling on multiples
// of their spacing (0, 0.5, 1, 1.5 rather than 0.25, 1.25, 2.25), labelled
// with as many decimals as the spacing needs, and minor ticks between.
type roundTicks struct{}

func (roundTicks) Ticks(min, max float64) []plot.Tick {
	return niceTicks(min, max, func(v float64, decimals int) string {
		return strconv.FormatFloat(v, 'f', decimals, 64)
	})
}

// niceTicks returns round ticks from min to max, labelled by label.
func niceTicks(lo, hi float64, label func(v float64, decimals int) string) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, minors := mag, 5.0
	switch f := raw / mag; {
	case f > 5:
		step, minors = 10*mag, 5
	case f > 2:
		step, minors = 5*mag, 5
	case f > 1:
		step, minors = 2*mag, 4
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	minor := step / minors
	first := math.Ceil(lo/minor) * minor
	for i := 0; ; i++ {
		v := first + float64(i)*minor
		if v > hi+minor*1e-9 || i > 1000 {
			break
		}
		t := plot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-6 {
			t.Value = math.Round(k) * step
			t.Label = label(t.Value, decimals)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// stepTicks marks a step axis: round ticks, labelled only where they fall
// on a whole step, large steps in thousands (k), millions (M) or billions
// (G).
type stepTicks struct{}

func (stepTicks) Ticks(min, max float64) []plot.Tick {
	return niceTicks(min, max, func(v float64, _ int) string {
		if v != math.Trunc(v) {
			return ""
		}
		return stepLabel(v)
	})
}

// stepLabel writes a whole step with an SI suffix from 10,000 up:
// 15000 is "15k", 2500000 "2.5M".
func stepLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a < 1e4:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a < 1e6:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	case a < 1e9:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	}
	return strconv.FormatFloat(v/1e9, 'g', 4, 64) + "G"
}

// timeSteps are the spacings of a wall-time axis's ticks, in seconds:
// each a round span of a clock or a calendar.
var timeSteps = []float64{
	1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4,
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
	1, 2, 5, 10, 15, 30,
	60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
	3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
}

// timeTicks marks a wall-time axis (seconds since the Unix epoch) at round
// times in UTC: whole seconds, minutes, hours or days, about five of them,
// each labelled with the time of day, and the date where it changes.
type timeTicks struct{}

func (timeTicks) Ticks(min, max float64) []plot.Tick {
	span := max - min
	step := 0.0
	for _, s := range timeSteps {
		if span/s <= 6 {
			step = s
			break
		}
	}
	if step == 0 || !(span > 0) || math.Abs(min) > 1e12 || math.Abs(max) > 1e12 {
		// Months or more, or times no calendar holds: round numbers of
		// days.
		ticks := plot.DefaultTicks{}.Ticks(min/86400, max/86400)
		for i := range ticks {
			ticks[i].Value *= 86400
			if ticks[i].Label != "" && math.Abs(ticks[i].Value) < 1e12 {
				ticks[i].Label = timeOf(ticks[i].Value).Format(time.DateOnly)
			}
		}
		return ticks
	}
	layout := "15:04:05"
	switch {
	case step >= 60:
		layout = "15:04"
	case step < 0.001:
		layout = "15:04:05.000000"
	case step < 1:
		layout = "15:04:05.000"
	}
	var ticks []plot.Tick
	lastDay := ""
	first := math.Ceil(min/step) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > max {
			break
		}
		t := timeOf(v)
		label := t.Format(layout)
		if day := t.Format(time.DateOnly); day != lastDay {
			label = day + "\n" + label
			if step >= 86400 {
				label = day
			}
			lastDay = day
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// timeOf returns the time secs seconds after the Unix epoch, in UTC.
func timeOf(secs float64) time.Time {
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}
