package history_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// FuzzRead reads arbitrary bytes as an event file: no panic, and Scalars
// returns exactly the scalar values of Values, in both views, with the
// same problems.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	w := tfevents.NewWriter(&buf)
	for _, s := range []int64{0, 1, 2, 1, 1, 5} {
		w.WriteEvent(scalarEvent("x", s, float32(s)))
	}
	v, _ := summary.HistogramValue("h", []summary.Bucket{{Left: 0, Right: 1, Count: 2}}, summary.Meta{})
	w.WriteEvent(&tbpb.Event{Step: 3, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{v}}}})
	w.Flush()
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"events.out.tfevents.1.x": {Data: data}}
		src, err := history.OpenFS(fsys, ".", "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		two, err := history.OpenFS(fstest.MapFS{
			"a/events.out.tfevents.1.x": {Data: data},
			"b/events.out.tfevents.1.x": {Data: data},
		}, ".", "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		for _, view := range []history.View{history.Raw, history.TensorBoard} {
			var probsV, probsS []int64
			o := &history.Options{View: view, Damaged: func(p *tfevents.Damage) error { probsV = append(probsV, p.Offset); return nil }}
			var fromValues []point
			src.Values(context.Background(), o, func(v *history.Value) error {
				if v.Kind == summary.KindScalar {
					fromValues = append(fromValues, point{v.Run, v.Tag, v.Step, v.Scalar})
				}
				return nil
			})
			o.Damaged = func(p *tfevents.Damage) error { probsS = append(probsS, p.Offset); return nil }
			var fromScalars []point
			src.Scalars(context.Background(), o, func(s *history.Scalar) error {
				fromScalars = append(fromScalars, point{s.Run, s.Tag, s.Step, s.Value})
				return nil
			})
			if !samePoints(fromValues, fromScalars) {
				t.Errorf("view %v: Values gives scalars %v, Scalars %v", view, fromValues, fromScalars)
			}
			// Scalars sees only scalars' decoding problems; record problems
			// are the same.
			if len(probsS) > len(probsV) {
				t.Errorf("view %v: Scalars met problems %v, Values %v", view, probsS, probsV)
			}
			// MapScalars gives what Scalars gives, in one run and, read in
			// parallel, in two.
			fromMap, probsM := mapPoints(src, view)
			if !samePoints(fromMap, fromScalars) || !slices.Equal(probsM, probsS) {
				t.Errorf("view %v: MapScalars gives %v (problems %v), Scalars %v (problems %v)", view, fromMap, probsM, fromScalars, probsS)
			}
			fromTwo, probsTwo := mapPoints(two, view)
			var want []point
			for _, run := range []string{"a", "b"} {
				for _, p := range fromScalars {
					p.Run = run
					want = append(want, p)
				}
			}
			if !samePoints(fromTwo, want) || len(probsTwo) != 2*len(probsS) {
				t.Errorf("view %v: MapScalars over two runs gives %v (problems %v), want %v (problems %v twice)", view, fromTwo, probsTwo, want, probsS)
			}
		}
	})
}

// mapPoints reads src's scalars through MapScalars, with the offsets of
// the problems met.
func mapPoints(src *history.Source, view history.View) (pts []point, probs []int64) {
	o := &history.Options{View: view, Damaged: func(p *tfevents.Damage) error { probs = append(probs, p.Offset); return nil }}
	history.MapScalars(context.Background(), src, o, func(dst []point, batch []history.Scalar) []point {
		dst = dst[:0]
		for _, s := range batch {
			dst = append(dst, point{s.Run, s.Tag, s.Step, s.Value})
		}
		return dst
	}, func(batch []point) error {
		pts = append(pts, batch...)
		return nil
	})
	return pts, probs
}

// samePoints reports whether a and b hold the same points, NaN equal to
// NaN.
func samePoints(a, b []point) bool {
	return slices.EqualFunc(a, b, func(p, q point) bool {
		return p.Run == q.Run && p.Tag == q.Tag && p.Step == q.Step && (p.Value == q.Value || p.Value != p.Value && q.Value != q.Value)
	})
}

func FuzzCompile(f *testing.F) {
	for _, p := range []string{"*", "a/*", "re:^x$", "[a-", `\`, "re:(", "", "re:"} {
		f.Add(p, "a/b")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		m, err := history.Compile(pattern)
		if err != nil {
			return
		}
		m.Match(name) // must not panic
		if pattern == name && !slices.Contains([]byte(pattern), '*') && !bytes.ContainsAny([]byte(pattern), `?[\`) &&
			len(pattern) > 3 && pattern[:3] != "re:" && !m.Match(name) {
			t.Errorf("the plain pattern %q does not match itself", pattern)
		}
	})
}
