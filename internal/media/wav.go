package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The WAV file AppendWAV writes: a RIFF header, a 16-byte "fmt " chunk for
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
	// WAVHeaderLen is the size of the header AppendWAV writes before the
	// samples, each of which takes two bytes.
	WAVHeaderLen = 44
	// maxWAVSamples keeps the RIFF size field, a uint32, in range.
	maxWAVSamples = (math.MaxUint32 - WAVHeaderLen + 8) / 2
)

// EncodeWAV encodes samples, channels per frame, interleaved, as a WAV file
// of 16-bit PCM at sampleRate frames per second (see AppendWAV). It returns
// an error naming the problem when WAVRate or CheckWAV would.
func EncodeWAV(samples []float32, channels int, sampleRate float64) ([]byte, error) {
	rate, err := WAVRate(sampleRate)
	if err == nil {
		err = CheckWAV(samples, channels, rate)
	}
	if err != nil {
		return nil, err
	}
	return AppendWAV(make([]byte, 0, WAVHeaderLen+2*len(samples)), samples, channels, rate), nil
}

// WAVRate returns sampleRate as WAV stores it: a whole number of frames
// per second, rounded, from 1 to 2^32-1.
func WAVRate(sampleRate float64) (uint32, error) {
	r := math.Round(sampleRate)
	if math.IsNaN(r) || r < 1 || r > math.MaxUint32 {
		return 0, fmt.Errorf("sample rate %v Hz, want a rate from 1 to %d Hz", sampleRate, uint32(math.MaxUint32))
	}
	return uint32(r), nil
}

// CheckWAV returns an error naming what makes samples of channels
// channels impossible to encode at rate: a channel count outside 1 to
// 65535, bytes per second (rate x channels x 2) over 32 bits, no samples,
// a partial frame, more samples than a WAV file holds, or a NaN sample.
func CheckWAV(samples []float32, channels int, rate uint32) error {
	switch {
	case channels < 1 || channels > math.MaxUint16:
		return fmt.Errorf("%d channels, want 1 to %d", channels, math.MaxUint16)
	case uint64(rate)*uint64(channels)*2 > math.MaxUint32:
		return fmt.Errorf("%d channels at %d Hz: %d bytes per second do not fit in a WAV header", channels, rate, uint64(rate)*uint64(channels)*2)
	case len(samples) == 0:
		return errors.New("no samples")
	case len(samples)%channels != 0:
		return fmt.Errorf("%d samples are not a whole number of %d-channel frames", len(samples), channels)
	case len(samples) > maxWAVSamples:
		return fmt.Errorf("%d samples are too many for a WAV file (at most %d)", len(samples), maxWAVSamples)
	}
	for i, x := range samples {
		if x != x {
			return fmt.Errorf("sample %d (frame %d, channel %d) is NaN", i, i/channels, i%channels)
		}
	}
	return nil
}

// AppendWAV appends to dst the WAV file of samples that CheckWAV accepts,
// encoded as TensorFlow's encode_wav (used by tf.summary.audio) does: a
// sample x becomes round(x * 32768), halves away from zero, clamped to
// [-32768, 32767] (±Inf included), so that 16-bit values decoded as
// v / 32768 encode back to themselves.
func AppendWAV(dst []byte, samples []float32, channels int, rate uint32) []byte {
	ch := uint32(channels)
	data := uint32(2 * len(samples))
	le := binary.LittleEndian
	dst = append(dst, "RIFF"...)
	dst = le.AppendUint32(dst, WAVHeaderLen-8+data)
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
	for _, x := range samples {
		v := math.Round(float64(x) * 32768)
		v = min(max(v, math.MinInt16), math.MaxInt16)
		dst = le.AppendUint16(dst, uint16(int16(v)))
	}
	return dst
}

// DecodeWAV decodes a WAV file of 16-bit PCM, such as AppendWAV,
// TensorFlow and tensorboardX write, into samples v / 32768, interleaved,
// their channel count and the sample rate. It skips chunks other than
// "fmt " and "data", and refuses other sample formats and a header whose
// sizes disagree.
func DecodeWAV(b []byte) (samples []float32, channels int, sampleRate float64, err error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, 0, errors.New("not a WAV file")
	}
	le := binary.LittleEndian
	var (
		rate    uint32
		haveFmt bool
	)
	for b = b[12:]; len(b) >= 8; {
		id, size := string(b[:4]), le.Uint32(b[4:8])
		b = b[8:]
		if uint64(size) > uint64(len(b)) {
			return nil, 0, 0, fmt.Errorf("WAV chunk %q of %d bytes has only %d", id, size, len(b))
		}
		body := b[:size]
		b = b[size:]
		if size%2 == 1 && len(b) > 0 { // chunks are padded to even sizes
			b = b[1:]
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, 0, fmt.Errorf("WAV fmt chunk of %d bytes", len(body))
			}
			format, bits := le.Uint16(body[0:2]), le.Uint16(body[14:16])
			channels, rate = int(le.Uint16(body[2:4])), le.Uint32(body[4:8])
			byteRate, frameSize := le.Uint32(body[8:12]), int(le.Uint16(body[12:14]))
			if format != 1 || bits != 16 {
				return nil, 0, 0, fmt.Errorf("WAV format %d with %d bits per sample, want 16-bit PCM (format 1)", format, bits)
			}
			if channels == 0 || rate == 0 {
				return nil, 0, 0, fmt.Errorf("WAV of %d channels at %d Hz", channels, rate)
			}
			// As TensorFlow's decode_wav, insist that the header agrees
			// with itself.
			if frameSize != 2*channels || uint64(byteRate) != uint64(rate)*uint64(frameSize) {
				return nil, 0, 0, fmt.Errorf("WAV of %d channels at %d Hz says %d bytes per frame and %d per second", channels, rate, frameSize, byteRate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, 0, errors.New("WAV data chunk before its fmt chunk")
			}
			if len(body)%(2*channels) != 0 {
				return nil, 0, 0, fmt.Errorf("WAV data of %d bytes is not a whole number of %d-channel frames", len(body), channels)
			}
			samples = make([]float32, len(body)/2)
			for i := range samples {
				samples[i] = float32(int16(le.Uint16(body[2*i:]))) / 32768
			}
			return samples, channels, float64(rate), nil
		}
	}
	return nil, 0, 0, errors.New("WAV file has no data chunk")
}
