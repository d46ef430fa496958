package table

import (
	"fmt"
	"slices"
)

// A Kind is a kind of data an export writes: a table, or for Images and
// Audio files with an index table.
type Kind string

// The kinds of data, in the order Kinds returns them.
const (
	Scalars    Kind = "scalars"
	Histograms Kind = "histograms"
	Text       Kind = "text"
	HParams    Kind = "hparams"
	Images     Kind = "images"
	Audio      Kind = "audio"
)

// Kinds returns every Kind.
func Kinds() []Kind { return []Kind{Scalars, Histograms, Text, HParams, Images, Audio} }

// Media reports whether k is written as files (images, audio clips) with
// an index table, which only WriteDir writes.
func (k Kind) Media() bool { return k == Images || k == Audio }

// A Column is a column of a table.
type Column struct {
	Name string
	Type Type
	// Nullable columns may hold null Values: an empty CSV field, a JSON
	// null, a Parquet null.
	Nullable bool
	// Dictionary marks a column of few distinct strings (run and tag
	// names): Parquet dictionary-encodes it.
	Dictionary bool
}

// The columns every table of values starts with.
var (
	runColumn  = Column{Name: "run", Dictionary: true}
	tagColumn  = Column{Name: "tag", Dictionary: true}
	stepColumn = Column{Name: "step", Type: TypeInt}
	wallColumn = Column{Name: "wall_time", Type: TypeTime}
)

// Columns returns the columns of kind's table in order: the long scalars
// table, the histograms and text tables, the index tables of Images and
// Audio, and the first five columns of the HParams table, which has a
// column per hyper-parameter after them (see HParamColumns). The names are
// stable: the package documentation describes each.
func Columns(k Kind) []Column {
	head := []Column{runColumn, tagColumn, stepColumn, wallColumn}
	switch k {
	case Scalars:
		return append(head, Column{Name: "value", Type: TypeFloat})
	case Histograms:
		return append(head,
			Column{Name: "bucket", Type: TypeInt, Nullable: true},
			Column{Name: "left", Type: TypeFloat, Nullable: true},
			Column{Name: "right", Type: TypeFloat, Nullable: true},
			Column{Name: "count", Type: TypeFloat, Nullable: true})
	case Text:
		return append(head, Column{Name: "row", Type: TypeInt}, Column{Name: "col", Type: TypeInt}, Column{Name: "text"})
	case Images:
		return append(head, Column{Name: "sample", Type: TypeInt},
			Column{Name: "width", Type: TypeInt}, Column{Name: "height", Type: TypeInt}, Column{Name: "file"})
	case Audio:
		return append(head, Column{Name: "sample", Type: TypeInt},
			Column{Name: "content_type", Dictionary: true},
			Column{Name: "sample_rate", Type: TypeFloat, Nullable: true},
			Column{Name: "label"}, Column{Name: "file"})
	case HParams:
		return []Column{
			{Name: "run"}, {Name: "group"}, {Name: "status", Dictionary: true},
			{Name: "start_time", Type: TypeTime, Nullable: true},
			{Name: "end_time", Type: TypeTime, Nullable: true},
		}
	}
	return nil
}

// WideColumns returns the columns of the scalars table in the wide
// layout: run, step and wall_time, then a nullable float column per tag,
// in the order given. A tag named like one of the first three is an error:
// the layout has no room for it.
func WideColumns(tags []string) ([]Column, error) {
	cols := []Column{runColumn, stepColumn, wallColumn}
	for _, tag := range tags {
		if slices.ContainsFunc(cols[:3], func(c Column) bool { return c.Name == tag }) {
			return nil, fmt.Errorf("table: a scalar tag is named %q, which the wide layout uses for a column of its own; select other tags or use the long layout", tag)
		}
		cols = append(cols, Column{Name: tag, Type: TypeFloat, Nullable: true})
	}
	return cols, nil
}

// HParamColumns returns fixed followed by one nullable column per
// hyper-parameter of sessions, in name order, and those names: the
// column fixed[len(fixed)+i] holds names[i]. A column's type is that of
// the hyper-parameter's values, as history.Session keeps them (a float64,
// a bool; a string for text and for a hyper-parameter whose sessions
// disagree on its type), and its name the hyper-parameter's, or
// "hparam:NAME" if NAME is a fixed column's. The HParams table's columns
// are HParamColumns(Columns(HParams), ...).
func HParamColumns(fixed []Column, sessions []map[string]any) (cols []Column, names []string) {
	types := map[string]Type{}
	for _, hps := range sessions {
		for name, v := range hps {
			t := hparamType(v)
			if old, ok := types[name]; ok && old != t {
				t = TypeString
			}
			types[name] = t
		}
	}
	names = make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	slices.Sort(names)
	cols = slices.Clip(fixed)
	for _, name := range names {
		col := name
		if slices.ContainsFunc(fixed, func(c Column) bool { return c.Name == name }) {
			col = "hparam:" + name
		}
		cols = append(cols, Column{Name: col, Type: types[name], Nullable: true})
	}
	return cols, names
}

// HParamValue returns a hyper-parameter value, as history.Session keeps
// it, as a Value of type t: a number or a bool as itself, anything else
// (or a number or bool in a column of strings) as its text; nil is null.
func HParamValue(v any, t Type) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case float64:
		if t == TypeFloat {
			return FloatValue(x)
		}
		return StringValue(FloatValue(x).String())
	case bool:
		if t == TypeBool {
			return BoolValue(x)
		}
		return StringValue(BoolValue(x).String())
	case string:
		return StringValue(x)
	}
	return StringValue(fmt.Sprint(v))
}

func hparamType(v any) Type {
	switch v.(type) {
	case float64:
		return TypeFloat
	case bool:
		return TypeBool
	}
	return TypeString
}
