package summary

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// mediaTime is the wall time of every value written by writeAndDecode.
var mediaTime = time.Unix(1700000000, 0)

// writeAndDecode calls write with a new Writer on a temporary directory,
// closes it, and returns what write returned and the values a Decoder
// reads back from the event file.
func writeAndDecode(t *testing.T, write func(w *Writer) error) ([]Value, error) {
	t.Helper()
	w, err := NewWriter(t.TempDir(), &Options{Now: func() time.Time { return mediaTime }})
	if err != nil {
		t.Fatal(err)
	}
	werr := write(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := tfevents.Open(w.FileName(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var d Decoder
	var vals []Value
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return vals, werr
		}
		if err != nil {
			t.Fatal(err)
		}
		if vals, err = d.Record(vals, rec); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEncodeWAVGolden(t *testing.T) {
	// Two channels at 8000 Hz, three frames.
	got, err := EncodeWAV(Clip{Samples: []float32{0, 1, -1, 0.5, 2, -2}, Channels: 2}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	want := wavCat(
		[]byte("RIFF"), wavU32(44-8+12), []byte("WAVE"),
		[]byte("fmt "), wavU32(16),
		wavU16(1),      // PCM
		wavU16(2),      // channels
		wavU32(8000),   // sample rate
		wavU32(8000*4), // bytes per second
		wavU16(4),      // bytes per frame
		wavU16(16),     // bits per sample
		[]byte("data"), wavU32(12),
		wavU16(0), wavU16(0x7fff), // frame 0: 0, 1 clamped from 32768
		wavU16(0x8000), wavU16(16384), // frame 1: -1, 0.5
		wavU16(0x7fff), wavU16(0x8000), // frame 2: 2 and -2, clamped
	)
	if !bytes.Equal(got, want) {
		t.Errorf("EncodeWAV =\n% x\nwant\n% x", got, want)
	}
}

func wavCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
func wavU16(v uint16) []byte        { return binary.LittleEndian.AppendUint16(nil, v) }
func wavU32(v uint32) []byte        { return binary.LittleEndian.AppendUint32(nil, v) }

func TestEncodeWAVSamples(t *testing.T) {
	for _, tt := range []struct {
		desc string
		x    float32
		want int16
	}{
		{"zero", 0, 0},
		{"negative zero", float32(math.Copysign(0, -1)), 0},
		{"half a step rounds away from zero", 1.0 / 65536, 1},
		{"minus half a step", -1.0 / 65536, -1},
		{"just under half a step", 0.49 / 32768, 0},
		{"full scale", 1, 32767},
		{"minus full scale", -1, -32768},
		{"over full scale", 1.5, 32767},
		{"+Inf", float32(math.Inf(1)), 32767},
		{"-Inf", float32(math.Inf(-1)), -32768},
		{"largest float32", math.MaxFloat32, 32767},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := EncodeWAV(Clip{Samples: []float32{tt.x}}, 16000)
			if err != nil {
				t.Fatal(err)
			}
			if got := int16(binary.LittleEndian.Uint16(b[44:])); got != tt.want {
				t.Errorf("sample %v encodes as %d, want %d", tt.x, got, tt.want)
			}
		})
	}
}

// Every 16-bit sample survives decoding to float32 and encoding again.
func TestWAVRoundTrip(t *testing.T) {
	in := make([]float32, 0, 1<<16)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		in = append(in, float32(v)/32768)
	}
	b, err := EncodeWAV(Clip{Samples: in, Channels: 4}, 44100.4)
	if err != nil {
		t.Fatal(err)
	}
	c, rate, err := DecodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 44100 || c.Channels != 4 || c.Label != "" {
		t.Errorf("decoded %d channels at %v Hz, label %q; want 4 at 44100 Hz", c.Channels, rate, c.Label)
	}
	if !slices.Equal(c.Samples, in) {
		t.Error("samples changed on the way through WAV")
	}
	again, err := EncodeWAV(c, rate)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Error("re-encoding the decoded clip gives other bytes")
	}
}

func TestEncodeWAVErrors(t *testing.T) {
	one := []float32{0.5}
	for _, tt := range []struct {
		desc string
		clip Clip
		rate float64
		msg  string
	}{
		{"rate 0", Clip{Samples: one}, 0, "sample rate 0 Hz"},
		{"rate rounds to 0", Clip{Samples: one}, 0.4, "sample rate 0.4 Hz"},
		{"negative rate", Clip{Samples: one}, -8000, "sample rate -8000 Hz"},
		{"NaN rate", Clip{Samples: one}, math.NaN(), "sample rate NaN Hz"},
		{"infinite rate", Clip{Samples: one}, math.Inf(1), "sample rate +Inf Hz"},
		{"rate over 32 bits", Clip{Samples: one}, 1 << 32, "sample rate 4.294967296e+09 Hz"},
		{"bytes per second over 32 bits", Clip{Samples: []float32{0, 0}, Channels: 2}, 1 << 30, "4294967296 bytes per second"},
		{"no samples", Clip{}, 8000, "no samples"},
		{"negative channels", Clip{Samples: one, Channels: -1}, 8000, "-1 channels"},
		{"too many channels", Clip{Samples: one, Channels: 1 << 16}, 8000, "65536 channels"},
		{"partial frame", Clip{Samples: []float32{0, 0, 0}, Channels: 2}, 8000, "3 samples are not a whole number of 2-channel frames"},
		{"NaN sample", Clip{Samples: []float32{0, 0, 0, float32(math.NaN())}, Channels: 2}, 8000, "sample 3 (frame 1, channel 1) is NaN"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := EncodeWAV(tt.clip, tt.rate)
			if err == nil || b != nil {
				t.Fatalf("EncodeWAV = %d bytes, %v; want an error", len(b), err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "summary: ") || !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q does not start with \"summary: \" and say %q", msg, tt.msg)
			}
		})
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	good, err := EncodeWAV(Clip{Samples: []float32{0.25, -0.25}}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	with := func(at int, b ...byte) []byte {
		w := bytes.Clone(good)
		copy(w[at:], b)
		return w
	}
	for _, tt := range []struct {
		desc string
		wav  []byte
		msg  string
	}{
		{"empty", nil, "not a WAV file"},
		{"not RIFF", with(0, 'R', 'I', 'F', 'X'), "not a WAV file"},
		{"8-bit", with(34, 8), "want 16-bit PCM"},
		{"float format", with(20, 3), "format 3"},
		{"no channels", with(22, 0), "0 channels"},
		{"wrong frame size", with(32, 4), "says 4 bytes per frame and 16000 per second"},
		{"wrong byte rate", with(28, 0), "says 2 bytes per frame and 15872 per second"},
		{"byte rate over 32 bits", with(22, 2, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 4, 0), "2 channels at 2147483648 Hz says 4 bytes per frame and 0 per second"},
		{"chunk longer than the file", with(40, 0xff), "has only 4"},
		{"half a frame", with(40, 3), "not a whole number"},
		{"no data chunk", good[:36], "no data chunk"},
		{"data before fmt", wavCat(good[:12], good[36:]), "before its fmt chunk"},
		{"short fmt chunk", wavCat(good[:16], wavU32(4), good[20:24]), "fmt chunk of 4 bytes"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			_, _, err := DecodeWAV(tt.wav)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "summary: ") {
				t.Errorf("DecodeWAV error %v, want one saying %q", err, tt.msg)
			}
		})
	}
}

// DecodeWAV skips chunks it does not know, padding included.
func TestDecodeWAVSkipsChunks(t *testing.T) {
	good, err := EncodeWAV(Clip{Samples: []float32{0.25, -0.25}}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	odd := wavCat([]byte("LIST"), wavU32(3), []byte("abc"), []byte{0}) // padded to even size
	c, rate, err := DecodeWAV(wavCat(good[:36], odd, good[36:]))
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || c.Channels != 1 || !slices.Equal(c.Samples, []float32{0.25, -0.25}) {
		t.Errorf("decoded %v at %v Hz, want [0.25 -0.25] at 8000 Hz", c, rate)
	}
}

func FuzzDecodeWAV(f *testing.F) {
	for _, c := range []Clip{{Samples: []float32{0.5}}, {Samples: []float32{0, 1, -1, 0.5}, Channels: 2}} {
		b, err := EncodeWAV(c, 22050)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, rate, err := DecodeWAV(b)
		if err != nil {
			return
		}
		// Whatever decodes encodes again to a file that decodes the same.
		again, err := EncodeWAV(c, rate)
		if err != nil {
			if len(c.Samples) == 0 {
				return // an empty data chunk: EncodeWAV refuses empty clips
			}
			t.Fatalf("EncodeWAV of a decoded clip: %v", err)
		}
		c2, rate2, err := DecodeWAV(again)
		if err != nil || rate2 != rate || c2.Channels != c.Channels || !slices.Equal(c2.Samples, c.Samples) {
			t.Fatalf("re-encoded clip decodes as %v %v %v, want %v %v", c2, rate2, err, c, rate)
		}
	})
}

func TestAudioValue(t *testing.T) {
	clips := []Clip{
		{Samples: []float32{0, 0.5, -0.5}, Label: "**mono**"},
		{Samples: []float32{0.25, -0.25}, Channels: 2, Label: "stereo"},
	}
	v, err := AudioValue("speech", 16000, clips, Meta{DisplayName: "Speech"})
	if err != nil {
		t.Fatal(err)
	}
	md := v.GetMetadata()
	if got := md.GetPluginData().GetContent(); !bytes.Equal(got, []byte{0x10, 0x0b}) {
		t.Errorf("content = % x, want 10 0b (version 0, encoding WAV)", got)
	}
	// No data class, or the Python loader would serve labels as clips.
	if md.GetPluginData().GetPluginName() != "audio" || md.GetDataClass() != tbpb.DataClass_DATA_CLASS_UNKNOWN || md.GetDisplayName() != "Speech" {
		t.Errorf("metadata = %v", md)
	}
	tensor := v.GetTensor()
	if tensor.GetDtype() != tbpb.DataType_DT_STRING || !slices.Equal(dims(tensor), []int64{2, 2}) {
		t.Fatalf("tensor is %v of shape %v, want DT_STRING [2 2]", tensor.GetDtype(), dims(tensor))
	}
	for i, c := range clips {
		wav, err := EncodeWAV(c, 16000)
		if err != nil {
			t.Fatal(err)
		}
		if got := tensor.StringVal[2*i]; !bytes.Equal(got, wav) {
			t.Errorf("clip %d is\n% x\nwant\n% x", i, got, wav)
		}
		if got := string(tensor.StringVal[2*i+1]); got != c.Label {
			t.Errorf("label %d = %q, want %q", i, got, c.Label)
		}
	}
}

// Writer.Audio refuses bad input before writing anything.
func TestWriterAudioErrors(t *testing.T) {
	one := []float32{0.5}
	for _, tt := range []struct {
		desc  string
		tag   string
		rate  float64
		clips []Clip
		msg   string
	}{
		{"no clips", "a", 8000, nil, `audio "a": no clips`},
		{"empty clip", "a", 8000, []Clip{{Samples: one}, {}}, `audio "a": clip 1: no samples`},
		{"rate 0", "a", 0, []Clip{{Samples: one}}, `audio "a": sample rate 0 Hz`},
		{"NaN in the last clip", "a", 8000, []Clip{{Samples: one}, {Samples: []float32{float32(math.NaN())}}}, "clip 1: sample 0 (frame 0, channel 0) is NaN"},
		{"partial frame", "a", 8000, []Clip{{Samples: one, Channels: 2}}, "not a whole number of 2-channel frames"},
		{"empty tag", "", 8000, []Clip{{Samples: one}}, "empty tag"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			vals, err := writeAndDecode(t, func(w *Writer) error { return w.Audio(tt.tag, 1, tt.rate, tt.clips...) })
			if err == nil || !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one saying %q", err, tt.msg)
			}
			if len(vals) != 0 {
				t.Errorf("%d values written, want none", len(vals))
			}
		})
	}
}

// What Writer.Audio writes, the Decoder reads back as TensorBoard serves
// it: KindAudio, WAV files and labels.
func TestWriterAudioDecode(t *testing.T) {
	tone := make([]float32, 2*100) // 100 stereo frames
	for i := range 100 {
		tone[2*i] = float32(math.Sin(float64(i) / 5))
		tone[2*i+1] = -tone[2*i]
	}
	clips := []Clip{{Samples: tone, Channels: 2, Label: "tone"}, {Samples: []float32{-1, 0, 1}, Label: "ramp"}}
	vals, err := writeAndDecode(t, func(w *Writer) error {
		if err := w.Describe("sound", Meta{Description: "two clips"}); err != nil {
			return err
		}
		if err := w.Audio("sound", 3, 22050, clips...); err != nil {
			return err
		}
		// A tag holds one kind of data.
		if err := w.Scalar("sound", 4, 1); err == nil {
			t.Error("a scalar on an audio tag was accepted")
		}
		return w.Audio("sound", 5, 8000, clips[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 2 {
		t.Fatalf("%d values, want 2", len(vals))
	}
	for i, want := range []struct {
		step  int64
		rate  float64
		clips []Clip
	}{{3, 22050, clips}, {5, 8000, clips[1:]}} {
		v := vals[i]
		if v.Kind != KindAudio || v.Tag != "sound" || v.Step != want.step || v.Plugin != PluginAudio ||
			v.DataClass != tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE || v.ContentType != "audio/wav" ||
			v.Meta.Description != "two clips" || v.WallTime != float64(mediaTime.Unix()) {
			t.Errorf("value %d = %+v", i, v)
		}
		if len(v.Blobs) != len(want.clips) || len(v.Labels) != len(want.clips) {
			t.Fatalf("value %d has %d clips and %d labels, want %d", i, len(v.Blobs), len(v.Labels), len(want.clips))
		}
		for j, c := range want.clips {
			got, rate, err := DecodeWAV(v.Blobs[j])
			if err != nil {
				t.Fatal(err)
			}
			if rate != want.rate || got.Channels != c.channels() || v.Labels[j] != c.Label {
				t.Errorf("step %d clip %d: %d channels at %v Hz labelled %q, want %d at %v labelled %q",
					want.step, j, got.Channels, rate, v.Labels[j], c.channels(), want.rate, c.Label)
			}
			for k, x := range c.Samples {
				if d := math.Abs(float64(got.Samples[k] - x)); d > 1.0/32768 {
					t.Errorf("step %d clip %d sample %d = %v, want %v", want.step, j, k, got.Samples[k], x)
					break
				}
			}
		}
	}
}
