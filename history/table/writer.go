package table

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// A Format is a file format a table is written in.
type Format string

// The formats.
const (
	// CSV is RFC 4180 CSV with a header row.
	CSV Format = "csv"
	// JSONLines is one JSON object per row and line, keys in column
	// order.
	JSONLines Format = "jsonl"
	// Parquet is a Snappy-compressed Parquet file with one typed column
	// per column of the table.
	Parquet Format = "parquet"
)

// ParseFormat returns the Format named s: "csv", "jsonl" or "parquet".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case CSV, JSONLines, Parquet:
		return f, nil
	}
	return "", fmt.Errorf("table: unknown format %q (want csv, jsonl or parquet)", s)
}

// FormatOf returns the Format a file name's extension names: JSONLines
// for .jsonl and .ndjson, Parquet for .parquet and .pq, CSV for any
// other.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson":
		return JSONLines
	case ".parquet", ".pq":
		return Parquet
	}
	return CSV
}

// A Writer writes the rows of one table in one Format.
type Writer struct {
	cols []Column
	enc  encoder
	b    batch
}

// NewWriter returns a Writer of a table with the given columns to w. For
// CSV it writes the header row at once.
func NewWriter(w io.Writer, f Format, cols []Column) (*Writer, error) {
	enc, err := newEncoder(w, f, cols)
	if err != nil {
		return nil, err
	}
	return &Writer{cols: cols, enc: enc}, nil
}

// Write writes a row, one Value per column, each of its column's Type or
// null where the column is Nullable. Rows are buffered: Flush or Close
// writes them.
func (w *Writer) Write(row []Value) error {
	if len(row) != len(w.cols) {
		return fmt.Errorf("table: a row of %d values for %d columns", len(row), len(w.cols))
	}
	for i, v := range row {
		c := &w.cols[i]
		if v.IsNull() {
			if !c.Nullable {
				return fmt.Errorf("table: null in column %q, which is not nullable", c.Name)
			}
		} else if v.typ != c.Type {
			return fmt.Errorf("table: a %v in column %q of %vs", v.typ, c.Name, c.Type)
		}
	}
	return w.row(row)
}

// row writes a row known to fit the columns.
func (w *Writer) row(row []Value) error {
	w.enc.Encode(&w.b, row)
	if w.b.full() {
		return w.enc.Write(&w.b)
	}
	return nil
}

// Flush writes the rows buffered to the underlying writer. In Parquet it
// ends a row group: flush rarely.
func (w *Writer) Flush() error {
	if err := w.enc.Write(&w.b); err != nil {
		return err
	}
	return w.enc.Flush()
}

// Close writes the rows buffered and, in Parquet, the file's footer. It
// does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.enc.Write(&w.b); err != nil {
		return err
	}
	return w.enc.Close()
}

// A batch holds rows encoded for a table but not yet written: text for
// CSV and JSON Lines, values for Parquet. Rows can be encoded into
// different batches in different goroutines at once.
type batch struct {
	text    []byte          // CSV, JSON Lines
	values  []parquet.Value // Parquet: nrows rows of one value per column
	nrows   int
	scalars []scalarRecord // Parquet's scalars table, written faster than values
	rows    []parquet.Row  // scratch for writing values
	row     []Value        // scratch for building a row

	// Caches for the columns whose strings repeat (run, tag): per column,
	// the last string and its encoding (CSV, JSON Lines); the bytes of
	// each string (Parquet).
	last  []lastString
	bytes map[string][]byte

	// What an export learns of the rows: how many, and of which runs and
	// tags (each recorded when it differs from the row before).
	count int
	runs  []string
	tags  []string
}

// lastString is a column's last string and its encoding.
type lastString struct {
	s   string
	enc []byte
}

// Limits of a batch that Writer fills: once it holds rowChunkSize bytes
// of text or rowChunkRows Parquet rows it is written.
const (
	rowChunkSize = 32 << 10
	rowChunkRows = 256
)

func (b *batch) full() bool {
	return len(b.text) >= rowChunkSize || b.nrows >= rowChunkRows || len(b.scalars) >= rowChunkRows
}

// appendRepeated appends s, the value of column i, encoded by enc,
// remembering the encoding until the column's value changes.
func (b *batch) appendRepeated(dst []byte, i, ncols int, s string, enc func([]byte, string) []byte) []byte {
	if b.last == nil {
		b.last = make([]lastString, ncols)
	}
	l := &b.last[i]
	if l.enc == nil || l.s != s {
		l.s, l.enc = s, enc(l.enc[:0], s)
	}
	return append(dst, l.enc...)
}

// note records a row of run and tag in b.
func (b *batch) note(run, tag string) {
	b.count++
	if n := len(b.runs); n == 0 || b.runs[n-1] != run {
		b.runs = append(b.runs, run)
	}
	if n := len(b.tags); n == 0 || b.tags[n-1] != tag {
		b.tags = append(b.tags, tag)
	}
}

// An encoder encodes rows in one format and writes them.
type encoder interface {
	// Encode appends a row, one Value per column, to b. It may be called
	// from several goroutines at once, each with its own batch.
	Encode(b *batch, row []Value)
	// Write writes b's rows and empties b.
	Write(b *batch) error
	// Flush flushes what the encoder buffers itself (Parquet's row
	// group).
	Flush() error
	// Close writes what is buffered (and Parquet's footer); it does not
	// close the underlying writer.
	Close() error
}

func newEncoder(w io.Writer, f Format, cols []Column) (encoder, error) {
	switch f {
	case CSV:
		var header []byte
		for i, c := range cols {
			if i > 0 {
				header = append(header, ',')
			}
			header = appendCSVField(header, c.Name)
		}
		if _, err := w.Write(append(header, '\n')); err != nil {
			return nil, err
		}
		return &csvEncoder{textEncoder: textEncoder{w: w}, cols: cols}, nil
	case JSONLines:
		t := &jsonlEncoder{textEncoder: textEncoder{w: w}, cols: cols}
		for _, c := range cols {
			t.keys = append(t.keys, appendJSONString(nil, c.Name))
		}
		return t, nil
	case Parquet:
		if isScalarColumns(cols) {
			return newScalarParquet(w)
		}
		return newParquetEncoder(w, cols)
	}
	return nil, fmt.Errorf("table: unknown format %q (want csv, jsonl or parquet)", string(f))
}

// textEncoder writes the text of CSV and JSON Lines batches. A batch is
// written once it holds rowChunkSize bytes (or a batch of
// history.MapScalars, larger still), so it needs no bufio.Writer: one
// measured no faster (BenchmarkExportScalars).
type textEncoder struct {
	w io.Writer
}

func (e *textEncoder) Write(b *batch) error {
	if len(b.text) == 0 {
		return nil
	}
	_, err := e.w.Write(b.text)
	b.text = b.text[:0]
	return err
}

func (e *textEncoder) Flush() error { return nil }
func (e *textEncoder) Close() error { return nil }

// csvEncoder writes RFC 4180 CSV. Values are written as
// Value.AppendText writes them; strings are quoted where they must be.
type csvEncoder struct {
	textEncoder
	cols []Column
}

func (e *csvEncoder) Encode(b *batch, row []Value) {
	t := b.text
	for i, v := range row {
		if i > 0 {
			t = append(t, ',')
		}
		switch {
		case v.IsNull():
		case v.typ != TypeString:
			t = v.AppendText(t)
		case e.cols[i].Dictionary:
			t = b.appendRepeated(t, i, len(e.cols), v.s, appendCSVField)
		default:
			t = appendCSVField(t, v.s)
		}
	}
	b.text = append(t, '\n')
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

// jsonlEncoder writes one JSON object per line, keys in column order.
type jsonlEncoder struct {
	textEncoder
	cols []Column
	keys [][]byte // quoted column names
}

func (e *jsonlEncoder) Encode(b *batch, row []Value) {
	t := append(b.text, '{')
	for i, v := range row {
		if i > 0 {
			t = append(t, ',')
		}
		t = append(t, e.keys[i]...)
		t = append(t, ':')
		if !v.IsNull() && v.typ == TypeString && e.cols[i].Dictionary {
			t = b.appendRepeated(t, i, len(e.cols), v.s, appendJSONString)
		} else {
			t = v.AppendJSON(t)
		}
	}
	b.text = append(t, '}', '\n')
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
