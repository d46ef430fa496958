package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// MaxClasses bounds the class range a CSV file can imply by its largest
// integer label when CSVOptions.Classes is not set, so one stray label such
// as 1e9 is an error rather than a billion-entry count table.
const MaxClasses = 1 << 16

// Header says whether the first record of a CSV file names the columns.
type Header int

const (
	// HeaderAuto treats the first record as a header when none of its
	// feature cells is a number, as data when all are, and refuses to
	// guess when some are. A label given by name implies a header.
	HeaderAuto Header = iota
	// HeaderPresent: the first record names the columns.
	HeaderPresent
	// HeaderAbsent: every record is data.
	HeaderAbsent
)

// CSVOptions configures LoadCSV and ReadCSV. The zero value (and nil)
// reads comma-separated numbers, detects a header, takes integer class
// labels 0..K-1 from the last column, and sets K to the largest label
// plus one.
type CSVOptions struct {
	// Header says whether the first record is a header; HeaderAuto (the
	// zero value) detects it.
	Header Header
	// Comma is the field separator; 0 detects it from the first line:
	// whichever of ',', ';' and tab splits it into the most fields
	// (',' if none does).
	Comma rune
	// Comment, when not 0, starts a comment line (e.g. '#').
	Comment rune

	// Label names the label column in the header. When empty,
	// LabelColumn chooses it.
	Label string
	// LabelColumn is the 1-based position of the label column; 0 means
	// the last column and negative values count from the end (-1 is the
	// last, -2 the one before).
	LabelColumn int

	// Regression reads the label column as a real-valued target into
	// Dataset.Targets (N×1) instead of class labels.
	Regression bool
	// StringLabels reads labels as class names: the distinct names, sorted
	// in byte order (strings.Compare), become classes 0..K-1, unless
	// ClassNames fixes the list. Without it labels must be integers; a
	// value such as "3.0" counts as 3, "1.5" and "cat" are errors.
	StringLabels bool
	// ClassNames, when set, are the class names in class order; K is
	// len(ClassNames). With StringLabels every label must be one of them,
	// which keeps the mapping the same across files (a test file lacking
	// a class still maps the others as the training file does).
	ClassNames []string
	// Classes, when not 0, is K for integer labels: labels outside
	// [0, Classes) are errors. When 0, K is the largest label plus one
	// (at most MaxClasses) or len(ClassNames).
	Classes int

	// Shape is the shape of one sample; the zero value means Vector(D).
	Shape Shape
	// Name names the dataset; empty means the file's base name.
	Name string
}

// CSVError describes bad input in a CSV file, placed by line (1-based, as
// an editor counts them) and field (1-based; 0 when the whole line or file
// is at fault). It wraps ErrEmpty, ErrRagged, ErrNotNumber, ErrNonFinite,
// ErrLabel, ErrInvalid or an encoding/csv parse error.
type CSVError struct {
	File   string // as given to LoadCSV or ReadCSV
	Line   int    // 0 when the error concerns the whole file
	Field  int    // 0 when the error concerns the whole line
	Column string // the field's header name, if there is a header
	Err    error
	// Option names the field of CSVOptions that would resolve the
	// error, such as "StringLabels" for a label that is not an integer,
	// or "" if none would. Error mentions it; a program with its own
	// names for the options (flags, configuration keys) can name its
	// own instead.
	Option string
}

// Error formats e as "data: FILE:LINE:FIELD (column "NAME"): ERR", leaving
// out what is unknown.
func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString("data: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Field > 0 {
			b.WriteString(":" + strconv.Itoa(e.Field))
			if e.Column != "" {
				b.WriteString(" (column " + strconv.Quote(e.Column) + ")")
			}
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Option != "" {
		b.WriteString(" (see CSVOptions." + e.Option + ")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *CSVError) Unwrap() error { return e.Err }

// LoadCSV reads a dataset from the CSV file at path; see ReadCSV.
func LoadCSV(path string, opts *CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path, opts)
}

// ReadCSV reads a dataset from CSV text: one sample per record, numeric
// features in every column but the label column. The name is used in
// errors and, by default, as the dataset's name (its base name).
//
// Blank lines are skipped; cells may be quoted and may have spaces around
// them. Every record must have as many fields as the first. Feature cells
// must parse as finite float64 values (strconv.ParseFloat syntax); an empty
// cell, "n/a", "NaN" or "Inf" is an error naming the line and field. The
// header, when present, gives the feature names. See CSVOptions for labels.
func ReadCSV(r io.Reader, name string, opts *CSVOptions) (*Dataset, error) {
	var o CSVOptions
	if opts != nil {
		o = *opts
	}
	br := bufio.NewReader(r)
	if o.Comma == 0 {
		o.Comma = detectComma(br, o.Comment)
		p := csvParser{name: name, o: &o, detected: true}
		d, err := p.read(br)
		if err != nil {
			return nil, err
		}
		return d, p.validate(d)
	}
	p := csvParser{name: name, o: &o}
	d, err := p.read(br)
	if err != nil {
		return nil, err
	}
	return d, p.validate(d)
}

// validate checks the dataset the parser made.
func (p *csvParser) validate(d *Dataset) error {
	if err := d.Validate(); err != nil {
		// Unreachable unless the checks above miss a case; keep the file.
		return &CSVError{File: p.name, Err: err}
	}
	return nil
}

// commas are the separators detectComma tries, in order of preference.
var commas = []rune{',', ';', '\t'}

// detectComma returns the separator of the CSV text br holds: of ',',
// ';' and tab, the one that occurs most often outside quotes on its first
// line that is neither blank nor a comment; ',' if none occurs. It peeks
// at most 64 KiB.
func detectComma(br *bufio.Reader, comment rune) rune {
	head, _ := br.Peek(64 << 10)
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		t := strings.TrimSpace(string(line))
		if t == "" || comment != 0 && strings.HasPrefix(t, string(comment)) {
			continue
		}
		best, n := ',', 0
		for _, c := range commas {
			if k := countOutsideQuotes(t, c); k > n {
				best, n = c, k
			}
		}
		return best
	}
	return ','
}

// countOutsideQuotes counts c in s outside double-quoted fields.
func countOutsideQuotes(s string, c rune) int {
	n, quoted := 0, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == c && !quoted:
			n++
		}
	}
	return n
}

// commaName names a separator in messages.
func commaName(c rune) string {
	if c == '\t' {
		return "tab"
	}
	return strconv.QuoteRune(c)
}

type csvParser struct {
	name     string
	o        *CSVOptions
	detected bool     // o.Comma was detected, not given
	header   []string // nil without a header
	label    int      // 0-based label column
	width    int      // fields per record
}

func (p *csvParser) errf(line, field int, sentinel error, format string, args ...any) error {
	return p.optErrf("", line, field, sentinel, format, args...)
}

// optErrf is errf for an error that option would resolve.
func (p *csvParser) optErrf(option string, line, field int, sentinel error, format string, args ...any) error {
	e := &CSVError{File: p.name, Line: line, Field: field, Err: sentinel, Option: option}
	if format != "" {
		e.Err = fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
	}
	if field > 0 && p.header != nil && field <= len(p.header) {
		e.Column = p.header[field-1]
	}
	return e
}

func (p *csvParser) read(r io.Reader) (*Dataset, error) {
	o := p.o
	if err := p.checkOptions(); err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.Comma = o.Comma
	cr.Comment = o.Comment
	cr.FieldsPerRecord = -1 // ragged rows are reported with the file name
	cr.ReuseRecord = true

	var (
		x       []float64
		y       []int
		targets []float64
		names   []string       // string label per row, with StringLabels
		known   map[string]int // ClassNames index, with StringLabels
		maxY    = -1
		maxLine int // the line of the first label maxY
		rows    int
	)
	if o.StringLabels && o.ClassNames != nil {
		known = make(map[string]int, len(o.ClassNames))
		for i, n := range o.ClassNames {
			known[n] = i
		}
	}
	classes := o.Classes
	if classes == 0 && o.ClassNames != nil {
		classes = len(o.ClassNames)
	}

	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &CSVError{File: p.name, Line: pe.Line, Err: pe.Err}
			}
			return nil, fmt.Errorf("data: %s: %w", p.name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a spreadsheet's byte-order mark
			isHeader, err := p.start(rec, line)
			if err != nil {
				return nil, err
			}
			if isHeader {
				p.header = make([]string, len(rec))
				for j, h := range rec {
					p.header[j] = strings.TrimSpace(h)
				}
				continue
			}
		}
		if len(rec) != p.width {
			return nil, p.errf(line, 0, ErrRagged, "%d fields, want %d as on the first line", len(rec), p.width)
		}
		for j, cell := range rec {
			lineJ, _ := cr.FieldPos(j)
			if j == p.label {
				continue
			}
			v, err := p.number(cell, lineJ, j+1)
			if err != nil {
				return nil, err
			}
			x = append(x, v)
		}
		lineL, _ := cr.FieldPos(p.label)
		cell := strings.TrimSpace(rec[p.label])
		switch {
		case o.Regression:
			v, err := p.number(cell, lineL, p.label+1)
			if err != nil {
				return nil, err
			}
			targets = append(targets, v)
		case o.StringLabels:
			if cell == "" {
				return nil, p.errf(lineL, p.label+1, ErrLabel, "empty label")
			}
			if known != nil {
				c, ok := known[cell]
				if !ok {
					return nil, p.errf(lineL, p.label+1, ErrLabel, "%q is not one of the %d class names", cell, len(known))
				}
				y = append(y, c)
			} else {
				names = append(names, cell)
			}
		default:
			c, err := p.intLabel(cell, lineL, classes)
			if err != nil {
				return nil, err
			}
			y = append(y, c)
			if c > maxY {
				maxY, maxLine = c, lineL
			}
		}
		rows++
	}
	if rows == 0 {
		return nil, &CSVError{File: p.name, Err: ErrEmpty}
	}

	dim := p.width - 1
	d := &Dataset{
		Name:       o.Name,
		X:          mat.NewDense(rows, dim, x),
		Shape:      o.Shape,
		ClassNames: slices.Clone(o.ClassNames),
		Source:     "CSV file " + p.name,
	}
	if d.Name == "" {
		d.Name = filepath.Base(p.name)
	}
	if d.Shape == (Shape{}) {
		d.Shape = Vector(dim)
	} else if d.Shape.Size() != dim {
		return nil, p.errf(0, 0, ErrInvalid, "shape %v holds %d values, but rows have %d features", d.Shape, d.Shape.Size(), dim)
	}
	if p.header != nil {
		d.FeatureNames = make([]string, 0, dim)
		for j, h := range p.header {
			if j != p.label {
				d.FeatureNames = append(d.FeatureNames, h)
			}
		}
	}
	switch {
	case o.Regression:
		d.Targets = mat.NewDense(rows, 1, targets)
		d.ClassNames = nil
		return d, nil
	case names != nil:
		seen := make(map[string]bool)
		for _, n := range names {
			seen[n] = true
		}
		d.ClassNames = slices.Sorted(maps.Keys(seen))
		index := make(map[string]int, len(d.ClassNames))
		for i, n := range d.ClassNames {
			index[n] = i
		}
		y = make([]int, rows)
		for i, n := range names {
			y[i] = index[n]
		}
		classes = len(d.ClassNames)
	case classes == 0:
		classes = maxY + 1
		if err := p.checkGaps(y, classes, maxLine); err != nil {
			return nil, err
		}
	}
	if classes < 2 {
		return nil, p.optErrf("Classes", 0, 0, ErrLabel, "only one class in the file: declare the number of classes")
	}
	d.Y, d.Classes = y, classes
	return d, nil
}

// checkOptions refuses options that contradict each other.
func (p *csvParser) checkOptions() error {
	o := p.o
	bad := func(format string, args ...any) error {
		return p.errf(0, 0, ErrInvalid, "options: "+format, args...)
	}
	switch {
	case o.Header < HeaderAuto || o.Header > HeaderAbsent:
		return bad("unknown Header %d", o.Header)
	case o.Label != "" && o.Header == HeaderAbsent:
		return bad("label column %q given by name but Header is HeaderAbsent", o.Label)
	case o.Classes < 0:
		return bad("Classes %d is negative", o.Classes)
	case o.ClassNames != nil && o.Classes != 0 && o.Classes != len(o.ClassNames):
		return bad("Classes %d but %d ClassNames", o.Classes, len(o.ClassNames))
	case o.Regression && (o.StringLabels || o.ClassNames != nil || o.Classes != 0):
		return bad("Regression reads real-valued targets; StringLabels, ClassNames and Classes are for class labels")
	case o.Shape != (Shape{}) && !o.Shape.Valid():
		return bad("shape %v has a dimension below 1", o.Shape)
	}
	seen := make(map[string]bool, len(o.ClassNames))
	for _, n := range o.ClassNames {
		if seen[n] {
			return bad("class name %q appears twice in ClassNames", n)
		}
		seen[n] = true
	}
	return nil
}

// start inspects the first record: it fixes the width and the label
// column and reports whether the record is a header.
func (p *csvParser) start(rec []string, line int) (isHeader bool, err error) {
	o := p.o
	p.width = len(rec)
	if p.width < 2 {
		tried := "separated by " + commaName(o.Comma)
		if p.detected {
			tried = "with any of the separators ',', ';' and tab"
		}
		return false, p.optErrf("Comma", line, 0, ErrInvalid, "1 field %s: need at least one feature and a label", tried)
	}
	if o.Label != "" {
		p.label = -1
		for j, h := range rec {
			if strings.TrimSpace(h) == o.Label {
				p.label = j
				break
			}
		}
		if p.label < 0 {
			return false, p.errf(line, 0, ErrInvalid, "no column %q in the header", o.Label)
		}
		return true, nil
	}
	switch c := o.LabelColumn; {
	case c == 0:
		p.label = p.width - 1
	case c > 0 && c <= p.width:
		p.label = c - 1
	case c < 0 && -c <= p.width:
		p.label = p.width + c
	default:
		return false, p.errf(line, 0, ErrInvalid, "label column %d outside the %d fields", c, p.width)
	}
	switch o.Header {
	case HeaderPresent:
		return true, nil
	case HeaderAbsent:
		return false, nil
	}
	numbers := 0
	for j, cell := range rec {
		if j != p.label && isNumber(cell) {
			numbers++
		}
	}
	switch numbers {
	case 0:
		return true, nil
	case p.width - 1:
		return false, nil
	}
	return false, p.optErrf("Header", line, 0, ErrInvalid,
		"cannot tell whether the first line is a header: %d of its %d feature fields are numbers",
		numbers, p.width-1)
}

func isNumber(cell string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// number parses a feature or target cell.
func (p *csvParser) number(cell string, line, field int) (float64, error) {
	s := strings.TrimSpace(cell)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, p.errf(line, field, ErrNotNumber, "%q", cell)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, p.errf(line, field, ErrNonFinite, "%q", cell)
	}
	return v, nil
}

// intLabel parses an integer class label and checks its range.
func (p *csvParser) intLabel(cell string, line, classes int) (int, error) {
	field := p.label + 1
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, p.optErrf("StringLabels", line, field, ErrLabel, "%q is not an integer: read the labels as class names", cell)
	}
	if v != math.Trunc(v) || math.IsInf(v, 0) {
		return 0, p.errf(line, field, ErrLabel, "%q is not an integer", cell)
	}
	limit := classes
	if limit == 0 {
		limit = MaxClasses
	}
	switch {
	case v < 0 && classes == 0:
		return 0, p.errf(line, field, ErrLabel, "%s is negative; classes are numbered from 0", cell)
	case v >= float64(limit) && classes == 0:
		return 0, p.optErrf("Classes", line, field, ErrLabel, "%s is not below %d: declare the number of classes for more", cell, MaxClasses)
	case v < 0 || v >= float64(limit):
		return 0, p.errf(line, field, ErrLabel, "%s outside [0, %d)", cell, classes)
	}
	return int(v), nil
}

// checkGaps refuses inferred classes that no sample has: K is the
// largest label + 1, so a stray label (a 7 in a file of 0, 1 and 2) would
// make classes 3 to 6 that nothing trains, and a model with 8 outputs.
// line is the line of the first largest label.
func (p *csvParser) checkGaps(y []int, classes, line int) error {
	counts := ClassCounts(y, classes)
	lo := slices.Index(counts, 0)
	if lo < 0 {
		return nil
	}
	hi := lo
	for hi+1 < classes && counts[hi+1] == 0 {
		hi++
	}
	empty := strconv.Itoa(lo)
	if hi > lo {
		empty = fmt.Sprintf("%d to %d", lo, hi)
	}
	return p.optErrf("Classes", line, p.label+1, ErrLabel,
		"label %d makes %d classes, but no sample has class %s: a stray label? Declare the number of classes if the empty ones are meant",
		classes-1, classes, empty)
}
