//go:build compat

package compat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/figure"
)

// The media logdir: one run holding audio, a video, a figure and meshes,
// every value at wall time mediaWall.
const (
	mediaRun      = "media"
	audioTag      = "audio/clips"
	videoTag      = "video/dot"
	figureTag     = "figures/parabola"
	meshTag       = "mesh/pyramids"
	cloudTag      = "mesh/cloud"
	meshConfigStr = `{"camera":{"cls":"PerspectiveCamera","fov":75},"material":{"cls":"MeshStandardMaterial"}}`
)

var mediaWall = time.Unix(1700000000, 500_000_000)

// mediaAudio is one step of audioTag.
type mediaAudio struct {
	step  int64
	rate  float64
	clips []summary.Clip
	pcm   [][]int16 // each clip's 16-bit samples, as the test expects them
}

// mediaVideo is one step of videoTag.
type mediaVideo struct {
	step   int64
	frames []image.Image
	gif    []byte
}

// mediaMesh is one step of a mesh tag.
type mediaMesh struct {
	tag  string
	step int64
	mesh summary.Mesh
}

// mediaLogdir is what writeMediaLogdir wrote.
type mediaLogdir struct {
	dir    string
	audio  []mediaAudio
	video  []mediaVideo
	figure struct {
		step int64
		png  []byte
		w, h int
	}
	meshes []mediaMesh
}

// writeMediaLogdir writes the media run into a temporary logdir.
func writeMediaLogdir(t *testing.T) *mediaLogdir {
	t.Helper()
	m := &mediaLogdir{dir: t.TempDir()}
	w, err := summary.NewWriter(filepath.Join(m.dir, mediaRun), &summary.Options{Now: func() time.Time { return mediaWall }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// Audio: samples whose 16-bit values are known (x * 32768, clamped),
	// mono and stereo, two clips per step, two rates.
	ramp := []float32{0, 0.5, -0.5, 1, -1, 2, -2, 0.25}
	rampPCM := []int16{0, 16384, -16384, 32767, -32768, 32767, -32768, 8192}
	tone := make([]float32, 2*441) // 441 stereo frames: a tone left, its negation right
	tonePCM := make([]int16, len(tone))
	for i := range 441 {
		v := int16(math.Round(20000 * math.Sin(float64(i)/7)))
		tone[2*i], tone[2*i+1] = float32(v)/32768, float32(-v)/32768
		tonePCM[2*i], tonePCM[2*i+1] = v, -v
	}
	m.audio = []mediaAudio{
		{step: 1, rate: 8000, clips: []summary.Clip{{Samples: ramp, Label: "ramp"}, {Samples: tone, Channels: 2, Label: "*tone*"}}, pcm: [][]int16{rampPCM, tonePCM}},
		{step: 2, rate: 44100, clips: []summary.Clip{{Samples: tone, Channels: 2}, {Samples: ramp}}, pcm: [][]int16{tonePCM, rampPCM}},
	}
	if err := w.Describe(audioTag, summary.Meta{DisplayName: "Clips", Description: "**two** clips"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range m.audio {
		if err := w.Audio(audioTag, a.step, a.rate, a.clips...); err != nil {
			t.Fatal(err)
		}
	}

	// Video: a dot crossing a 12x8 frame, in 6 then 3 frames.
	for _, v := range []struct {
		step int64
		n    int
	}{{1, 6}, {2, 3}} {
		mv := mediaVideo{step: v.step}
		for f := range v.n {
			img := image.NewRGBA(image.Rect(0, 0, 12, 8))
			for i := range img.Pix {
				img.Pix[i] = 40 // dark grey
				if i%4 == 3 {
					img.Pix[i] = 255
				}
			}
			img.SetRGBA(2*f, 4, color.RGBA{255, 200, 0, 255})
			mv.frames = append(mv.frames, img)
		}
		if mv.gif, err = media.EncodeGIF(mv.frames, 8); err != nil {
			t.Fatal(err)
		}
		if err := w.Video(videoTag, v.step, mv.frames, 8); err != nil {
			t.Fatal(err)
		}
		m.video = append(m.video, mv)
	}

	// A figure of 5x3 inches, 480x288 pixels at 96 dpi.
	p := plot.New()
	p.Title.Text = "parabola"
	pts := make(plotter.XYs, 21)
	for i := range pts {
		pts[i].X, pts[i].Y = float64(i-10), float64((i-10)*(i-10))
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(line)
	img, err := figure.Render(p, 5*vg.Inch, 3*vg.Inch, 0)
	if err != nil {
		t.Fatal(err)
	}
	var enc media.PNGEncoder // what Writer.Image encodes with
	if m.figure.png, err = enc.AppendPNG(nil, img); err != nil {
		t.Fatal(err)
	}
	m.figure.step, m.figure.w, m.figure.h = 4, 480, 288
	if err := figure.Write(w, figureTag, m.figure.step, p, 5*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}

	// Meshes: two square pyramids (5 vertices, 6 faces) at two steps, and
	// a point cloud.
	pyramids := func(shift float32) summary.Mesh {
		base := [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0.5, 0.5, 1}}
		faces := [][3]int32{{0, 1, 2}, {0, 2, 3}, {0, 1, 4}, {1, 2, 4}, {2, 3, 4}, {3, 0, 4}}
		colors := [][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {255, 255, 255}}
		var ms summary.Mesh
		for b := range 2 {
			vs := make([][3]float32, len(base))
			for i, v := range base {
				vs[i] = [3]float32{v[0] + shift + float32(b)*1.5, v[1] - 0.125*float32(b), v[2]}
			}
			ms.Vertices = append(ms.Vertices, vs)
			ms.Faces = append(ms.Faces, faces)
			ms.Colors = append(ms.Colors, colors)
		}
		ms.Config = map[string]any{
			"camera":   map[string]any{"cls": "PerspectiveCamera", "fov": 75},
			"material": map[string]any{"cls": "MeshStandardMaterial"},
		}
		return ms
	}
	m.meshes = []mediaMesh{
		{meshTag, 1, pyramids(0)},
		{meshTag, 2, pyramids(10)},
		{cloudTag, 1, summary.Mesh{Vertices: [][][3]float32{{{1, 2, 3}, {-1, -2, -3}, {0.1, 0.2, 0.3}}}}},
	}
	for _, mm := range m.meshes {
		if err := w.Mesh(mm.tag, mm.step, mm.mesh); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMedia writes audio, video, a figure and meshes, and asserts them
// through the HTTP API of two TensorBoards, one with the checksumming
// Rust data server and one with the Python loader.
func TestMedia(t *testing.T) {
	m := writeMediaLogdir(t)
	specs := bothLoaders(m.dir, mediaLoaded)
	servers := startServers(t, specs)
	for i, spec := range specs {
		t.Run(spec.name, func(t *testing.T) {
			s := servers[i]
			t.Run("listing", func(t *testing.T) { checkMediaListing(t, s) })
			t.Run("audio", func(t *testing.T) { checkMediaAudio(t, s, m) })
			t.Run("video", func(t *testing.T) { checkMediaVideo(t, s, m) })
			t.Run("figure", func(t *testing.T) { checkMediaFigure(t, s, m) })
			t.Run("mesh", func(t *testing.T) { checkMediaMesh(t, s, m) })
		})
	}
}

// mediaLoaded is a ready function: it holds once s lists every tag of the
// media run; the TensorBoards read the logdir once, so then they have read
// all of it.
func mediaLoaded(s *Server) (bool, error) {
	for _, want := range []struct {
		plugin string
		tags   []string
	}{
		{"audio", []string{audioTag}},
		{"images", []string{videoTag, figureTag}},
		{"mesh", []string{meshTag, cloudTag}},
	} {
		var tags map[string]map[string]any
		if err := s.GetJSON("data/plugin/"+want.plugin+"/tags", nil, &tags); err != nil {
			return false, err
		}
		for _, tag := range want.tags {
			if _, ok := tags[mediaRun][tag]; !ok {
				return false, fmt.Errorf("%s tags lack %q", want.plugin, tag)
			}
		}
	}
	return true, nil
}

// getTyped fetches path with an encoded query and returns the body and
// its Content-Type; any status but 200 is an error.
func (s *Server) getTyped(path, rawQuery string) ([]byte, string, error) {
	u := s.URL + path + "?" + rawQuery
	resp, err := httpClient.Get(u)
	if err != nil {
		return nil, "", fmt.Errorf("compat: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("compat: GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("compat: GET %s: %s: %.500s", u, resp.Status, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

func checkMediaListing(t *testing.T, s *Server) {
	var listing map[string]struct {
		Enabled bool `json:"enabled"`
	}
	if err := s.GetJSON("data/plugins_listing", nil, &listing); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"audio", "images", "mesh"} {
		if !listing[p].Enabled {
			t.Errorf("dashboard %q is not enabled", p)
		}
	}
}

// blobTags is the /tags answer of the images and audio plugins.
type blobTags map[string]map[string]struct {
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Samples     int    `json:"samples"`
}

func checkMediaAudio(t *testing.T, s *Server, m *mediaLogdir) {
	var tags blobTags
	if err := s.GetJSON("data/plugin/audio/tags", nil, &tags); err != nil {
		t.Fatal(err)
	}
	info, ok := tags[mediaRun][audioTag]
	if !ok || info.DisplayName != "Clips" || info.Description != "<p><strong>two</strong> clips</p>" || info.Samples != 2 {
		t.Errorf("audio tags = %+v, want %q with display name Clips, the description as HTML and 2 samples", tags, audioTag)
	}
	for sample := range 2 {
		var list []struct {
			WallTime    float64 `json:"wall_time"`
			Step        int64   `json:"step"`
			Label       string  `json:"label"`
			ContentType string  `json:"contentType"`
			Query       string  `json:"query"`
		}
		q := query("run", mediaRun, "tag", audioTag, "sample", fmt.Sprint(sample))
		if err := s.GetJSON("data/plugin/audio/audio", q, &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != len(m.audio) {
			t.Fatalf("sample %d: %d audio entries, want %d", sample, len(list), len(m.audio))
		}
		for i, want := range m.audio {
			got := list[i]
			at := fmt.Sprintf("step %d clip %d", want.step, sample)
			// Both loaders drop the labels: the plugin always says "".
			if got.Step != want.step || got.WallTime != 1700000000.5 || got.ContentType != "audio/wav" || got.Label != "" {
				t.Errorf("%s: entry %+v, want step %d, wall time 1700000000.5, audio/wav, no label", at, got, want.step)
			}
			body, ctype, err := s.getTyped("data/plugin/audio/individualAudio", got.Query)
			if err != nil {
				t.Fatal(err)
			}
			wav, err := summary.EncodeWAV(want.clips[sample], want.rate)
			if err != nil {
				t.Fatal(err)
			}
			if ctype != "audio/wav" {
				t.Errorf("%s: served as %q, want audio/wav", at, ctype)
			}
			if !bytes.Equal(body, wav) {
				t.Errorf("%s: %d bytes served, want the %d written", at, len(body), len(wav))
			}
			channels := max(want.clips[sample].Channels, 1)
			checkWAV(t, at, body, channels, uint32(want.rate), want.pcm[sample])
		}
	}
}

// checkWAV decodes the 44-byte header of a 16-bit PCM WAV file and its
// samples and asserts them.
func checkWAV(t *testing.T, at string, b []byte, channels int, rate uint32, pcm []int16) {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 44 {
		t.Fatalf("%s: %d bytes, not a WAV file", at, len(b))
	}
	data := uint32(2 * len(pcm))
	header := []struct {
		field     string
		got, want any
	}{
		{"RIFF", string(b[0:4]), "RIFF"},
		{"RIFF size", le.Uint32(b[4:]), 36 + data},
		{"WAVE", string(b[8:12]), "WAVE"},
		{"fmt", string(b[12:16]), "fmt "},
		{"fmt size", le.Uint32(b[16:]), uint32(16)},
		{"format", le.Uint16(b[20:]), uint16(1)},
		{"channels", le.Uint16(b[22:]), uint16(channels)},
		{"sample rate", le.Uint32(b[24:]), rate},
		{"bytes per second", le.Uint32(b[28:]), rate * uint32(channels) * 2},
		{"bytes per frame", le.Uint16(b[32:]), uint16(2 * channels)},
		{"bits per sample", le.Uint16(b[34:]), uint16(16)},
		{"data", string(b[36:40]), "data"},
		{"data size", le.Uint32(b[40:]), data},
	}
	for _, h := range header {
		if h.got != h.want {
			t.Errorf("%s: WAV %s = %v, want %v", at, h.field, h.got, h.want)
		}
	}
	if uint32(len(b)) != 44+data {
		t.Fatalf("%s: %d bytes for %d frames of %d channels", at, len(b), len(pcm)/channels, channels)
	}
	for i, want := range pcm {
		if got := int16(le.Uint16(b[44+2*i:])); got != want {
			t.Errorf("%s: frame %d channel %d = %d, want %d", at, i/channels, i%channels, got, want)
			return
		}
	}
}

// imageEntries fetches the /images list of tag's sample 0 and the bytes
// and Content-Type of each image.
func imageEntries(t *testing.T, s *Server, tag string) (steps []int64, blobs [][]byte, types []string) {
	t.Helper()
	var list []struct {
		WallTime float64 `json:"wall_time"`
		Step     int64   `json:"step"`
		Query    string  `json:"query"`
	}
	if err := s.GetJSON("data/plugin/images/images", query("run", mediaRun, "tag", tag, "sample", "0"), &list); err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.WallTime != 1700000000.5 {
			t.Errorf("%q step %d: wall time %v, want 1700000000.5", tag, e.Step, e.WallTime)
		}
		body, ctype, err := s.getTyped("data/plugin/images/individualImage", e.Query)
		if err != nil {
			t.Fatal(err)
		}
		steps, blobs, types = append(steps, e.Step), append(blobs, body), append(types, ctype)
	}
	return steps, blobs, types
}

func checkMediaVideo(t *testing.T, s *Server, m *mediaLogdir) {
	var tags blobTags
	if err := s.GetJSON("data/plugin/images/tags", nil, &tags); err != nil {
		t.Fatal(err)
	}
	if info := tags[mediaRun][videoTag]; info.Samples != 1 {
		t.Errorf("images tag %q: %+v, want 1 sample", videoTag, info)
	}
	steps, blobs, types := imageEntries(t, s, videoTag)
	if len(steps) != len(m.video) {
		t.Fatalf("%d video steps, want %d", len(steps), len(m.video))
	}
	for i, want := range m.video {
		at := fmt.Sprintf("video step %d", want.step)
		if steps[i] != want.step || types[i] != "image/gif" {
			t.Errorf("%s: served step %d as %q, want image/gif", at, steps[i], types[i])
		}
		if !bytes.Equal(blobs[i], want.gif) {
			t.Errorf("%s: %d bytes served, want the %d written", at, len(blobs[i]), len(want.gif))
		}
		g, err := gif.DecodeAll(bytes.NewReader(blobs[i]))
		if err != nil {
			t.Fatalf("%s: not a GIF: %v", at, err)
		}
		if len(g.Image) != len(want.frames) || g.Config.Width != 12 || g.Config.Height != 8 || g.LoopCount != 0 {
			t.Fatalf("%s: %d frames of %dx%d, loop count %d; want %d of 12x8 looping forever",
				at, len(g.Image), g.Config.Width, g.Config.Height, g.LoopCount, len(want.frames))
		}
		for f, p := range g.Image {
			if g.Delay[f] != 13 { // 100/8 hundredths of a second, rounded
				t.Errorf("%s frame %d: delay %d, want 13", at, f, g.Delay[f])
			}
			if err := sameRGBA(p, want.frames[f]); err != nil {
				t.Errorf("%s frame %d: %v", at, f, err)
			}
		}
	}
}

// sameRGBA reports how got differs from want, pixel by pixel.
func sameRGBA(got, want image.Image) error {
	if got.Bounds().Size() != want.Bounds().Size() {
		return fmt.Errorf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	gb, wb := got.Bounds().Min, want.Bounds().Min
	for y := range want.Bounds().Dy() {
		for x := range want.Bounds().Dx() {
			g := color.RGBAModel.Convert(got.At(gb.X+x, gb.Y+y))
			w := color.RGBAModel.Convert(want.At(wb.X+x, wb.Y+y))
			if g != w {
				return fmt.Errorf("pixel (%d, %d) = %v, want %v", x, y, g, w)
			}
		}
	}
	return nil
}

func checkMediaFigure(t *testing.T, s *Server, m *mediaLogdir) {
	steps, blobs, types := imageEntries(t, s, figureTag)
	if len(steps) != 1 || steps[0] != m.figure.step || types[0] != "image/png" {
		t.Fatalf("figure served at steps %v as %q, want step %d as image/png", steps, types, m.figure.step)
	}
	if !bytes.Equal(blobs[0], m.figure.png) {
		t.Errorf("figure: %d bytes served, want the %d written", len(blobs[0]), len(m.figure.png))
	}
	img, err := png.Decode(bytes.NewReader(blobs[0]))
	if err != nil {
		t.Fatalf("figure: not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != m.figure.w || b.Dy() != m.figure.h {
		t.Errorf("figure is %dx%d, want %dx%d", b.Dx(), b.Dy(), m.figure.w, m.figure.h)
	}
}

// meshEntry is an element of the mesh plugin's /meshes answer.
type meshEntry struct {
	WallTime    float64 `json:"wall_time"`
	Step        int64   `json:"step"`
	ContentType int     `json:"content_type"`
	Components  int     `json:"components"`
	Config      string  `json:"config"`
	DataShape   []int   `json:"data_shape"`
}

func checkMediaMesh(t *testing.T, s *Server, m *mediaLogdir) {
	var tags map[string]map[string]struct {
		Samples int `json:"samples"`
	}
	if err := s.GetJSON("data/plugin/mesh/tags", nil, &tags); err != nil {
		t.Fatal(err)
	}
	if got := tags[mediaRun]; len(got) != 2 || got[meshTag].Samples != 2 || got[cloudTag].Samples != 1 {
		t.Errorf("mesh tags = %+v, want %q with 2 samples and %q with 1", tags, meshTag, cloudTag)
	}

	// parts names the content types as the /data endpoint takes them.
	parts := []struct {
		name string
		kind int
	}{{"VERTEX", 1}, {"FACE", 2}, {"COLOR", 3}}
	for _, tag := range []string{meshTag, cloudTag} {
		var want []mediaMesh
		for _, mm := range m.meshes {
			if mm.tag == tag {
				want = append(want, mm)
			}
		}
		var list []meshEntry
		if err := s.GetJSON("data/plugin/mesh/meshes", query("run", mediaRun, "tag", tag), &list); err != nil {
			t.Fatal(err)
		}
		// One entry per part and step, in step order; the parts of a step
		// come in no set order.
		var wantList []meshEntry
		for _, mm := range want {
			config, components := "{}", 1<<1
			if mm.mesh.Faces != nil {
				config, components = meshConfigStr, 1<<1|1<<2|1<<3
			}
			batch, n := len(mm.mesh.Vertices), len(mm.mesh.Vertices[0])
			wantList = append(wantList, meshEntry{1700000000.5, mm.step, 1, components, config, []int{batch, n, 3}})
			if mm.mesh.Faces != nil {
				wantList = append(wantList,
					meshEntry{1700000000.5, mm.step, 2, components, config, []int{batch, len(mm.mesh.Faces[0]), 3}},
					meshEntry{1700000000.5, mm.step, 3, components, config, []int{batch, n, 3}})
			}
		}
		order := func(a, b meshEntry) int {
			if a.Step != b.Step {
				return int(a.Step - b.Step)
			}
			return a.ContentType - b.ContentType
		}
		slices.SortStableFunc(list, order)
		if len(list) != len(wantList) {
			t.Fatalf("%q: %d mesh entries %+v, want %d", tag, len(list), list, len(wantList))
		}
		for i := range wantList {
			if g, w := list[i], wantList[i]; g.WallTime != w.WallTime || g.Step != w.Step || g.ContentType != w.ContentType ||
				g.Components != w.Components || g.Config != w.Config || !slices.Equal(g.DataShape, w.DataShape) {
				t.Errorf("%q: mesh entry %+v, want %+v", tag, g, w)
			}
		}

		// The data of every part of every sample of every step.
		for _, mm := range want {
			for sample := range mm.mesh.Vertices {
				for _, p := range parts {
					var wantData []byte
					le := binary.LittleEndian
					switch p.kind {
					case 1:
						for _, v := range mm.mesh.Vertices[sample] {
							for _, x := range v {
								wantData = le.AppendUint32(wantData, math.Float32bits(x))
							}
						}
					case 2:
						if mm.mesh.Faces == nil {
							continue
						}
						for _, f := range mm.mesh.Faces[sample] {
							for _, k := range f {
								wantData = le.AppendUint32(wantData, uint32(k))
							}
						}
					case 3:
						if mm.mesh.Colors == nil {
							continue
						}
						for _, c := range mm.mesh.Colors[sample] {
							wantData = append(wantData, c[:]...)
						}
					}
					q := url.Values{
						"run": {mediaRun}, "tag": {tag}, "content_type": {p.name},
						"sample": {fmt.Sprint(sample)}, "step": {fmt.Sprint(mm.step)},
					}
					got, err := s.Get("data/plugin/mesh/data", q)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, wantData) {
						t.Errorf("%q step %d sample %d %s: data\n% x\nwant\n% x", tag, mm.step, sample, p.name, got, wantData)
					}
				}
			}
		}
	}
}
