package trainer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/tbgo/tbgo/internal/atomicfile"
)

// The parameter file format, little-endian:
//
//	magic    "TBGOPRM1"                       8 bytes
//	count    uint32                           number of tensors
//	count ×  name length uint16, name bytes,
//	         rows uint32, cols uint32,
//	         rows·cols float64 values, row-major
//	crc      uint32                           CRC-32C (Castagnoli) of everything before
//
// The tensors are the parameters and buffers (running statistics) in
// model order. Load allocates nothing a file asks for: it reads into the
// model's own tensors, whose sizes it checks first.
const paramMagic = "TBGOPRM1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrParamFile is wrapped by the errors of Load for a file that is not a
// parameter file of this model.
var ErrParamFile = errors.New("bad parameter file")

// Save writes the model's parameters and buffers to w.
func (m *Model) Save(w io.Writer) error {
	bw := bufio.NewWriter(w)
	h := crc32.New(castagnoli)
	out := io.MultiWriter(bw, h)
	tensors := m.tensors()
	var buf [8]byte
	write := func(b []byte) {
		out.Write(b) // errors surface at Flush
	}
	write([]byte(paramMagic))
	binary.LittleEndian.PutUint32(buf[:4], uint32(len(tensors)))
	write(buf[:4])
	for _, p := range tensors {
		r, c := p.Value.Dims()
		binary.LittleEndian.PutUint16(buf[:2], uint16(len(p.Name)))
		write(buf[:2])
		write([]byte(p.Name))
		binary.LittleEndian.PutUint32(buf[:4], uint32(r))
		binary.LittleEndian.PutUint32(buf[4:], uint32(c))
		write(buf[:8])
		for _, v := range raw(p.Value) {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			write(buf[:])
		}
	}
	binary.LittleEndian.PutUint32(buf[:4], h.Sum32())
	bw.Write(buf[:4])
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("trainer: save parameters: %w", err)
	}
	return nil
}

func (m *Model) tensors() []*Param {
	return append(append([]*Param(nil), m.params...), m.buffers...)
}

// Load reads parameters and buffers written by Save into the model, which
// must have the same tensors (names and sizes). Nothing is changed unless
// the whole file is valid: on error the model is as it was. The errors
// wrap ErrParamFile and name the tensor at fault.
func (m *Model) Load(r io.Reader) error { return m.load(r, "") }

// load is Load, naming the file in errors when name is not empty.
func (m *Model) load(r io.Reader, name string) error {
	br := bufio.NewReader(r)
	h := crc32.New(castagnoli)
	in := io.TeeReader(br, h)
	prefix := "trainer: "
	if name != "" {
		prefix += name + ": "
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf(prefix+"%w: "+format, append([]any{ErrParamFile}, args...)...)
	}
	read := func(b []byte, what string) error {
		if _, err := io.ReadFull(in, b); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fail("%s: %v", what, err)
		}
		return nil
	}
	var buf [8]byte
	if err := read(buf[:8], "magic"); err != nil {
		return err
	}
	if string(buf[:8]) != paramMagic {
		return fail("magic %q, want %q", buf[:8], paramMagic)
	}
	if err := read(buf[:4], "tensor count"); err != nil {
		return err
	}
	tensors := m.tensors()
	if n := binary.LittleEndian.Uint32(buf[:4]); int(n) != len(tensors) {
		return fail("%d tensors, the model has %d", n, len(tensors))
	}
	values := make([][]float64, len(tensors))
	seen := map[string]bool{}
	for i := range tensors {
		if err := read(buf[:2], "name length"); err != nil {
			return err
		}
		tname := make([]byte, binary.LittleEndian.Uint16(buf[:2]))
		if err := read(tname, "name"); err != nil {
			return err
		}
		p := m.byName[string(tname)]
		if p == nil {
			return fail("tensor %q is not in the model", tname)
		}
		if seen[p.Name] {
			return fail("tensor %q appears twice", tname)
		}
		seen[p.Name] = true
		if err := read(buf[:8], p.Name+" size"); err != nil {
			return err
		}
		rows, cols := binary.LittleEndian.Uint32(buf[:4]), binary.LittleEndian.Uint32(buf[4:])
		if r, c := p.Value.Dims(); uint32(r) != rows || uint32(c) != cols {
			return fail("tensor %q is %d×%d in the file, %d×%d in the model", p.Name, rows, cols, r, c)
		}
		v := make([]float64, rows*cols)
		for j := range v {
			if err := read(buf[:8], p.Name+" values"); err != nil {
				return err
			}
			v[j] = math.Float64frombits(binary.LittleEndian.Uint64(buf[:]))
		}
		values[i] = v
		tensors[i] = p // file order
	}
	sum := h.Sum32()
	if _, err := io.ReadFull(br, buf[:4]); err != nil {
		return fail("checksum: %v", io.ErrUnexpectedEOF)
	}
	if got := binary.LittleEndian.Uint32(buf[:4]); got != sum {
		return fail("checksum %08x, computed %08x", got, sum)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return fail("data after the checksum")
	}
	for i, p := range tensors {
		copy(raw(p.Value), values[i])
	}
	return nil
}

// SaveFile writes the parameters to the file name through
// internal/atomicfile: a temporary file in the same directory, synced and
// renamed into place once complete (mode 0644), so that name never holds
// half a file.
func (m *Model) SaveFile(name string) error {
	f, err := atomicfile.Create(name, 0)
	if err != nil {
		return fmt.Errorf("trainer: save parameters: %w", err)
	}
	defer f.Abort()
	if err := m.Save(f); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("trainer: save parameters: %w", err)
	}
	return nil
}

// LoadFile reads parameters written by SaveFile (or Save) from the file
// name; errors name the file.
func (m *Model) LoadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("trainer: load parameters: %w", err)
	}
	defer f.Close()
	return m.load(f, name)
}
