package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// audioContent is the metadata content of audio values,
// AudioPluginData{version: 0, encoding: WAV}: the bytes 10 0b. TensorBoard serves the clips
// of a series as audio/wav only when the encoding says WAV, and as
// application/octet-stream otherwise.
var audioContent = marshalContent(&tbpb.AudioPluginData{Encoding: tbpb.AudioPluginData_WAV})

// A Clip is one audio clip: PCM samples in [-1, 1], one per channel per
// frame, the channels of a frame adjacent (interleaved), as WAV stores
// them.
type Clip struct {
	// Samples holds Channels samples per frame. Values outside [-1, 1]
	// are clamped; NaN is an error.
	Samples []float32
	// Channels is the number of channels; zero means one (mono).
	Channels int
	// Label is a Markdown caption. TensorBoard stores it in the event
	// file, but both of its loaders drop it on reading, so the audio
	// dashboard shows none; the Decoder returns it.
	Label string
}

// channels returns the clip's channel count, zero meaning one.
func (c *Clip) channels() int {
	if c.Channels == 0 {
		return 1
	}
	return c.Channels
}

// The WAV file EncodeWAV writes: a RIFF header, a 16-byte "fmt " chunk for
// 16-bit PCM and one "data" chunk, every number little-endian.
//
//	offset size  field
//	 0      4    "RIFF"
//	 4      4    file size - 8
//	 8      4    "WAVE"
//	12      4    "fmt "
//	16      4    16, the size of the rest of the fmt chunk
//	20      2    1, PCM
//	22      2    channels
//	24      4    sample rate (frames per second)
//	28      4    bytes per second = rate * channels * 2
//	32      2    bytes per frame = channels * 2
//	34      2    16, bits per sample
//	36      4    "data"
//	40      4    data size = samples * 2
//	44           samples, int16, frame by frame
const (
	wavHeaderLen = 44
	// maxWAVSamples keeps the RIFF size field, a uint32, in range.
	maxWAVSamples = (math.MaxUint32 - wavHeaderLen + 8) / 2
)

// EncodeWAV encodes a clip as a WAV file of 16-bit PCM, as TensorFlow's
// encode_wav (used by tf.summary.audio) does: a sample x becomes
// round(x * 32768), halves away from zero, clamped to [-32768, 32767]
// (±Inf included), so that 16-bit values decoded as v / 32768 encode back
// to themselves. sampleRate is in frames per second; WAV stores it as a
// whole number, so it is rounded to the nearest one, which must be at
// least 1, and the bytes per second (rate x channels x 2) must fit in 32
// bits. The clip must have at least one frame and no NaN sample; its label
// is not part of the file.
func EncodeWAV(c Clip, sampleRate float64) ([]byte, error) {
	rate, err := wavRate(sampleRate)
	if err == nil {
		err = c.check(rate)
	}
	if err != nil {
		return nil, fmt.Errorf("summary: wav: %w", err)
	}
	return appendWAV(nil, c, rate), nil
}

// wavRate returns sampleRate as WAV stores it.
func wavRate(sampleRate float64) (uint32, error) {
	r := math.Round(sampleRate)
	if math.IsNaN(r) || r < 1 || r > math.MaxUint32 {
		return 0, fmt.Errorf("sample rate %v Hz, want a rate from 1 to %d Hz", sampleRate, uint32(math.MaxUint32))
	}
	return uint32(r), nil
}

// check returns an error naming what makes c impossible to encode at rate.
func (c *Clip) check(rate uint32) error {
	ch := c.channels()
	switch {
	case ch < 1 || ch > math.MaxUint16:
		return fmt.Errorf("%d channels, want 1 to %d", c.Channels, math.MaxUint16)
	case uint64(rate)*uint64(ch)*2 > math.MaxUint32:
		return fmt.Errorf("%d channels at %d Hz: %d bytes per second do not fit in a WAV header", ch, rate, uint64(rate)*uint64(ch)*2)
	case len(c.Samples) == 0:
		return errors.New("no samples")
	case len(c.Samples)%ch != 0:
		return fmt.Errorf("%d samples are not a whole number of %d-channel frames", len(c.Samples), ch)
	case len(c.Samples) > maxWAVSamples:
		return fmt.Errorf("%d samples are too many for a WAV file (at most %d)", len(c.Samples), maxWAVSamples)
	}
	for i, x := range c.Samples {
		if x != x {
			return fmt.Errorf("sample %d (frame %d, channel %d) is NaN", i, i/ch, i%ch)
		}
	}
	return nil
}

// appendWAV appends the WAV file of a checked clip to dst.
func appendWAV(dst []byte, c Clip, rate uint32) []byte {
	ch := uint32(c.channels())
	data := uint32(2 * len(c.Samples))
	le := binary.LittleEndian
	dst = append(dst, "RIFF"...)
	dst = le.AppendUint32(dst, wavHeaderLen-8+data)
	dst = append(dst, "WAVEfmt "...)
	dst = le.AppendUint32(dst, 16)
	dst = le.AppendUint16(dst, 1)
	dst = le.AppendUint16(dst, uint16(ch))
	dst = le.AppendUint32(dst, rate)
	dst = le.AppendUint32(dst, rate*ch*2)
	dst = le.AppendUint16(dst, uint16(ch*2))
	dst = le.AppendUint16(dst, 16)
	dst = append(dst, "data"...)
	dst = le.AppendUint32(dst, data)
	for _, x := range c.Samples {
		v := math.Round(float64(x) * 32768)
		v = min(max(v, math.MinInt16), math.MaxInt16)
		dst = le.AppendUint16(dst, uint16(int16(v)))
	}
	return dst
}

// DecodeWAV decodes a WAV file of 16-bit PCM, such as EncodeWAV,
// TensorFlow and tensorboardX write, into a clip of samples v / 32768 and
// its sample rate. It skips chunks other than "fmt " and "data", and
// refuses other sample formats and a header whose sizes disagree.
func DecodeWAV(b []byte) (Clip, float64, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Clip{}, 0, errors.New("summary: not a WAV file")
	}
	le := binary.LittleEndian
	var (
		channels int
		rate     uint32
		haveFmt  bool
	)
	for b = b[12:]; len(b) >= 8; {
		id, size := string(b[:4]), le.Uint32(b[4:8])
		b = b[8:]
		if uint64(size) > uint64(len(b)) {
			return Clip{}, 0, fmt.Errorf("summary: WAV chunk %q of %d bytes has only %d", id, size, len(b))
		}
		body := b[:size]
		b = b[size:]
		if size%2 == 1 && len(b) > 0 { // chunks are padded to even sizes
			b = b[1:]
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return Clip{}, 0, fmt.Errorf("summary: WAV fmt chunk of %d bytes", len(body))
			}
			format, bits := le.Uint16(body[0:2]), le.Uint16(body[14:16])
			channels, rate = int(le.Uint16(body[2:4])), le.Uint32(body[4:8])
			byteRate, frameSize := le.Uint32(body[8:12]), int(le.Uint16(body[12:14]))
			if format != 1 || bits != 16 {
				return Clip{}, 0, fmt.Errorf("summary: WAV format %d with %d bits per sample, want 16-bit PCM (format 1)", format, bits)
			}
			if channels == 0 || rate == 0 {
				return Clip{}, 0, fmt.Errorf("summary: WAV of %d channels at %d Hz", channels, rate)
			}
			// As TensorFlow's decode_wav, insist that the header agrees
			// with itself.
			if frameSize != 2*channels || uint64(byteRate) != uint64(rate)*uint64(frameSize) {
				return Clip{}, 0, fmt.Errorf("summary: WAV of %d channels at %d Hz says %d bytes per frame and %d per second", channels, rate, frameSize, byteRate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Clip{}, 0, errors.New("summary: WAV data chunk before its fmt chunk")
			}
			if len(body)%(2*channels) != 0 {
				return Clip{}, 0, fmt.Errorf("summary: WAV data of %d bytes is not a whole number of %d-channel frames", len(body), channels)
			}
			c := Clip{Samples: make([]float32, len(body)/2), Channels: channels}
			for i := range c.Samples {
				c.Samples[i] = float32(int16(le.Uint16(body[2*i:]))) / 32768
			}
			return c, float64(rate), nil
		}
	}
	return Clip{}, 0, errors.New("summary: WAV file has no data chunk")
}

// AudioValue returns an audio summary value holding clips at sampleRate
// frames per second, each encoded by EncodeWAV: a [k, 2] DT_STRING tensor
// of (WAV file, label) rows with audio metadata saying WAV. TensorBoard
// shows the clips of a step as samples of the series, each with its own
// player.
//
// The metadata has no data class, as tf.summary.audio writes it: both
// loaders then take it to be BLOB_SEQUENCE and keep only the first column,
// the clips. Given the class, TensorBoard's Python loader
// (--load_fast=false) skips that conversion and serves the labels as
// clips of their own.
func AudioValue(tag string, sampleRate float64, clips []Clip, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	if len(clips) == 0 {
		return nil, fmt.Errorf("summary: audio %q: no clips", tag)
	}
	rate, err := wavRate(sampleRate)
	if err != nil {
		return nil, fmt.Errorf("summary: audio %q: %w", tag, err)
	}
	size := 0
	for i := range clips {
		if err := clips[i].check(rate); err != nil {
			return nil, fmt.Errorf("summary: audio %q: clip %d: %w", tag, i, err)
		}
		size += wavHeaderLen + 2*len(clips[i].Samples)
	}
	// One allocation holds every file; the tensor's strings share it.
	buf := make([]byte, 0, size)
	vals := make([][]byte, 0, 2*len(clips))
	for _, c := range clips {
		start := len(buf)
		buf = appendWAV(buf, c, rate)
		vals = append(vals, buf[start:len(buf):len(buf)], []byte(c.Label))
	}
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginAudio, audioContent, tbpb.DataClass_DATA_CLASS_UNKNOWN, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:       tbpb.DataType_DT_STRING,
			TensorShape: shape(int64(len(clips)), 2),
			StringVal:   vals,
		}},
	}, nil
}

// Audio writes audio clips, all at sampleRate frames per second, as one
// step of tag (see AudioValue). A clip may have any length and number of
// channels.
//
// Write the same number of clips at every step of a tag: TensorBoard's
// audio plugin (2.21, both loaders) answers clip i of a tag with an
// internal error when some step has exactly i clips.
func (w *Writer) Audio(tag string, step int64, sampleRate float64, clips ...Clip) error {
	return w.writeBuilt(tag, step, PluginAudio, func(m Meta) (*tbpb.Summary_Value, error) {
		return AudioValue(tag, sampleRate, clips, m)
	})
}
