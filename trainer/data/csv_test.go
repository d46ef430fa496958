package data

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		in       string
		opts     *CSVOptions
		x        []float64 // row-major
		dim      int
		y        []int
		targets  []float64
		classes  int
		names    []string // class names
		features []string
	}{
		{
			desc: "no header, integer labels last",
			in:   "1,2,0\n3,4,1\n5,6,2\n",
			x:    []float64{1, 2, 3, 4, 5, 6}, dim: 2, y: []int{0, 1, 2}, classes: 3,
		},
		{
			desc: "header detected, spaces, CRLF, blank lines",
			in:   "a, b ,label\r\n 1.5 , -2e3 ,1\r\n\r\n0x1p3,7,0\r\n",
			x:    []float64{1.5, -2000, 8, 7}, dim: 2, y: []int{1, 0}, classes: 2,
			features: []string{"a", "b"},
		},
		{
			desc: "label by name in the middle",
			in:   "x1,species,x2\n1,1,2\n3,0,4\n",
			opts: &CSVOptions{Label: "species"},
			x:    []float64{1, 2, 3, 4}, dim: 2, y: []int{1, 0}, classes: 2,
			features: []string{"x1", "x2"},
		},
		{
			desc: "label first by position, integral floats",
			in:   "1.0,5,6\n0,7,8\n",
			opts: &CSVOptions{LabelColumn: 1},
			x:    []float64{5, 6, 7, 8}, dim: 2, y: []int{1, 0}, classes: 2,
		},
		{
			desc: "label counted from the end",
			in:   "5,1,6\n7,0,8\n",
			opts: &CSVOptions{LabelColumn: -2},
			x:    []float64{5, 6, 7, 8}, dim: 2, y: []int{1, 0}, classes: 2,
		},
		{
			desc: "string labels in sorted order",
			in:   "f,label\n1,setosa\n2,virginica\n3,\"versicolor\"\n4,setosa\n",
			opts: &CSVOptions{StringLabels: true},
			x:    []float64{1, 2, 3, 4}, dim: 1, y: []int{0, 2, 1, 0}, classes: 3,
			names: []string{"setosa", "versicolor", "virginica"}, features: []string{"f"},
		},
		{
			desc: "class names fix the mapping",
			in:   "1,b\n2,b\n",
			opts: &CSVOptions{StringLabels: true, ClassNames: []string{"c", "b", "a"}, Header: HeaderAbsent},
			x:    []float64{1, 2}, dim: 1, y: []int{1, 1}, classes: 3,
			names: []string{"c", "b", "a"},
		},
		{
			desc: "integer labels with class names",
			in:   "1,1\n2,0\n",
			opts: &CSVOptions{ClassNames: []string{"cat", "dog", "emu"}},
			x:    []float64{1, 2}, dim: 1, y: []int{1, 0}, classes: 3,
			names: []string{"cat", "dog", "emu"},
		},
		{
			desc: "class range wider than the labels seen",
			in:   "1,0\n2,0\n",
			opts: &CSVOptions{Classes: 10},
			x:    []float64{1, 2}, dim: 1, y: []int{0, 0}, classes: 10,
		},
		{
			desc: "regression, semicolons, comments",
			in:   "# a comment\nt;u;target\n1;2;0.25\n# another\n3;4;-1\n",
			opts: &CSVOptions{Regression: true, Comma: ';', Comment: '#'},
			x:    []float64{1, 2, 3, 4}, dim: 2, targets: []float64{0.25, -1},
			features: []string{"t", "u"},
		},
		{
			desc: "byte-order mark and a header with numbers in the label column",
			in:   "\ufeffp,q,2\n1,2,1\n3,4,0\n",
			x:    []float64{1, 2, 3, 4}, dim: 2, y: []int{1, 0}, classes: 2,
			features: []string{"p", "q"},
		},
		{
			desc: "forced header over numeric names",
			in:   "1,2,3\n4,5,1\n6,7,0\n",
			opts: &CSVOptions{Header: HeaderPresent},
			x:    []float64{4, 5, 6, 7}, dim: 2, y: []int{1, 0}, classes: 2,
			features: []string{"1", "2"},
		},
		{
			desc: "quoted field across lines",
			in:   "\"1\n\",2,1\n3,4,0\n",
			x:    []float64{1, 2, 3, 4}, dim: 2, y: []int{1, 0}, classes: 2,
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tc.in), "t.csv", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			if want := mat.NewDense(len(tc.x)/tc.dim, tc.dim, tc.x); !mat.Equal(d.X, want) {
				t.Errorf("X = %v, want %v", mat.Formatted(d.X), mat.Formatted(want))
			}
			if !slices.Equal(d.Y, tc.y) || d.Classes != tc.classes {
				t.Errorf("Y = %v with %d classes, want %v with %d", d.Y, d.Classes, tc.y, tc.classes)
			}
			if tc.targets != nil && !slices.Equal(d.Targets.RawMatrix().Data, tc.targets) {
				t.Errorf("targets %v, want %v", d.Targets.RawMatrix().Data, tc.targets)
			}
			if !slices.Equal(d.ClassNames, tc.names) || !slices.Equal(d.FeatureNames, tc.features) {
				t.Errorf("class names %q, feature names %q; want %q, %q", d.ClassNames, d.FeatureNames, tc.names, tc.features)
			}
			if d.Name != "t.csv" || d.Shape != Vector(tc.dim) {
				t.Errorf("name %q, shape %v", d.Name, d.Shape)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		opts *CSVOptions
		want string
		is   error
	}{
		{"empty file", "", nil, "data: bad.csv: no data rows", ErrEmpty},
		{"blank lines only", "\n\n", nil, "data: bad.csv: no data rows", ErrEmpty},
		{"header only", "a,b,label\n", nil, "data: bad.csv: no data rows", ErrEmpty},
		{"ragged short", "a,b,label\n1,2,0\n3,1\n", nil,
			"data: bad.csv:3: ragged row: 2 fields, want 3 as on the first line", ErrRagged},
		{"ragged long", "1,2,0\n3,4,5,1\n", nil,
			"data: bad.csv:2: ragged row: 4 fields, want 3 as on the first line", ErrRagged},
		{"non-numeric cell", "a,b,label\n1,2,0\n3,abc,1\n", nil,
			`data: bad.csv:3:2 (column "b"): not a number: "abc"`, ErrNotNumber},
		{"empty cell", "1,,0\n", &CSVOptions{Header: HeaderAbsent},
			`data: bad.csv:1:2: not a number: ""`, ErrNotNumber},
		{"NaN cell", "a,b,label\n1,2,0\n\n4,NaN,1\n", nil,
			`data: bad.csv:4:2 (column "b"): not finite: "NaN"`, ErrNonFinite},
		{"Inf cell", "Inf,2,0\n", &CSVOptions{Header: HeaderAbsent},
			`data: bad.csv:1:1: not finite: "Inf"`, ErrNonFinite},
		{"overflow", "1e999,2,0\n", &CSVOptions{Header: HeaderAbsent},
			`data: bad.csv:1:1: not finite: "1e999"`, ErrNonFinite},
		{"label above the range", "a,b,label\n1,2,0\n3,4,10\n", &CSVOptions{Classes: 10},
			`data: bad.csv:3:3 (column "label"): bad label: 10 outside [0, 10)`, ErrLabel},
		{"negative label", "1,2,-1\n", nil,
			`data: bad.csv:1:3: bad label: -1 is negative; classes are numbered from 0`, ErrLabel},
		{"huge label", "1,2,0\n1,2,1e6\n", nil,
			`data: bad.csv:2:3: bad label: 1e6 is not below 65536: declare the number of classes for more (see CSVOptions.Classes)`, ErrLabel},
		{"negative label with a class range", "1,2,-1\n", &CSVOptions{Classes: 4},
			`data: bad.csv:1:3: bad label: -1 outside [0, 4)`, ErrLabel},
		{"non-integer label", "1,2,0\n3,4,1.5\n", nil,
			`data: bad.csv:2:3: bad label: "1.5" is not an integer`, ErrLabel},
		{"string label without StringLabels", "x,y\n1,cat\n", nil,
			`data: bad.csv:2:2 (column "y"): bad label: "cat" is not an integer: read the labels as class names (see CSVOptions.StringLabels)`, ErrLabel},
		{"NaN label", "1,2,NaN\n", nil,
			`data: bad.csv:1:3: bad label: "NaN" is not an integer`, ErrLabel},
		{"unknown class name", "1,a\n2,d\n", &CSVOptions{StringLabels: true, ClassNames: []string{"a", "b"}},
			`data: bad.csv:2:2: bad label: "d" is not one of the 2 class names`, ErrLabel},
		{"empty string label", "1,a\n2, \n", &CSVOptions{StringLabels: true},
			`data: bad.csv:2:2: bad label: empty label`, ErrLabel},
		{"one class", "1,0\n2,0\n", nil,
			`data: bad.csv: bad label: only one class in the file: declare the number of classes (see CSVOptions.Classes)`, ErrLabel},
		{"no such label column", "a,b\n1,2\n", &CSVOptions{Label: "species"},
			`data: bad.csv:1: invalid dataset: no column "species" in the header`, ErrInvalid},
		{"label column out of range", "1,2\n", &CSVOptions{LabelColumn: 3},
			`data: bad.csv:1: invalid dataset: label column 3 outside the 2 fields`, ErrInvalid},
		{"label only", "1\n2\n", nil,
			`data: bad.csv:1: invalid dataset: 1 field with any of the separators ',', ';' and tab: need at least one feature and a label (see CSVOptions.Comma)`, ErrInvalid},
		{"ambiguous header", "a,2,0\n1,2,0\n", nil,
			`data: bad.csv:1: invalid dataset: cannot tell whether the first line is a header: 1 of its 2 feature fields are numbers (see CSVOptions.Header)`, ErrInvalid},
		{"header not numeric when absent", "a,b,label\n", &CSVOptions{Header: HeaderAbsent},
			`data: bad.csv:1:1: not a number: "a"`, ErrNotNumber},
		{"unterminated quote", "1,2,0\n3,\"4,1\n", nil,
			`data: bad.csv:2: extraneous or missing " in quoted-field`, csv.ErrQuote},
		{"bare quote", "1,2,0\n3,4\"5,1\n", nil,
			`data: bad.csv:2: bare " in non-quoted-field`, csv.ErrBareQuote},
		{"shape does not fit", "1,2,0\n", &CSVOptions{Shape: Shape{1, 2, 2}},
			`data: bad.csv: invalid dataset: shape 1×2×2 holds 4 values, but rows have 2 features`, ErrInvalid},
		{"options: name without header", "1,0\n", &CSVOptions{Label: "y", Header: HeaderAbsent},
			`data: bad.csv: invalid dataset: options: label column "y" given by name but Header is HeaderAbsent`, ErrInvalid},
		{"options: regression with classes", "1,0\n", &CSVOptions{Regression: true, Classes: 3},
			`data: bad.csv: invalid dataset: options: Regression reads real-valued targets; StringLabels, ClassNames and Classes are for class labels`, ErrInvalid},
		{"options: names disagree with classes", "1,0\n", &CSVOptions{Classes: 3, ClassNames: []string{"a"}},
			`data: bad.csv: invalid dataset: options: Classes 3 but 1 ClassNames`, ErrInvalid},
		{"options: duplicate class name", "1,0\n", &CSVOptions{ClassNames: []string{"a", "a"}},
			`data: bad.csv: invalid dataset: options: class name "a" appears twice in ClassNames`, ErrInvalid},
		{"regression target NaN", "x,t\n1,nan\n", &CSVOptions{Regression: true},
			`data: bad.csv:2:2 (column "t"): not finite: "nan"`, ErrNonFinite},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tc.in), "bad.csv", tc.opts)
			if err == nil || d != nil {
				t.Fatalf("got a dataset %v, want error %s", d, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			var ce *CSVError
			if !errors.As(err, &ce) || ce.File != "bad.csv" {
				t.Errorf("error %T does not carry the file name", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
		})
	}
}

func TestLoadCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.csv")
	if err := os.WriteFile(path, []byte("x,y,label\n1,2,0\n3,4,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadCSV(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "mine.csv" || d.Source != "CSV file "+path || d.Len() != 2 {
		t.Errorf("name %q, source %q, %d rows", d.Name, d.Source, d.Len())
	}
	d, err = LoadCSV(path, &CSVOptions{Name: "mine", Shape: Shape{1, 1, 2}})
	if err != nil || d.Name != "mine" {
		t.Errorf("named load: %v, %v", d, err)
	}

	if err := os.WriteFile(path, []byte("x,y,label\n1,2,0\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCSV(path, nil); err == nil || !strings.HasPrefix(err.Error(), "data: "+path+":3: ragged row") {
		t.Errorf("ragged file: %v", err)
	}
	if _, err := LoadCSV(filepath.Join(dir, "missing.csv"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
