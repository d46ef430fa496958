package chart

import (
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// stepTicks marks a step axis: gonum's round ticks, labelled only where
// they fall on a whole step, large steps in thousands (k), millions (M) or
// billions (G).
type stepTicks struct{}

func (stepTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		t := &ticks[i]
		if t.Label == "" {
			continue
		}
		if t.Value != math.Trunc(t.Value) {
			t.Label = ""
			continue
		}
		t.Label = stepLabel(t.Value)
	}
	return ticks
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
	if step >= 60 {
		layout = "15:04"
	}
	var ticks []plot.Tick
	lastDay := ""
	for v := math.Ceil(min/step) * step; v <= max; v += step {
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
