package table_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tbgo/tbgo/history/table"
)

func TestValueText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v          table.Value
		text, json string
	}{
		{table.Value{}, "", "null"},
		{table.StringValue(`a "b"`), `a "b"`, `"a \"b\""`},
		{table.IntValue(-7), "-7", "-7"},
		{table.BoolValue(true), "true", "true"},
		{table.FloatValue(0.1), "0.1", "0.1"},
		{table.FloatValue(float64(float32(0.1))), "0.10000000149011612", "0.10000000149011612"},
		{table.Float32Value(0.1), "0.1", "0.1"},
		{table.ScalarValue(float64(float32(0.1))), "0.1", "0.1"},
		{table.ScalarValue(0.1), "0.1", "0.1"},
		{table.ScalarValue(1.0 / 3), "0.3333333333333333", "0.3333333333333333"},
		{table.ScalarValue(math.MaxFloat32), "3.4028235e+38", "3.4028235e+38"},
		{table.FloatValue(math.NaN()), "NaN", `"NaN"`},
		{table.ScalarValue(math.Inf(1)), "Inf", `"Infinity"`},
		{table.FloatValue(math.Inf(-1)), "-Inf", `"-Infinity"`},
		{table.TimeValue(1700000000), "1700000000.000000", "1700000000.000000"},
		{table.TimeValue(1700000000.1234567), "1700000000.123457", "1700000000.123457"},
		{table.TimeValue(1700000000.9999996), "1700000001.000000", "1700000001.000000"},
		{table.TimeValue(-1.5), "-1.500000", "-1.500000"},
		{table.TimeValue(0.25), "0.250000", "0.250000"},
		{table.TimeValue(math.NaN()), "NaN", `"NaN"`},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.text {
			t.Errorf("%#v: text %q, want %q", tc.v, got, tc.text)
		}
		if got := string(tc.v.AppendJSON(nil)); got != tc.json {
			t.Errorf("%#v: JSON %s, want %s", tc.v, got, tc.json)
		}
	}
}

// TestTimeTextRandom: wall times of this era, at every resolution, give
// strconv's six decimals.
func TestTimeTextRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200000 {
		x := 1e9 + rng.Float64()*2e9
		switch i % 4 {
		case 1:
			x = math.Round(x*1e6) / 1e6 // whole microseconds
		case 2:
			x = math.Round(x*2e6) / 2e6 // half microseconds: ties
		case 3:
			x = rng.Float64() * math.Pow(2, float64(rng.IntN(53)))
		}
		want := strconv.FormatFloat(x, 'f', 6, 64)
		if got := table.TimeValue(x).String(); got != want {
			t.Fatalf("%v: %s, want %s", x, got, want)
		}
	}
}

// FuzzTimeText: a wall time's six decimals are strconv's, rounded half to
// even, for every float64.
func FuzzTimeText(f *testing.F) {
	for _, x := range []float64{0, 1, 1.5, 1700000000.1234565, 1700000000.0000005, 1 << 52, 1<<53 - 1, 1 << 53, -2.0000005, 1e300, 4503599627370495.5} {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		want := strconv.FormatFloat(x, 'f', 6, 64)
		if got := table.TimeValue(x).String(); got != want {
			t.Errorf("%v (%#x): %s, want %s", x, bits, got, want)
		}
	})
}

// FuzzCSVAndJSON checks the hand-written encoders against the standard
// library's decoders: any string survives a round trip.
func FuzzCSVAndJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `"q"`, "line\nbreak", " lead", `\.`, "\r", "\x00\x1f", "\xff", "\u2028", "損失"} {
		f.Add(s)
	}
	cols := []table.Column{{Name: "s"}, {Name: "x"}}
	f.Fuzz(func(t *testing.T, s string) {
		var line bytes.Buffer
		w, err := table.NewWriter(&line, table.CSV, cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]table.Value{table.StringValue(s), table.StringValue("x")}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&line).ReadAll()
		// encoding/csv turns \r\n into \n inside quoted fields.
		want := strings.ReplaceAll(s, "\r\n", "\n")
		if err != nil || len(recs) != 2 || len(recs[1]) != 2 || recs[1][0] != want && !strings.Contains(s, "\r") {
			t.Errorf("CSV %q: read back %q, %v", s, recs, err)
		}
		enc := table.StringValue(s).AppendJSON(nil)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("JSON %q: %v", s, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); got != want && !strings.ContainsRune(s, utf8.RuneError) {
			t.Errorf("JSON %q: read back %q", s, got)
		}
	})
}

func TestWriterRefusesBadRows(t *testing.T) {
	t.Parallel()
	cols := []table.Column{{Name: "s"}, {Name: "n", Type: table.TypeInt, Nullable: true}}
	for _, row := range [][]table.Value{
		{table.StringValue("a")},
		{table.StringValue("a"), table.IntValue(1), table.IntValue(2)},
		{table.IntValue(1), table.IntValue(1)},
		{{}, table.IntValue(1)},
	} {
		for _, format := range formats {
			w, err := table.NewWriter(new(bytes.Buffer), format, cols)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(row); err == nil {
				t.Errorf("%s: row %v accepted", format, row)
			}
		}
	}
	if _, err := table.NewWriter(new(bytes.Buffer), "xml", cols); err == nil {
		t.Error("format xml accepted")
	}
}
