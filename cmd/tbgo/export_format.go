package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding"
)

// The tabular formats of export (and compare's CSV).
const (
	formatCSV     = "csv"
	formatJSONL   = "jsonl"
	formatParquet = "parquet"
)

// colType is the type of a table column.
type colType uint8

const (
	colString colType = iota
	colInt
	colFloat
	colBool
)

// A column of an exported table. Optional columns may hold nulls: an
// empty CSV field, a JSON null, a Parquet null.
type column struct {
	name     string
	typ      colType
	optional bool
	repeats  bool // few distinct values (run, tag): dictionary-encoded in Parquet
}

// A cell is one value of a row; its type is its column's.
type cell struct {
	null bool
	s    string
	i    int64
	f    float64
	b    bool
}

func str(s string) cell    { return cell{s: s} }
func num(f float64) cell   { return cell{f: f} }
func integer(i int64) cell { return cell{i: i} }
func boolean(b bool) cell  { return cell{b: b} }
func null() cell           { return cell{null: true} }
func optNum(f float64, ok bool) cell {
	if !ok {
		return null()
	}
	return num(f)
}

// A tableWriter writes the rows of one table.
type tableWriter interface {
	// Row writes a row, one cell per column.
	Row(cells []cell) error
	// Close writes what is buffered (and Parquet's footer); it does not
	// close the underlying writer.
	Close() error
}

// A rowBatch holds rows encoded for a table but not yet written: text for
// CSV and JSON Lines, values for Parquet. Rows can be encoded into
// different batches in different goroutines at once.
type rowBatch struct {
	text    []byte          // CSV, JSON Lines
	values  []parquet.Value // Parquet: nrows rows of one value per column
	nrows   int
	scalars []scalarRecord // Parquet's scalar table, written faster than values
	rows    []parquet.Row  // scratch for writing values
	cells   []cell         // scratch for building a row

	// Caches for the columns whose strings repeat (run, tag): per column,
	// the last string and its encoding (CSV, JSON Lines); the bytes of
	// each string (Parquet).
	last  []lastString
	bytes map[string][]byte
}

// lastString is a column's last string and its encoding.
type lastString struct {
	s   string
	enc []byte
}

// Limits of a batch that Row fills: once it holds rowChunkSize bytes of
// text or rowChunkRows Parquet rows it is written.
const (
	rowChunkSize = 32 << 10
	rowChunkRows = 256
)

func (b *rowBatch) full() bool {
	return len(b.text) >= rowChunkSize || b.nrows >= rowChunkRows || len(b.scalars) >= rowChunkRows
}

// appendRepeated appends s, the value of column i, encoded by enc,
// remembering the encoding until the column's value changes.
func (b *rowBatch) appendRepeated(dst []byte, i, ncols int, s string, enc func([]byte, string) []byte) []byte {
	if b.last == nil {
		b.last = make([]lastString, ncols)
	}
	l := &b.last[i]
	if l.enc == nil || l.s != s {
		l.s, l.enc = s, enc(l.enc[:0], s)
	}
	return append(dst, l.enc...)
}

// A rowFormat encodes rows in one format and writes them.
type rowFormat interface {
	// Encode appends a row, one cell per column, to b. It may be called
	// from several goroutines at once, each with its own batch.
	Encode(b *rowBatch, cells []cell)
	// Write writes b's rows and empties b.
	Write(b *rowBatch) error
	// Close writes what is buffered (and Parquet's footer); it does not
	// close the underlying writer.
	Close() error
}

// A table is a tableWriter writing rows in a rowFormat, a batch at a time.
type table struct {
	format rowFormat
	batch  rowBatch
}

// Row encodes a row, writing the batch once full.
func (t *table) Row(cells []cell) error {
	t.format.Encode(&t.batch, cells)
	if t.batch.full() {
		return t.format.Write(&t.batch)
	}
	return nil
}

// Close writes the rows still batched and closes the format.
func (t *table) Close() error {
	if err := t.format.Write(&t.batch); err != nil {
		return err
	}
	return t.format.Close()
}

// newTableWriter returns a writer of the table with the given columns to
// w.
func newTableWriter(w io.Writer, format string, cols []column) (*table, error) {
	var f rowFormat
	switch format {
	case formatCSV:
		t := &csvTable{textFormat: textFormat{w: w}, cols: cols}
		var header []byte
		for i, c := range cols {
			if i > 0 {
				header = append(header, ',')
			}
			header = appendCSVField(header, c.name)
		}
		if _, err := w.Write(append(header, '\n')); err != nil {
			return nil, err
		}
		f = t
	case formatJSONL:
		t := &jsonlTable{textFormat: textFormat{w: w}, cols: cols}
		for _, c := range cols {
			t.keys = append(t.keys, appendJSONString(nil, c.name))
		}
		f = t
	case formatParquet:
		if slices.Equal(cols, scalarColumns) {
			t, err := newScalarParquet(w)
			if err != nil {
				return nil, err
			}
			f = t
			break
		}
		t, err := newParquetTable(w, cols)
		if err != nil {
			return nil, err
		}
		f = t
	default:
		return nil, fmt.Errorf("%w: unknown format %q (want csv, jsonl or parquet)", errUsage, format)
	}
	return &table{format: f}, nil
}

// textFormat writes the text of CSV and JSON Lines batches. A batch is
// written once it holds rowChunkSize bytes (or a batch of MapScalars,
// larger still), so it needs no bufio.Writer: one measured no faster
// (BenchmarkExportScalars).
type textFormat struct {
	w io.Writer
}

func (f *textFormat) Write(b *rowBatch) error {
	_, err := f.w.Write(b.text)
	b.text = b.text[:0]
	return err
}

func (f *textFormat) Close() error { return nil }

// csvTable writes RFC 4180 CSV with a header row. Numbers are written in
// the shortest form that reads back to the same float64; NaN and
// infinities as NaN, Inf and -Inf; nulls as empty fields.
type csvTable struct {
	textFormat
	cols []column
}

func (t *csvTable) Encode(batch *rowBatch, cells []cell) {
	b := batch.text
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		if c.null {
			continue
		}
		switch t.cols[i].typ {
		case colString:
			if t.cols[i].repeats {
				b = batch.appendRepeated(b, i, len(t.cols), c.s, appendCSVField)
			} else {
				b = appendCSVField(b, c.s)
			}
		case colInt:
			b = strconv.AppendInt(b, c.i, 10)
		case colFloat:
			b = appendFloat(b, c.f)
		case colBool:
			b = strconv.AppendBool(b, c.b)
		}
	}
	batch.text = append(b, '\n')
}

// appendFloat appends f as CSV and JSON Lines write it: the shortest
// decimal that parses back to f, or NaN, Inf, -Inf.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendCSVField appends s, quoted if it must be (as encoding/csv does).
func appendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// csvNeedsQuotes reports whether s must be quoted in CSV: if it holds a
// comma, a quote or a line break, starts with a space or a tab, or is \.
// (A plain loop: strings.ContainsAny showed in export profiles.)
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == ' ' || s[0] == '\t' || s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// jsonlTable writes one JSON object per line, keys in column order.
// Non-finite numbers, which JSON lacks, are written as the strings "NaN",
// "Infinity" and "-Infinity", as TensorBoard's JSON API writes them.
type jsonlTable struct {
	textFormat
	cols []column
	keys [][]byte // quoted column names
}

func (t *jsonlTable) Encode(batch *rowBatch, cells []cell) {
	b := append(batch.text, '{')
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t.keys[i]...)
		b = append(b, ':')
		if c.null {
			b = append(b, "null"...)
			continue
		}
		switch t.cols[i].typ {
		case colString:
			if t.cols[i].repeats {
				b = batch.appendRepeated(b, i, len(t.cols), c.s, appendJSONString)
			} else {
				b = appendJSONString(b, c.s)
			}
		case colInt:
			b = strconv.AppendInt(b, c.i, 10)
		case colFloat:
			b = appendJSONFloat(b, c.f)
		case colBool:
			b = strconv.AppendBool(b, c.b)
		}
	}
	batch.text = append(b, '}', '\n')
}

func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// parquetRowGroup is how many rows a Parquet row group holds at most: the
// writer buffers one row group, so this bounds its memory.
const parquetRowGroup = 1 << 18

// parquetTable writes a Parquet file (Snappy-compressed, strings as UTF-8
// byte arrays, dictionary-encoded where values repeat), one row group per
// parquetRowGroup rows.
type parquetTable struct {
	w    *parquet.GenericWriter[any]
	cols []column
	n    int // rows in the current row group
}

func newParquetTable(w io.Writer, cols []column) (*parquetTable, error) {
	group := make(orderedGroup, len(cols))
	for i, c := range cols {
		var n parquet.Node
		switch c.typ {
		case colString:
			n = parquet.String()
			if c.repeats {
				n = parquet.Encoded(n, &parquet.RLEDictionary)
			}
		case colInt:
			n = parquet.Leaf(parquet.Int64Type)
		case colFloat:
			n = parquet.Leaf(parquet.DoubleType)
		case colBool:
			n = parquet.Leaf(parquet.BooleanType)
		}
		if c.optional {
			n = parquet.Optional(n)
		}
		group[i] = orderedField{Node: n, name: c.name}
	}
	cfg, err := parquet.NewWriterConfig(parquetOptions(parquet.NewSchema("tbgo", group))...)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return &parquetTable{w: parquet.NewGenericWriter[any](w, cfg), cols: cols}, nil
}

func (t *parquetTable) Encode(b *rowBatch, cells []cell) {
	for j, c := range cells {
		col := t.cols[j]
		def := 0
		if col.optional {
			def = 1
		}
		var v parquet.Value
		switch {
		case c.null:
			v, def = parquet.NullValue(), 0
		case col.typ == colString:
			v = parquet.ByteArrayValue(b.stringBytes(col, c.s))
		case col.typ == colInt:
			v = parquet.Int64Value(c.i)
		case col.typ == colFloat:
			v = parquet.DoubleValue(c.f)
		case col.typ == colBool:
			v = parquet.BooleanValue(c.b)
		}
		b.values = append(b.values, v.Level(0, def, j))
	}
	b.nrows++
}

// stringBytes returns s as bytes, reusing them for columns whose values
// repeat. The bytes are never changed, so rows may share them.
func (b *rowBatch) stringBytes(col column, s string) []byte {
	if !col.repeats {
		return []byte(s)
	}
	if bs, ok := b.bytes[s]; ok {
		return bs
	}
	bs := []byte(s)
	if b.bytes == nil {
		b.bytes = map[string][]byte{}
	}
	if len(b.bytes) < 1<<16 {
		b.bytes[s] = bs
	}
	return bs
}

// Write writes b's rows, starting a row group every parquetRowGroup rows.
func (t *parquetTable) Write(b *rowBatch) error {
	// Every row has a value per column, so the rows are equal slices of
	// b.values.
	width := len(t.cols)
	b.rows = b.rows[:0]
	for i := range b.nrows {
		b.rows = append(b.rows, b.values[i*width:(i+1)*width:(i+1)*width])
	}
	err := writeRowGroups(t.w, &t.n, b.rows, t.w.WriteRows)
	clear(b.rows)
	b.rows, b.values, b.nrows = b.rows[:0], b.values[:0], 0
	return err
}

func (t *parquetTable) Close() error {
	if err := t.w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// scalarRecord is a row of the scalars table (scalarColumns) for Parquet's
// typed writer, which writes columns of Go values many times faster than
// rows of parquet.Values. The file is the one parquetTable would write.
type scalarRecord struct {
	Run      string  `parquet:"run,dict"`
	Tag      string  `parquet:"tag,dict"`
	Step     int64   `parquet:"step"`
	WallTime float64 `parquet:"wall_time"`
	Value    float64 `parquet:"value"`
}

// scalarParquet writes the scalars table as parquetTable does, faster.
type scalarParquet struct {
	w *parquet.GenericWriter[scalarRecord]
	n int // rows in the current row group
}

func newScalarParquet(w io.Writer) (*scalarParquet, error) {
	cfg, err := parquet.NewWriterConfig(parquetOptions(parquet.NewSchema("tbgo", parquet.SchemaOf(scalarRecord{})))...)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return &scalarParquet{w: parquet.NewGenericWriter[scalarRecord](w, cfg)}, nil
}

func (t *scalarParquet) Encode(b *rowBatch, cells []cell) {
	b.scalars = append(b.scalars, scalarRecord{Run: cells[0].s, Tag: cells[1].s, Step: cells[2].i,
		WallTime: cells[3].f, Value: cells[4].f})
}

func (t *scalarParquet) Write(b *rowBatch) error {
	err := writeRowGroups(t.w, &t.n, b.scalars, t.w.Write)
	clear(b.scalars)
	b.scalars = b.scalars[:0]
	return err
}

func (t *scalarParquet) Close() error {
	if err := t.w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// writeRowGroups writes rows with write, flushing w to end a row group
// every parquetRowGroup rows; *n counts the rows of the current one.
func writeRowGroups[R any](w interface{ Flush() error }, n *int, rows []R, write func([]R) (int, error)) error {
	for len(rows) > 0 {
		batch := rows[:min(parquetRowGroup-*n, len(rows))]
		if _, err := write(batch); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		if *n += len(batch); *n == parquetRowGroup {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("parquet: %w", err)
			}
			*n = 0
		}
		rows = rows[len(batch):]
	}
	return nil
}

// fastSnappy is Parquet's SNAPPY codec compressing with s2's fastest
// Snappy-compatible encoder. parquet-go's own uses the "better" one, which
// took a fifth of the CPU time of exporting bench/export.sh's 1e6 scalars
// to Parquet (a CPU profile) and made that file no smaller.
type fastSnappy struct{ *snappy.Codec }

func (fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst, src), nil }

// parquetOptions are the writer options of every exported Parquet file.
func parquetOptions(schema *parquet.Schema) []parquet.WriterOption {
	return []parquet.WriterOption{
		schema,
		parquet.Compression(fastSnappy{&snappy.Codec{}}),
		parquet.MaxRowsPerRowGroup(parquetRowGroup),
		parquet.CreatedBy("tbgo", "", ""),
	}
}

// orderedGroup is a Parquet group whose columns keep the order given;
// parquet.Group sorts them by name.
type orderedGroup []orderedField

type orderedField struct {
	parquet.Node
	name string
}

func (f orderedField) Name() string { return f.name }

func (f orderedField) Value(base reflect.Value) reflect.Value {
	panic("tbgo: an export schema has no Go type")
}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return "group" }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[struct{}]() }
func (g orderedGroup) Fields() []parquet.Field {
	fields := make([]parquet.Field, len(g))
	for i := range g {
		fields[i] = g[i]
	}
	return fields
}

// atomicFile is an output file written under a temporary name in its
// directory and renamed into place by Commit; Abort removes it.
type atomicFile struct {
	*os.File
	target string
	done   bool
}

// createAtomic starts writing path. A directory that cannot be written
// gives an error naming it.
func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPathError(err))
	}
	return &atomicFile{File: f, target: path}, nil
}

// Commit closes the file and renames it to its target.
func (a *atomicFile) Commit() error {
	if a.done {
		return errors.New("atomicFile: committed twice")
	}
	a.done = true
	if err := a.File.Chmod(0o644); err != nil {
		a.File.Close()
		os.Remove(a.Name())
		return err
	}
	if err := a.File.Close(); err != nil {
		os.Remove(a.Name())
		return fmt.Errorf("write %s: %w", a.target, err)
	}
	if err := os.Rename(a.Name(), a.target); err != nil {
		os.Remove(a.Name())
		return fmt.Errorf("write %s: %w", a.target, err)
	}
	return nil
}

// Abort closes and removes the temporary file, unless committed.
func (a *atomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.Name())
}

// unwrapPathError drops the temporary name from an *os.PathError, which
// would only confuse.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// sanitize turns a run or tag name into a relative path of safe file
// names: each "/"-separated part keeps letters, digits, "-", "_" and "."
// (not leading), everything else becoming "_"; a part that had to change
// gets "~" and 8 hex digits of a hash of the original appended, so that
// different names never meet. "." (the root run) becomes "_~<hash>".
func sanitize(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = sanitizePart(p)
	}
	return filepath.Join(parts...)
}

const maxPartLen = 100

func sanitizePart(p string) string {
	var b strings.Builder
	changed := p == "" || len(p) > maxPartLen
	for i, r := range p {
		ok := r == '-' || r == '_' || r == '.' && i > 0 ||
			r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
			r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !ok {
			r = '_'
			changed = true
		}
		if b.Len()+utf8.RuneLen(r) > maxPartLen {
			break
		}
		b.WriteRune(r)
	}
	if !changed {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(p))
	return fmt.Sprintf("%s~%08x", b.String(), h.Sum32())
}
