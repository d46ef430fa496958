package trainer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func saveModel(t testing.TB, seed uint64) *Model {
	t.Helper()
	spec := Spec{Layers: []LayerSpec{{Type: TypeDense, Units: 3}, {Type: TypeBatchNorm}, {Type: TypePReLU}, {Type: TypeDense, Units: 2}}}
	m, err := NewModel(Vector(2), spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	m.Forward(randMatrix(testRand(seed), 4, 2, 0.1, 1), true) // move the running statistics
	return m
}

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	a, b := saveModel(t, 1), saveModel(t, 2)
	var buf bytes.Buffer
	if err := a.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if equalBits(snapshot(a), snapshot(b)) {
		t.Fatal("two seeds, same model")
	}
	if err := b.Load(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if !equalBits(snapshot(a), snapshot(b)) {
		t.Error("loaded model differs from the saved one")
	}
	// Through a file.
	name := filepath.Join(t.TempDir(), "model.params")
	if err := a.SaveFile(name); err != nil {
		t.Fatal(err)
	}
	c := saveModel(t, 3)
	if err := c.LoadFile(name); err != nil {
		t.Fatal(err)
	}
	if !equalBits(snapshot(a), snapshot(c)) {
		t.Error("model loaded from a file differs")
	}
	if entries, _ := os.ReadDir(filepath.Dir(name)); len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary left)", len(entries))
	}
	// Readable by others, as any file a user writes (umask permitting),
	// not private as a bare temporary file would be.
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("model file mode %v, %v: want group/others read (0644)", fi.Mode(), err)
	}
	if err := c.LoadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	a := saveModel(t, 1)
	var buf bytes.Buffer
	if err := a.Save(&buf); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	other, err := NewModel(Vector(2), Spec{Layers: []LayerSpec{{Type: TypeDense, Units: 4}, {Type: TypeBatchNorm}, {Type: TypePReLU}, {Type: TypeDense, Units: 2}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	flip := append([]byte(nil), file...)
	flip[40] ^= 1
	tests := []struct {
		desc string
		m    *Model
		file []byte
		want string
	}{
		{"other sizes", other, file, `tensor "dense1/weights" is 3×2 in the file, 4×2 in the model`},
		{"flipped bit", saveModel(t, 2), flip, "checksum"},
		{"not a parameter file", saveModel(t, 2), []byte("hello, world"), `magic "hello, w"`},
		{"trailing data", saveModel(t, 2), append(append([]byte(nil), file...), 0), "data after the checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			before := snapshot(tt.m)
			err := tt.m.Load(bytes.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrParamFile) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			if !equalBits(before, snapshot(tt.m)) {
				t.Error("a failed Load changed the model")
			}
		})
	}
	// Every truncation fails, naming what was cut, and changes nothing.
	m := saveModel(t, 2)
	before := snapshot(m)
	for n := range len(file) {
		err := m.Load(bytes.NewReader(file[:n]))
		if err == nil || !errors.Is(err, ErrParamFile) {
			t.Fatalf("cut at %d: error %v", n, err)
		}
	}
	if !equalBits(before, snapshot(m)) {
		t.Error("a truncated file changed the model")
	}
}

func FuzzLoad(f *testing.F) {
	var buf bytes.Buffer
	if err := saveModel(f, 1).Save(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(paramMagic))
	f.Fuzz(func(t *testing.T, file []byte) {
		m := saveModel(t, 2)
		before := snapshot(m)
		if err := m.Load(bytes.NewReader(file)); err != nil {
			if !equalBits(before, snapshot(m)) {
				t.Error("a failed Load changed the model")
			}
			return
		}
		// Whatever loads saves back to the same bytes.
		var out bytes.Buffer
		if err := m.Save(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), file) {
			t.Error("loaded file does not save back to itself")
		}
	})
}
