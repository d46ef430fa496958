package main

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
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

// A tableWriter writes the rows of one table in one format.
type tableWriter interface {
	// Row writes a row, one cell per column.
	Row(cells []cell) error
	// Close writes what is buffered (and Parquet's footer); it does not
	// close the underlying writer.
	Close() error
}

// newTableWriter returns a writer of the table with the given columns to
// w.
func newTableWriter(w io.Writer, format string, cols []column) (tableWriter, error) {
	switch format {
	case formatCSV:
		t := &csvTable{rowChunks: rowChunks{w: bufio.NewWriterSize(w, 64<<10)}, cols: cols}
		for i, c := range cols {
			if i > 0 {
				t.buf = append(t.buf, ',')
			}
			t.buf = appendCSVField(t.buf, c.name)
		}
		t.buf = append(t.buf, '\n')
		return t, nil
	case formatJSONL:
		t := &jsonlTable{rowChunks: rowChunks{w: bufio.NewWriterSize(w, 64<<10)}, cols: cols}
		for _, c := range cols {
			t.keys = append(t.keys, appendJSONString(nil, c.name))
		}
		return t, nil
	case formatParquet:
		return newParquetTable(w, cols)
	}
	return nil, fmt.Errorf("%w: unknown format %q (want csv, jsonl or parquet)", errUsage, format)
}

// csvTable writes RFC 4180 CSV with a header row. Numbers are written in
// the shortest form that reads back to the same float64; NaN and
// infinities as NaN, Inf and -Inf; nulls as empty fields.
type csvTable struct {
	rowChunks
	cols []column
	last []lastField // per column, for columns whose values repeat
}

// rowChunks gathers the rows of a text table and hands them to a
// bufio.Writer in chunks of at least rowChunkSize bytes, so that a row
// costs no call of its own. Its Close writes and flushes the rest.
// (Writing the chunks straight to the file, without the bufio.Writer,
// measured 10-25% slower in BenchmarkExportScalars.)
type rowChunks struct {
	w   *bufio.Writer
	buf []byte
}

const rowChunkSize = 32 << 10

// endRow keeps b, the buffer with a row appended, writing it out once it
// holds a chunk.
func (r *rowChunks) endRow(b []byte) error {
	if len(b) >= rowChunkSize {
		if _, err := r.w.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	r.buf = b
	return nil
}

// Close writes the rows still buffered.
func (r *rowChunks) Close() error {
	if _, err := r.w.Write(r.buf); err != nil {
		return err
	}
	r.buf = r.buf[:0]
	return r.w.Flush()
}

// lastField is a column's last string and its CSV form.
type lastField struct {
	s   string
	enc []byte
}

func (t *csvTable) Row(cells []cell) error {
	b := t.buf
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		if c.null {
			continue
		}
		switch t.cols[i].typ {
		case colString:
			if !t.cols[i].repeats {
				b = appendCSVField(b, c.s)
				break
			}
			if t.last == nil {
				t.last = make([]lastField, len(t.cols))
			}
			l := &t.last[i]
			if l.enc == nil || l.s != c.s {
				l.s, l.enc = c.s, appendCSVField(l.enc[:0], c.s)
			}
			b = append(b, l.enc...)
		case colInt:
			b = strconv.AppendInt(b, c.i, 10)
		case colFloat:
			b = appendFloat(b, c.f)
		case colBool:
			b = strconv.AppendBool(b, c.b)
		}
	}
	return t.endRow(append(b, '\n'))
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
	if s == "" || !strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[0] != '\t' && s != `\.` {
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

// jsonlTable writes one JSON object per line, keys in column order.
// Non-finite numbers, which JSON lacks, are written as the strings "NaN",
// "Infinity" and "-Infinity", as TensorBoard's JSON API writes them.
type jsonlTable struct {
	rowChunks
	cols []column
	keys [][]byte // quoted column names
}

func (t *jsonlTable) Row(cells []cell) error {
	b := append(t.buf, '{')
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
			b = appendJSONString(b, c.s)
		case colInt:
			b = strconv.AppendInt(b, c.i, 10)
		case colFloat:
			b = appendJSONFloat(b, c.f)
		case colBool:
			b = strconv.AppendBool(b, c.b)
		}
	}
	return t.endRow(append(b, '}', '\n'))
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
	w     *parquet.GenericWriter[any]
	cols  []column
	rows  []parquet.Row
	n     int // rows in the current row group
	bytes map[string][]byte
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
	cfg, err := parquet.NewWriterConfig(
		parquet.NewSchema("tbgo", group),
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(parquetRowGroup),
		parquet.CreatedBy("tbgo", "", ""),
	)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return &parquetTable{w: parquet.NewGenericWriter[any](w, cfg), cols: cols, bytes: map[string][]byte{}}, nil
}

func (t *parquetTable) Row(cells []cell) error {
	if len(t.rows) == cap(t.rows) && len(t.rows) > 0 {
		if err := t.flushRows(); err != nil {
			return err
		}
	}
	if t.rows == nil {
		t.rows = make([]parquet.Row, 0, 256)
	}
	i := len(t.rows)
	t.rows = t.rows[:i+1]
	row := t.rows[i][:0]
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
			v = parquet.ByteArrayValue(t.stringBytes(col, c.s))
		case col.typ == colInt:
			v = parquet.Int64Value(c.i)
		case col.typ == colFloat:
			v = parquet.DoubleValue(c.f)
		case col.typ == colBool:
			v = parquet.BooleanValue(c.b)
		}
		row = append(row, v.Level(0, def, j))
	}
	t.rows[i] = row
	return nil
}

// stringBytes returns s as bytes, reusing them for columns whose values
// repeat.
func (t *parquetTable) stringBytes(col column, s string) []byte {
	if !col.repeats {
		return []byte(s)
	}
	b, ok := t.bytes[s]
	if !ok {
		b = []byte(s)
		if len(t.bytes) < 1<<16 {
			t.bytes[s] = b
		}
	}
	return b
}

func (t *parquetTable) flushRows() error {
	rows := t.rows
	for len(rows) > 0 {
		batch := rows[:min(parquetRowGroup-t.n, len(rows))]
		if _, err := t.w.WriteRows(batch); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		if t.n += len(batch); t.n == parquetRowGroup {
			if err := t.w.Flush(); err != nil {
				return fmt.Errorf("parquet: %w", err)
			}
			t.n = 0
		}
		rows = rows[len(batch):]
	}
	t.rows = t.rows[:0]
	return nil
}

func (t *parquetTable) Close() error {
	if err := t.flushRows(); err != nil {
		return err
	}
	if err := t.w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
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
