package summary

import (
	"fmt"

	"github.com/tbgo/tbgo/internal/media"
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
	b, err := media.EncodeWAV(c.Samples, c.channels(), sampleRate)
	if err != nil {
		return nil, fmt.Errorf("summary: wav: %w", err)
	}
	return b, nil
}

// DecodeWAV decodes a WAV file of 16-bit PCM, such as EncodeWAV,
// TensorFlow and tensorboardX write (and Decoder returns in a KindAudio
// Value's Blobs), into a clip of samples v / 32768 and its sample rate. It
// skips chunks other than "fmt " and "data", and refuses other sample
// formats and a header whose sizes disagree.
func DecodeWAV(b []byte) (Clip, float64, error) {
	samples, channels, rate, err := media.DecodeWAV(b)
	if err != nil {
		return Clip{}, 0, fmt.Errorf("summary: wav: %w", err)
	}
	return Clip{Samples: samples, Channels: channels}, rate, nil
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
	rate, err := media.WAVRate(sampleRate)
	if err != nil {
		return nil, fmt.Errorf("summary: audio %q: %w", tag, err)
	}
	size := 0
	for i := range clips {
		if err := media.CheckWAV(clips[i].Samples, clips[i].channels(), rate); err != nil {
			return nil, fmt.Errorf("summary: audio %q: clip %d: %w", tag, i, err)
		}
		size += media.WAVHeaderLen + 2*len(clips[i].Samples)
	}
	// One allocation holds every file; the tensor's strings share it.
	buf := make([]byte, 0, size)
	vals := make([][]byte, 0, 2*len(clips))
	for _, c := range clips {
		start := len(buf)
		buf = media.AppendWAV(buf, c.Samples, c.channels(), rate)
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
func (w *Writer) Audio(tag string, step int64, sampleRate float64, clips ...Clip) (err error) {
	defer w.note(&err)
	return w.writeBuilt(tag, step, PluginAudio, func(m Meta) (*tbpb.Summary_Value, error) {
		return AudioValue(tag, sampleRate, clips, m)
	})
}
