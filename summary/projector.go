package summary

import (
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// ProjectorConfigFile is the name of the file, in a run directory, that
// lists the run's embeddings for TensorBoard's Projector: a text-format
// ProjectorConfig.
const ProjectorConfigFile = "projector_config.pbtxt"

// ProjectorDir is the subdirectory of a run directory that holds the files
// of its embeddings.
const ProjectorDir = "projector"

// MaxSpriteSize is the largest width and height, in pixels, of a sprite
// sheet: the Projector refuses to show larger ones.
const MaxSpriteSize = 8192

// ErrSpriteTooLarge is returned when the thumbnails of an embedding do not
// fit in a sprite sheet of MaxSpriteSize pixels a side. A smaller
// EmbeddingOptions.SpriteSize makes them fit.
var ErrSpriteTooLarge = errors.New("summary: sprite sheet too large")

// Names of an embedding's files in its directory.
const (
	tensorsFile  = "tensors.tsv"
	metadataFile = "metadata.tsv"
	spriteFile   = "sprite.png"
)

// EmbeddingOptions says what the Projector shows of each point of an
// embedding besides its position. The zero value shows bare points.
//
// Metadata is either Labels (one column) or Columns and Rows (several);
// setting both is an error. Its cells are written as they are, one line per
// point and tab-separated, because TensorBoard's metadata format has no
// escapes: a cell must be valid UTF-8 without tabs, carriage returns or
// newlines, and a point's cells must not all be blank (only white space),
// because the Projector skips blank lines and every later point would take
// the metadata of the next.
type EmbeddingOptions struct {
	// Labels is one label per point, the only metadata column. The
	// Projector reads a metadata file of one column as labels without a
	// header line, so the column has no name.
	Labels []string

	// Columns names the metadata columns, at least two, each distinct and
	// not blank; the file starts with them as a header line. (The
	// Projector takes a first line as a header only if it has a tab, so a
	// single named column cannot be written: use Labels.)
	Columns []string

	// Rows is one row per point with a cell per column of Columns. An
	// empty cell is a missing value.
	Rows [][]string

	// Sprites is one thumbnail per point, which the Projector can draw
	// in place of the point. They are tiled, the first at the top left and
	// row by row, into one PNG sprite sheet of c by c square cells, where c
	// = ceil(sqrt(number of points)); each thumbnail is scaled to fit its
	// cell, keeping its aspect ratio, and centred on a transparent
	// background (the Projector draws every cell as a square). The sheet
	// must fit in MaxSpriteSize pixels a side, otherwise the error is
	// ErrSpriteTooLarge.
	Sprites []image.Image

	// SpriteSize is the side in pixels of the square cells of Sprites.
	// Zero means the largest width or height among Sprites, so that
	// square thumbnails of one size are copied unchanged.
	SpriteSize int
}

// Embedding writes an embedding that TensorBoard's Projector shows: one
// point per row of vectors (N rows of D ≥ 2 finite numbers, all within
// float32 range, since TensorBoard reads them as float32), with the
// metadata and thumbnails of opts. Projector embeddings are files, not
// events; in the run directory they are
//
//	projector/<step, 5 digits>/<tag, escaped>/tensors.tsv   the vectors
//	projector/<step, 5 digits>/<tag, escaped>/metadata.tsv  Labels or Columns and Rows
//	projector/<step, 5 digits>/<tag, escaped>/sprite.png    Sprites
//	projector_config.pbtxt                                  every embedding of the run
//
// where the tag is escaped into one directory name: bytes other than ASCII
// letters, digits, '-', '_' and a '.' that does not come first are written
// as %XX, and a name longer than 200 bytes is cut and ends with a hash of
// the tag. Numbers are written in the shortest form that reads back as the
// same float64. The Projector lists the embedding as "<tag>:<step>", the
// step with at least 5 digits, as tensorboardX names them. Writing a tag at
// a step it has already been written at replaces that embedding.
//
// The config lists every embedding the run has, with paths relative to the
// run directory: TensorBoard (since 2.21) refuses asset paths outside the
// directory of the config. It is rewritten on each call, and the embeddings
// of a config already in the run directory when the Writer first writes
// one (a resumed run) are kept. One Writer per run directory, as for event
// files: two would each rewrite the config without the other's
// embeddings.
//
// Every file is written to a temporary name and then renamed, the config
// last, so TensorBoard never reads a half-written file and bad input
// leaves the run directory as it was: Embedding validates everything
// before it writes anything. The Writer's event file is what makes the
// directory a run that the Projector searches, so Embedding also flushes
// it and fails on a closed Writer.
//
// TensorBoard's Projector reads the configs when it first looks, and again
// only when the set of runs changes (or a TensorFlow checkpoint does), and
// it caches the tensor it served last: an embedding written, or written
// again, after TensorBoard has looked shows once TensorBoard is restarted.
func (w *Writer) Embedding(tag string, step int64, vectors [][]float64, opts EmbeddingOptions) (err error) {
	defer w.note(&err)
	d := 0
	if len(vectors) > 0 {
		d = len(vectors[0])
	}
	for i, v := range vectors {
		if len(v) != d {
			return fmt.Errorf("summary: embedding %q: vector %d has %d numbers, vector 0 has %d", tag, i, len(v), d)
		}
	}
	return w.writeEmbedding(tag, step, len(vectors), d, func(i, j int) float64 { return vectors[i][j] }, &opts)
}

// EmbeddingMatrix is Embedding with one point per row of vectors.
func (w *Writer) EmbeddingMatrix(tag string, step int64, vectors mat.Matrix, opts EmbeddingOptions) (err error) {
	defer w.note(&err)
	if vectors == nil {
		return fmt.Errorf("summary: embedding %q: nil matrix", tag)
	}
	r, c := vectors.Dims()
	return w.writeEmbedding(tag, step, r, c, vectors.At, &opts)
}

// projectorState is what the Writer knows of its run's projector config.
type projectorState struct {
	// mu is held while an embedding's files are written; it is not w.mu,
	// so that other values can be written meanwhile.
	mu sync.Mutex
	// config is the config as last written, nil until the first
	// embedding.
	config *tbpb.ProjectorConfig
}

// embeddingFile is a file of an embedding, encoded.
type embeddingFile struct {
	name string
	data []byte
}

func (w *Writer) writeEmbedding(tag string, step int64, n, d int, at func(i, j int) float64, opts *EmbeddingOptions) error {
	if err := checkTag(tag); err != nil {
		return err
	}
	if w.file.FileName() == "" {
		return fmt.Errorf("summary: embedding %q: the projector's files go beside the event file, and this Writer writes a stream or an object store, no run directory on disk", tag)
	}
	files, info, err := encodeEmbedding(n, d, at, opts)
	if err != nil {
		return fmt.Errorf("summary: embedding %q: %w", tag, err)
	}
	if err := w.file.Flush(); err != nil {
		return fmt.Errorf("summary: embedding %q: %w", tag, err)
	}

	rel := path.Join(ProjectorDir, stepDir(step), tagDir(tag))
	info.TensorName = tag + ":" + stepDir(step)
	info.TensorPath = path.Join(rel, tensorsFile)
	for _, f := range files {
		switch f.name {
		case metadataFile:
			info.MetadataPath = path.Join(rel, metadataFile)
		case spriteFile:
			info.Sprite.ImagePath = path.Join(rel, spriteFile)
		}
	}

	p := &w.projector
	p.mu.Lock()
	defer p.mu.Unlock()
	configPath := filepath.Join(w.dir, ProjectorConfigFile)
	if p.config == nil {
		cfg, err := readProjectorConfig(configPath)
		if err != nil {
			return err
		}
		p.config = cfg
	}
	next := proto.Clone(p.config).(*tbpb.ProjectorConfig)
	replaced := false
	for i, e := range next.Embeddings {
		if e.TensorName == info.TensorName {
			next.Embeddings[i], replaced = info, true
		}
	}
	if !replaced {
		next.Embeddings = append(next.Embeddings, info)
	}
	text, err := prototext.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(next)
	if err != nil {
		return fmt.Errorf("summary: embedding %q: marshal config: %w", tag, err)
	}

	dir := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("summary: embedding %q: %w", tag, err)
	}
	// Write every file under a temporary name, then publish them all, the
	// config last: a failure before the first Commit leaves nothing behind.
	files = append(files, embeddingFile{ProjectorConfigFile, text})
	pending := make([]*atomicfile.File, 0, len(files))
	defer func() {
		for _, f := range pending {
			f.Abort() // nothing after Commit
		}
	}()
	for i, f := range files {
		final := filepath.Join(dir, f.name)
		if i == len(files)-1 {
			final = configPath
		}
		af, err := atomicfile.Create(final, 0)
		if err != nil {
			return fmt.Errorf("summary: embedding %q: %w", tag, err)
		}
		pending = append(pending, af)
		if _, err := af.Write(f.data); err != nil {
			return fmt.Errorf("summary: embedding %q: %w", tag, err)
		}
	}
	for _, af := range pending {
		if err := af.Commit(); err != nil {
			return fmt.Errorf("summary: embedding %q: %w", tag, err)
		}
	}
	p.config = next
	// An embedding written again may have lost its metadata or sprites.
	if info.MetadataPath == "" {
		os.Remove(filepath.Join(dir, metadataFile))
	}
	if info.GetSprite().GetImagePath() == "" {
		os.Remove(filepath.Join(dir, spriteFile))
	}
	return nil
}

// readProjectorConfig reads the config at name; a missing file is an empty
// config.
func readProjectorConfig(name string) (*tbpb.ProjectorConfig, error) {
	cfg := &tbpb.ProjectorConfig{}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	if err := prototext.Unmarshal(b, cfg); err != nil {
		return nil, fmt.Errorf("summary: %s is not a projector config, not replacing it: %w", name, err)
	}
	return cfg, nil
}

// encodeEmbedding validates an embedding and encodes its files; info has
// the shape and sprite size, not yet the paths.
func encodeEmbedding(n, d int, at func(i, j int) float64, opts *EmbeddingOptions) ([]embeddingFile, *tbpb.EmbeddingInfo, error) {
	if n == 0 || d == 0 {
		return nil, nil, fmt.Errorf("no vectors (%dx%d)", n, d)
	}
	if d < 2 {
		return nil, nil, fmt.Errorf("vectors of %d number, the Projector needs at least 2", d)
	}
	if uint64(n) > math.MaxUint32 || uint64(d) > math.MaxUint32 {
		return nil, nil, fmt.Errorf("%dx%d vectors: too many for a projector config", n, d)
	}
	tensors, err := tensorsTSV(n, d, at)
	if err != nil {
		return nil, nil, err
	}
	files := []embeddingFile{{tensorsFile, tensors}}
	info := &tbpb.EmbeddingInfo{TensorShape: []uint32{uint32(n), uint32(d)}}

	meta, err := opts.metadataTSV(n)
	if err != nil {
		return nil, nil, err
	}
	if meta != nil {
		files = append(files, embeddingFile{metadataFile, meta})
	}

	if opts.Sprites != nil || opts.SpriteSize != 0 {
		sheet, size, err := spriteSheet(opts.Sprites, n, opts.SpriteSize)
		if err != nil {
			return nil, nil, err
		}
		var enc media.PNGEncoder
		png, err := enc.AppendPNG(nil, sheet)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, embeddingFile{spriteFile, png})
		info.Sprite = &tbpb.SpriteMetadata{SingleImageDim: []uint32{uint32(size), uint32(size)}}
	}
	return files, info, nil
}

// tensorsTSV encodes n vectors of d numbers as TensorBoard's
// _read_tensor_tsv_file reads them: a line per vector, numbers separated
// by tabs, no header.
func tensorsTSV(n, d int, at func(i, j int) float64) ([]byte, error) {
	b := make([]byte, 0, n*d*12)
	for i := range n {
		for j := range d {
			v := at(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("vector %d number %d is %v", i, j, v)
			}
			if f := float32(v); math.IsInf(float64(f), 0) {
				return nil, fmt.Errorf("vector %d number %d, %v, overflows float32", i, j, v)
			}
			if j > 0 {
				b = append(b, '\t')
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
		b = append(b, '\n')
	}
	return b, nil
}

// metadataTSV encodes the metadata of n points, or returns nil if there is
// none, as the Projector's parseMetadata reads it: a header line if and
// only if the first line has a tab, then a line per point.
func (o *EmbeddingOptions) metadataTSV(n int) ([]byte, error) {
	switch {
	case o.Labels != nil && (o.Columns != nil || o.Rows != nil):
		return nil, errors.New("both Labels and Columns/Rows set; Labels is the one-column form")
	case o.Labels != nil:
		if len(o.Labels) != n {
			return nil, fmt.Errorf("%d labels for %d vectors", len(o.Labels), n)
		}
		var b []byte
		for i, l := range o.Labels {
			if err := checkCell(l); err != nil {
				return nil, fmt.Errorf("label %d %w", i, err)
			}
			if blank(l) {
				return nil, fmt.Errorf("label %d, %q, is blank: the Projector skips blank metadata lines", i, l)
			}
			b = append(append(b, l...), '\n')
		}
		return b, nil
	case o.Columns == nil && o.Rows == nil:
		return nil, nil
	}
	if len(o.Columns) < 2 {
		return nil, fmt.Errorf("%d metadata columns, want at least 2 (use Labels for one column: the Projector reads a single column without a header)", len(o.Columns))
	}
	if len(o.Rows) != n {
		return nil, fmt.Errorf("%d metadata rows for %d vectors", len(o.Rows), n)
	}
	seen := make(map[string]bool, len(o.Columns))
	for i, c := range o.Columns {
		if err := checkCell(c); err != nil {
			return nil, fmt.Errorf("column %d %w", i, err)
		}
		if blank(c) {
			return nil, fmt.Errorf("column %d, %q, is blank", i, c)
		}
		if seen[c] {
			return nil, fmt.Errorf("column %q appears twice", c)
		}
		seen[c] = true
	}
	b := appendRow(nil, o.Columns)
	for i, row := range o.Rows {
		if len(row) != len(o.Columns) {
			return nil, fmt.Errorf("metadata row %d has %d cells for %d columns", i, len(row), len(o.Columns))
		}
		empty := true
		for j, c := range row {
			if err := checkCell(c); err != nil {
				return nil, fmt.Errorf("metadata row %d cell %d %w", i, j, err)
			}
			empty = empty && blank(c)
		}
		if empty {
			return nil, fmt.Errorf("metadata row %d is blank: the Projector skips blank metadata lines", i)
		}
		b = appendRow(b, row)
	}
	return b, nil
}

func appendRow(b []byte, cells []string) []byte {
	for j, c := range cells {
		if j > 0 {
			b = append(b, '\t')
		}
		b = append(b, c...)
	}
	return append(b, '\n')
}

// checkCell returns an error, to follow a description of the cell, if s
// cannot be a metadata cell.
func checkCell(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	if i := strings.IndexAny(s, "\t\r\n"); i >= 0 {
		return fmt.Errorf("%q contains %q, which TensorBoard's metadata format cannot hold", s, s[i])
	}
	return nil
}

// blank reports whether s is empty once trimmed as JavaScript's
// String.prototype.trim trims, which is how the Projector spots the blank
// lines it skips.
func blank(s string) bool {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }) == ""
}

// spriteSheet tiles one thumbnail per point into a square sheet of square
// cells and returns it with the cell size.
func spriteSheet(imgs []image.Image, n, size int) (*image.NRGBA, int, error) {
	if len(imgs) != n {
		return nil, 0, fmt.Errorf("%d sprites for %d vectors", len(imgs), n)
	}
	if size < 0 {
		return nil, 0, fmt.Errorf("sprite size %d", size)
	}
	largest := 0
	for i, img := range imgs {
		if img == nil {
			return nil, 0, fmt.Errorf("sprite %d is nil", i)
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 {
			return nil, 0, fmt.Errorf("summary: %w: sprite %d is %dx%d", ErrImageSize, i, b.Dx(), b.Dy())
		}
		largest = max(largest, b.Dx(), b.Dy())
	}
	if size == 0 {
		size = largest
	}
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	for cols*cols < n {
		cols++
	}
	if size > MaxSpriteSize || cols*size > MaxSpriteSize {
		return nil, 0, fmt.Errorf("%w: %d sprites of %dx%d pixels take %d cells a side, %d pixels, more than %d (set SpriteSize to at most %d)",
			ErrSpriteTooLarge, n, size, size, cols, cols*size, MaxSpriteSize, MaxSpriteSize/cols)
	}
	sheet := image.NewNRGBA(image.Rect(0, 0, cols*size, cols*size))
	for i, img := range imgs {
		b := img.Bounds()
		cell := image.Rect(0, 0, size, size).Add(image.Pt(i%cols*size, i/cols*size))
		if b.Dx() == size && b.Dy() == size {
			draw.Draw(sheet, cell, img, b.Min, draw.Src)
			continue
		}
		long := max(b.Dx(), b.Dy())
		w := max(1, (b.Dx()*size+long/2)/long)
		h := max(1, (b.Dy()*size+long/2)/long)
		at := cell.Min.Add(image.Pt((size-w)/2, (size-h)/2))
		drawScaled(sheet, image.Rectangle{at, at.Add(image.Pt(w, h))}, img)
	}
	return sheet, size, nil
}

// drawScaled draws src scaled to fill r of dst: each pixel of r is the
// average of the pixels of src it covers, or the one it falls on when src
// is enlarged.
func drawScaled(dst *image.NRGBA, r image.Rectangle, src image.Image) {
	sb := src.Bounds()
	sw, sh, dw, dh := sb.Dx(), sb.Dy(), r.Dx(), r.Dy()
	for y := range dh {
		y0 := y * sh / dh
		y1 := max((y+1)*sh/dh, y0+1)
		for x := range dw {
			x0 := x * sw / dw
			x1 := max((x+1)*sw/dw, x0+1)
			var sr, sg, sbl, sa uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					cr, cg, cb, ca := src.At(sb.Min.X+sx, sb.Min.Y+sy).RGBA()
					sr, sg, sbl, sa = sr+uint64(cr), sg+uint64(cg), sbl+uint64(cb), sa+uint64(ca)
				}
			}
			k := uint64((y1 - y0) * (x1 - x0))
			// Averages of premultiplied colours, rounded.
			c := color.RGBA64{uint16((sr + k/2) / k), uint16((sg + k/2) / k), uint16((sbl + k/2) / k), uint16((sa + k/2) / k)}
			dst.Set(r.Min.X+x, r.Min.Y+y, c)
		}
	}
}

// stepDir is the name of the directory of a step's embeddings: the step
// with at least 5 digits, as tensorboardX names it.
func stepDir(step int64) string {
	return fmt.Sprintf("%05d", step)
}

// maxTagDir bounds the length of a tag's directory name; file systems
// allow 255 bytes.
const maxTagDir = 200

// tagDir escapes tag into a directory name: one path element, never "." or
// "..", different for different tags.
func tagDir(tag string) string {
	var b strings.Builder
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' && i > 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	s := b.String()
	if len(s) > maxTagDir {
		// '~' is always escaped above, so a cut name cannot equal a
		// whole one.
		h := fnv.New64a()
		h.Write([]byte(tag))
		s = fmt.Sprintf("%s~%016x", s[:maxTagDir-17], h.Sum64())
	}
	return s
}
