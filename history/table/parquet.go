package table

import (
	"fmt"
	"io"
	"reflect"
	"slices"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding"
)

// parquetRowGroup is how many rows a Parquet row group holds at most: the
// writer buffers one row group, so this bounds its memory.
const parquetRowGroup = 1 << 18

// parquetEncoder writes a Parquet file (Snappy-compressed, strings as
// UTF-8 byte arrays, dictionary-encoded where values repeat, times as
// doubles), one row group per parquetRowGroup rows.
type parquetEncoder struct {
	w    *parquet.GenericWriter[any]
	cols []Column
	n    int // rows in the current row group
}

func newParquetEncoder(w io.Writer, cols []Column) (*parquetEncoder, error) {
	group := make(orderedGroup, len(cols))
	for i, c := range cols {
		var n parquet.Node
		switch c.Type {
		case TypeString:
			n = parquet.String()
			if c.Dictionary {
				n = parquet.Encoded(n, &parquet.RLEDictionary)
			}
		case TypeInt:
			n = parquet.Leaf(parquet.Int64Type)
		case TypeFloat, TypeTime:
			n = parquet.Leaf(parquet.DoubleType)
		case TypeBool:
			n = parquet.Leaf(parquet.BooleanType)
		default:
			return nil, fmt.Errorf("table: column %q has no type", c.Name)
		}
		if c.Nullable {
			n = parquet.Optional(n)
		}
		group[i] = orderedField{Node: n, name: c.Name}
	}
	cfg, err := parquet.NewWriterConfig(parquetOptions(parquet.NewSchema("tbgo", group))...)
	if err != nil {
		return nil, fmt.Errorf("table: parquet: %w", err)
	}
	return &parquetEncoder{w: parquet.NewGenericWriter[any](w, cfg), cols: cols}, nil
}

func (e *parquetEncoder) Encode(b *batch, row []Value) {
	for j, v := range row {
		col := &e.cols[j]
		def := 0
		if col.Nullable {
			def = 1
		}
		var pv parquet.Value
		switch {
		case v.IsNull():
			pv, def = parquet.NullValue(), 0
		case col.Type == TypeString:
			pv = parquet.ByteArrayValue(b.stringBytes(col, v.s))
		case col.Type == TypeInt:
			pv = parquet.Int64Value(v.Int())
		case col.Type == TypeFloat || col.Type == TypeTime:
			pv = parquet.DoubleValue(v.Float())
		case col.Type == TypeBool:
			pv = parquet.BooleanValue(v.Bool())
		}
		b.values = append(b.values, pv.Level(0, def, j))
	}
	b.nrows++
}

// stringBytes returns s as bytes, reusing them for columns whose values
// repeat. The bytes are never changed, so rows may share them.
func (b *batch) stringBytes(col *Column, s string) []byte {
	if !col.Dictionary {
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
func (e *parquetEncoder) Write(b *batch) error {
	// Every row has a value per column, so the rows are equal slices of
	// b.values.
	width := len(e.cols)
	b.rows = b.rows[:0]
	for i := range b.nrows {
		b.rows = append(b.rows, b.values[i*width:(i+1)*width:(i+1)*width])
	}
	err := writeRowGroups(e.w, &e.n, b.rows, e.w.WriteRows)
	clear(b.rows)
	b.rows, b.values, b.nrows = b.rows[:0], b.values[:0], 0
	return err
}

func (e *parquetEncoder) Flush() error { return flushRowGroup(e.w, &e.n) }

func (e *parquetEncoder) Close() error {
	if err := e.w.Close(); err != nil {
		return fmt.Errorf("table: parquet: %w", err)
	}
	return nil
}

// scalarRecord is a row of the long scalars table for Parquet's typed
// writer, which writes columns of Go values many times faster than rows
// of parquet.Values. The file is the one parquetEncoder would write.
type scalarRecord struct {
	Run      string  `parquet:"run,dict"`
	Tag      string  `parquet:"tag,dict"`
	Step     int64   `parquet:"step"`
	WallTime float64 `parquet:"wall_time"`
	Value    float64 `parquet:"value"`
}

// isScalarColumns reports whether cols are the long scalars table's.
func isScalarColumns(cols []Column) bool { return slices.Equal(cols, Columns(Scalars)) }

// scalarParquet writes the scalars table as parquetEncoder does, faster.
type scalarParquet struct {
	w *parquet.GenericWriter[scalarRecord]
	n int // rows in the current row group
}

func newScalarParquet(w io.Writer) (*scalarParquet, error) {
	cfg, err := parquet.NewWriterConfig(parquetOptions(parquet.NewSchema("tbgo", parquet.SchemaOf(scalarRecord{})))...)
	if err != nil {
		return nil, fmt.Errorf("table: parquet: %w", err)
	}
	return &scalarParquet{w: parquet.NewGenericWriter[scalarRecord](w, cfg)}, nil
}

func (e *scalarParquet) Encode(b *batch, row []Value) {
	b.scalars = append(b.scalars, scalarRecord{Run: row[0].s, Tag: row[1].s, Step: row[2].Int(),
		WallTime: row[3].Float(), Value: row[4].Float()})
}

func (e *scalarParquet) Write(b *batch) error {
	err := writeRowGroups(e.w, &e.n, b.scalars, e.w.Write)
	clear(b.scalars)
	b.scalars = b.scalars[:0]
	return err
}

func (e *scalarParquet) Flush() error { return flushRowGroup(e.w, &e.n) }

func (e *scalarParquet) Close() error {
	if err := e.w.Close(); err != nil {
		return fmt.Errorf("table: parquet: %w", err)
	}
	return nil
}

// writeRowGroups writes rows with write, flushing w to end a row group
// every parquetRowGroup rows; *n counts the rows of the current one.
func writeRowGroups[R any](w interface{ Flush() error }, n *int, rows []R, write func([]R) (int, error)) error {
	for len(rows) > 0 {
		chunk := rows[:min(parquetRowGroup-*n, len(rows))]
		if _, err := write(chunk); err != nil {
			return fmt.Errorf("table: parquet: %w", err)
		}
		if *n += len(chunk); *n == parquetRowGroup {
			if err := flushRowGroup(w, n); err != nil {
				return err
			}
		}
		rows = rows[len(chunk):]
	}
	return nil
}

// flushRowGroup ends the current row group, if it holds rows.
func flushRowGroup(w interface{ Flush() error }, n *int) error {
	if *n == 0 {
		return nil
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("table: parquet: %w", err)
	}
	*n = 0
	return nil
}

// fastSnappy is Parquet's SNAPPY codec compressing with s2's fastest
// Snappy-compatible encoder. parquet-go's own uses the "better" one, which
// took a fifth of the CPU time of exporting bench/export.sh's 1e6 scalars
// to Parquet (a CPU profile) and made that file no smaller.
type fastSnappy struct{ *snappy.Codec }

func (fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst, src), nil }

// parquetOptions are the writer options of every Parquet file.
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

// Value is never called: rows are written as parquet.Values, not Go
// structs.
func (f orderedField) Value(base reflect.Value) reflect.Value {
	panic("table: a table's Parquet schema has no Go type")
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
