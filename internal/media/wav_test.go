package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEncodeWAVGolden(t *testing.T) {
	// Two channels at 8000 Hz, three frames.
	got, err := EncodeWAV([]float32{0, 1, -1, 0.5, 2, -2}, 2, 8000)
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
			b, err := EncodeWAV([]float32{tt.x}, 1, 16000)
			if err != nil {
				t.Fatal(err)
			}
			if got := int16(binary.LittleEndian.Uint16(b[WAVHeaderLen:])); got != tt.want {
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
	b, err := EncodeWAV(in, 4, 44100.4)
	if err != nil {
		t.Fatal(err)
	}
	samples, channels, rate, err := DecodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 44100 || channels != 4 {
		t.Errorf("decoded %d channels at %v Hz; want 4 at 44100 Hz", channels, rate)
	}
	if !slices.Equal(samples, in) {
		t.Error("samples changed on the way through WAV")
	}
	again, err := EncodeWAV(samples, channels, rate)
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
		desc     string
		samples  []float32
		channels int
		rate     float64
		msg      string
	}{
		{"rate 0", one, 1, 0, "sample rate 0 Hz"},
		{"rate rounds to 0", one, 1, 0.4, "sample rate 0.4 Hz"},
		{"negative rate", one, 1, -8000, "sample rate -8000 Hz"},
		{"NaN rate", one, 1, math.NaN(), "sample rate NaN Hz"},
		{"infinite rate", one, 1, math.Inf(1), "sample rate +Inf Hz"},
		{"rate over 32 bits", one, 1, 1 << 32, "sample rate 4.294967296e+09 Hz"},
		{"bytes per second over 32 bits", []float32{0, 0}, 2, 1 << 30, "4294967296 bytes per second"},
		{"no samples", nil, 1, 8000, "no samples"},
		{"no channels", one, 0, 8000, "0 channels"},
		{"negative channels", one, -1, 8000, "-1 channels"},
		{"too many channels", one, 1 << 16, 8000, "65536 channels"},
		{"partial frame", []float32{0, 0, 0}, 2, 8000, "3 samples are not a whole number of 2-channel frames"},
		{"NaN sample", []float32{0, 0, 0, float32(math.NaN())}, 2, 8000, "sample 3 (frame 1, channel 1) is NaN"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := EncodeWAV(tt.samples, tt.channels, tt.rate)
			if err == nil || b != nil {
				t.Fatalf("EncodeWAV = %d bytes, %v; want an error", len(b), err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q does not say %q", msg, tt.msg)
			}
		})
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	good, err := EncodeWAV([]float32{0.25, -0.25}, 1, 8000)
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
			_, _, _, err := DecodeWAV(tt.wav)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("DecodeWAV error %v, want one saying %q", err, tt.msg)
			}
		})
	}
}

// DecodeWAV skips chunks it does not know, padding included.
func TestDecodeWAVSkipsChunks(t *testing.T) {
	good, err := EncodeWAV([]float32{0.25, -0.25}, 1, 8000)
	if err != nil {
		t.Fatal(err)
	}
	odd := wavCat([]byte("LIST"), wavU32(3), []byte("abc"), []byte{0}) // padded to even size
	samples, channels, rate, err := DecodeWAV(wavCat(good[:36], odd, good[36:]))
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || channels != 1 || !slices.Equal(samples, []float32{0.25, -0.25}) {
		t.Errorf("decoded %v (%d channels) at %v Hz, want [0.25 -0.25] at 8000 Hz", samples, channels, rate)
	}
}

func FuzzDecodeWAV(f *testing.F) {
	for _, c := range []struct {
		samples  []float32
		channels int
	}{{[]float32{0.5}, 1}, {[]float32{0, 1, -1, 0.5}, 2}} {
		b, err := EncodeWAV(c.samples, c.channels, 22050)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		samples, channels, rate, err := DecodeWAV(b)
		if err != nil {
			return
		}
		// Whatever decodes encodes again to a file that decodes the same.
		again, err := EncodeWAV(samples, channels, rate)
		if err != nil {
			if len(samples) == 0 {
				return // an empty data chunk: EncodeWAV refuses no samples
			}
			t.Fatalf("EncodeWAV of a decoded clip: %v", err)
		}
		s2, ch2, rate2, err := DecodeWAV(again)
		if err != nil || rate2 != rate || ch2 != channels || !slices.Equal(s2, samples) {
			t.Fatalf("re-encoded clip decodes as %v %v %v %v, want %v %v %v", s2, ch2, rate2, err, samples, channels, rate)
		}
	})
}
