package summary

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/proto/tbpb"
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
	closeChecked(t, w)
	return fileValues(t, w.FileName()), werr
}

// EncodeWAV and DecodeWAV carry a Clip through the WAV codec: channels
// default to one, the label stays behind, errors name the package.
func TestWAVClip(t *testing.T) {
	in := Clip{Samples: []float32{0, 0.5, -0.5, 0.25}, Channels: 2, Label: "dropped"}
	b, err := EncodeWAV(in, 8000)
	if err != nil {
		t.Fatal(err)
	}
	got, rate, err := DecodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || got.Channels != 2 || got.Label != "" || !slices.Equal(got.Samples, in.Samples) {
		t.Errorf("DecodeWAV(EncodeWAV(%+v)) = %+v at %v Hz", in, got, rate)
	}
	mono, err := EncodeWAV(Clip{Samples: []float32{0.5}}, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := DecodeWAV(mono); err != nil || got.Channels != 1 {
		t.Errorf("a clip of zero Channels decodes as %+v, %v; want mono", got, err)
	}
	for _, err := range []error{
		func() error { _, err := EncodeWAV(Clip{}, 8000); return err }(),
		func() error { _, _, err := DecodeWAV([]byte("RIFX")); return err }(),
	} {
		if err == nil || !strings.HasPrefix(err.Error(), "summary: wav: ") {
			t.Errorf("error %v, want one starting with \"summary: wav: \"", err)
		}
	}
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
