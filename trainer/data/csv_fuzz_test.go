package data

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// FuzzReadCSV feeds ReadCSV valid and broken files under several option
// sets. It must never panic; every failure must be a *CSVError naming the
// file; and whatever loads must validate and survive a round trip through
// a plain CSV rendering of its values.
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"1,2,0\n3,4,1\n",
		"a,b,label\n1.5,-2,1\n0,7,0\n",
		"x1,species,x2\n1,setosa,2\n3,virginica,4\n",
		"t;u;target\n1;2;0.25\n3;4;-1\n",
		"\ufeffp,q,2\n1,2,1\n3,4,0\n",
		"\"1\n\",2,1\n3,4,0\n",
		"0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0\n0,0,0,12,13,5,0,0,0,0,0,11,16,9,0,0,1\n",
		"", "\n", "a,b,label\n", "1,2,0\n3,1\n", "1,NaN,0\n", "1,2,1.5\n", "1,2,-1\n",
		"1,2,99999999999\n", "a,2,0\n", "1,\"2,0\n", "1,2\"3,0\n", "1e999,2,1\n",
	} {
		for mode := range uint8(6) {
			f.Add([]byte(seed), mode)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opts := fuzzOptions(mode)
		d, err := ReadCSV(bytes.NewReader(in), "fuzz.csv", opts)
		if err != nil {
			var ce *CSVError
			if !errors.As(err, &ce) || ce.File != "fuzz.csv" || d != nil {
				t.Fatalf("error %v (%T) does not name the file, or came with a dataset", err, err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("loaded a dataset that does not validate: %v", err)
		}
		// Render the values as a headerless CSV, label last, and read it back.
		var b strings.Builder
		for i := 0; i < d.Len(); i++ {
			for _, v := range d.X.RawRowView(i) {
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + ",")
			}
			if d.Y != nil {
				b.WriteString(strconv.Itoa(d.Y[i]) + "\n")
			} else {
				b.WriteString(strconv.FormatFloat(d.Targets.At(i, 0), 'g', -1, 64) + "\n")
			}
		}
		back, err := ReadCSV(strings.NewReader(b.String()), "back.csv",
			&CSVOptions{Header: HeaderAbsent, Regression: d.Y == nil, Classes: d.Classes})
		if err != nil {
			t.Fatalf("re-reading the loaded values: %v\n%s", err, b.String())
		}
		if !mat.Equal(back.X, d.X) || !slices.Equal(back.Y, d.Y) ||
			(d.Targets != nil && !mat.Equal(back.Targets, d.Targets)) {
			t.Fatalf("round trip changed the data")
		}
	})
}

func fuzzOptions(mode uint8) *CSVOptions {
	switch mode % 6 {
	case 1:
		return &CSVOptions{Header: HeaderAbsent, Classes: 3}
	case 2:
		return &CSVOptions{StringLabels: true, LabelColumn: 2}
	case 3:
		return &CSVOptions{Regression: true, Comma: ';'}
	case 4:
		return &CSVOptions{Header: HeaderPresent, Label: "label", Comment: '#'}
	case 5:
		return &CSVOptions{StringLabels: true, ClassNames: []string{"0", "1", "setosa"}, LabelColumn: -1}
	}
	return nil
}
