package table

import (
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
)

// mediaSink extracts images or audio clips to files and indexes them.
//
// The files form a tree of three levels that never mix: a directory per
// run, in it a directory per tag, in that the files. Each run and tag
// name is one path component (Component), so that a tag "img" and a tag
// "img/step1_0.png", or a run "a" with a tag "b/c" and a run "a/b" with a
// tag "c", cannot meet. Names that differ only in case get distinct
// directories, for file systems that ignore case.
type mediaSink struct {
	kind  Kind
	dir   string
	w     *Writer
	row   []Value
	rows  int64
	runs  *names            // run -> directory
	tags  map[string]*names // run -> tag -> directory
	made  map[string]bool   // files written, relative to dir
	dirOK map[string]bool   // directories made, relative to dir
}

func newMediaSink(w io.Writer, f Format, k Kind, dir string) (*mediaSink, error) {
	tw, err := NewWriter(w, f, Columns(k))
	if err != nil {
		return nil, err
	}
	return &mediaSink{kind: k, dir: dir, w: tw, runs: newNames(), tags: map[string]*names{},
		made: map[string]bool{}, dirOK: map[string]bool{}}, nil
}

func (m *mediaSink) value(v *history.Value) error {
	tags := m.tags[v.Run]
	if tags == nil {
		tags = newNames()
		m.tags[v.Run] = tags
	}
	dir := m.runs.component(v.Run) + "/" + tags.component(v.Tag)
	if !m.dirOK[dir] {
		if err := os.MkdirAll(filepath.Join(m.dir, filepath.FromSlash(dir)), 0o755); err != nil {
			return fmt.Errorf("table: %w", err)
		}
		m.dirOK[dir] = true
	}
	for i, blob := range v.Blobs {
		ext := imageExt(blob)
		if m.kind == Audio {
			ext = audioExt(blob, v.ContentType)
		}
		name := fmt.Sprintf("%s/step%d_%d", dir, v.Step, i)
		rel := name + ext
		for n := 2; m.made[rel]; n++ { // the same step again (raw view)
			rel = name + "-" + strconv.Itoa(n) + ext
		}
		m.made[rel] = true
		if err := writeSynced(filepath.Join(m.dir, filepath.FromSlash(rel)), blob); err != nil {
			return err
		}
		m.row = append(m.row[:0], StringValue(v.Run), StringValue(v.Tag), IntValue(v.Step), TimeValue(v.WallTime), IntValue(int64(i)))
		if m.kind == Images {
			m.row = append(m.row, IntValue(int64(v.Width)), IntValue(int64(v.Height)))
		} else {
			contentType, rate := v.ContentType, v.SampleRate
			if ext == ".wav" {
				contentType = "audio/wav"
				if _, r, err := summary.DecodeWAV(blob); err == nil && rate == 0 {
					rate = r
				}
			}
			label := ""
			if i < len(v.Labels) {
				label = v.Labels[i]
			}
			rateValue := Value{}
			if rate != 0 {
				rateValue = FloatValue(rate)
			}
			m.row = append(m.row, StringValue(contentType), rateValue, StringValue(label))
		}
		m.row = append(m.row, StringValue(rel))
		if err := m.w.row(m.row); err != nil {
			return err
		}
		m.rows++
	}
	return nil
}

func (m *mediaSink) close() (int64, error) { return m.rows, m.w.Close() }

// writeSynced writes a new file and syncs it, so that the directory
// renamed into place afterwards holds its data.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// names gives the names in one directory (the runs, or a run's tags)
// their components, distinct even where case is ignored.
type names struct {
	comp  map[string]string // name -> component
	owner map[string]string // lower-cased component -> name
}

func newNames() *names {
	return &names{comp: map[string]string{}, owner: map[string]string{}}
}

func (ns *names) component(name string) string {
	if c, ok := ns.comp[name]; ok {
		return c
	}
	c := Component(name)
	if other, taken := ns.owner[strings.ToLower(c)]; taken && other != name {
		c = hashed(c, name)
	}
	ns.comp[name], ns.owner[strings.ToLower(c)] = c, name
	return c
}

// maxComponent bounds the length of a Component, in bytes, below the
// 255 that common file systems allow.
const maxComponent = 120

// Component returns a run or tag name as the one path component that
// names its directory among extracted media: letters, digits, "-", "_",
// "=", "+" and "." (except first or last) as they are, and every other
// byte, "/" included, as %XX, its hexadecimal value (so "sweep/lr=0.1"
// becomes "sweep%2Flr=0.1" and "." becomes "%2E"). A device name that
// Windows reserves (con, nul, com1, ...) has its first letter escaped
// too. Different names give different components, except that a
// component longer than 120 bytes is cut and given "~" and 8 hexadecimal
// digits of a hash of the name (a "~" is otherwise always escaped).
func Component(name string) string {
	var b []byte
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		keep := r == '-' || r == '_' || r == '=' || r == '+' ||
			r == '.' && i > 0 && i+size < len(name) ||
			r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
			r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if i == 0 && reservedDevice(name) {
			keep = false
		}
		if keep {
			b = append(b, name[i:i+size]...)
		} else {
			for j := i; j < i+size; j++ {
				b = append(b, '%', "0123456789ABCDEF"[name[j]>>4], "0123456789ABCDEF"[name[j]&0xf])
			}
		}
		i += size
	}
	if len(b) == 0 || len(b) > maxComponent {
		return hashed(string(b), name)
	}
	return string(b)
}

// hashed returns c, cut to fit, with "~" and a hash of name.
func hashed(c, name string) string {
	const suffix = 1 + 8
	if len(c) > maxComponent-suffix {
		c = c[:maxComponent-suffix]
		// Cut whole runes and whole escapes.
		for len(c) > 0 && !utf8.ValidString(c) {
			c = c[:len(c)-1]
		}
		if i := strings.LastIndexByte(c, '%'); i >= 0 && i > len(c)-3 {
			c = c[:i]
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s~%08x", c, h.Sum32())
}

// reservedDevice reports whether name, up to its first dot, is a device
// name Windows reserves, in any case.
func reservedDevice(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	switch strings.ToUpper(base) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// imageExt names an encoded image's format by its magic bytes, as
// TensorBoard sniffs it.
func imageExt(b []byte) string {
	switch {
	case strings.HasPrefix(string(b[:min(len(b), 8)]), "\x89PNG\r\n\x1a\n"):
		return ".png"
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return ".jpg"
	case strings.HasPrefix(string(b[:min(len(b), 4)]), "GIF8"):
		return ".gif"
	case strings.HasPrefix(string(b[:min(len(b), 2)]), "BM"):
		return ".bmp"
	}
	return ".bin"
}

func audioExt(b []byte, contentType string) string {
	if len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE" || contentType == "audio/wav" {
		return ".wav"
	}
	return ".bin"
}
