package table

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseWhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want whereExpr
		err  string
	}{
		{in: "lr<0.1", want: whereExpr{"lr", "<", "0.1"}},
		{in: "lr <= 0.1", want: whereExpr{"lr", "<=", "0.1"}},
		{in: "loss:min>=2", want: whereExpr{"loss:min", ">=", "2"}},
		{in: "opt!=adam", want: whereExpr{"opt", "!=", "adam"}},
		{in: "run~a*", want: whereExpr{"run", "~", "a*"}},
		{in: "a=b=c", want: whereExpr{"a", "=", "b=c"}},
		{in: "a<>b", want: whereExpr{"a", "<", ">b"}},
		{in: "a>=", want: whereExpr{"a", ">=", ""}},
		{in: "a!b=c", want: whereExpr{"a!b", "=", "c"}},
		{in: "=x", err: `no column before "="`},
		{in: "  <x", err: `no column before "<"`},
		{in: "nothing", err: "want COLUMN OP VALUE"},
		{in: "", err: "want COLUMN OP VALUE"},
		{in: "run~[", err: "bad pattern"},
	}
	for _, tc := range tests {
		got, err := parseWhere(tc.in)
		if tc.err != "" {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Option != "Where" || qe.Query != tc.in || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseWhere(%q) = %+v, %v; want a QueryError saying %s", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseWhere(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// whereTable is a Comparison with a column of each type, nulls, NaN and
// infinities among them.
func whereTable() *Comparison {
	return &Comparison{
		Columns: []Column{{Name: "run"}, {Name: "n", Type: TypeInt, Nullable: true},
			{Name: "f", Type: TypeFloat, Nullable: true}, {Name: "b", Type: TypeBool, Nullable: true}},
		Rows: [][]Value{
			{StringValue("a"), IntValue(1), FloatValue(0.5), BoolValue(true)},
			{StringValue("b*"), IntValue(-2), Float32Value(0.1), BoolValue(false)},
			{StringValue(""), {}, FloatValue(math.NaN()), {}},
			{StringValue("c=d"), IntValue(1 << 60), FloatValue(math.Inf(-1)), BoolValue(true)},
			{StringValue("é"), IntValue(0), {}, BoolValue(false)},
		},
	}
}

// FuzzWhere parses any expression: no panic, an error is a *QueryError,
// and a parsed expression is split at its first operator. On a table of
// every type of column, "=" and "!=" of one column and value split the
// rows in two, and the expression, written out again for each column,
// keeps the rows its predicate keeps, in order.
func FuzzWhere(f *testing.F) {
	for _, s := range []string{"lr<0.1", "a<=b", "x!=y", "run~a*", "=", "a==b", "<>", "~[", "n>=1e18", "f<NaN",
		"f=-Inf", "b=true", "b~t*", "run=c=d", "n = 0x10", " f != 0.1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseWhere(s)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Query != s {
				t.Fatalf("parseWhere(%q): %v, want a *QueryError", s, err)
			}
			return
		}
		if e.col == "" || !slices.Contains(whereOps[:], e.op) {
			t.Fatalf("parseWhere(%q) = %+v", s, e)
		}
		i := strings.Index(s, e.op)
		if strings.TrimSpace(s[:i]) != e.col || strings.TrimSpace(s[i+len(e.op):]) != e.value {
			t.Fatalf("parseWhere(%q) = %+v: not split at %q", s, e, e.op)
		}
		for _, op := range whereOps {
			if strings.Contains(s[:i], op) || len(op) > len(e.op) && strings.HasPrefix(s[i:], op) {
				t.Fatalf("parseWhere(%q) = %+v: not split at the first operator, %q", s, e, op)
			}
		}

		for _, col := range []string{"run", "n", "f", "b"} {
			c := whereTable()
			e := whereExpr{col: col, op: e.op, value: e.value}
			keep, err := c.predicate(e)
			if err != nil {
				continue // a bool column and a value not true or false
			}
			eq, err1 := c.predicate(whereExpr{col: col, op: "=", value: e.value})
			ne, err2 := c.predicate(whereExpr{col: col, op: "!=", value: e.value})
			for _, row := range c.Rows {
				if err1 == nil && err2 == nil && eq(row) == ne(row) {
					t.Fatalf("%s = %q and %s != %q agree on %v", col, e.value, col, e.value, row)
				}
			}
			var kept []string
			for _, row := range c.Rows {
				if keep(row) {
					kept = append(kept, row[0].String())
				}
			}
			// Written out again, spaced (the value may start with "="), the
			// expression parses the same.
			if err := c.where(col + " " + e.op + " " + e.value); err != nil {
				t.Fatalf("where %s%s%s: %v, its predicate none", col, e.op, e.value, err)
			}
			var got []string
			for _, row := range c.Rows {
				got = append(got, row[0].String())
			}
			if !slices.Equal(got, kept) {
				t.Fatalf("where %s%s%s kept %q, its predicate %q", col, e.op, e.value, got, kept)
			}
		}
	})
}
