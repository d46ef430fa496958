package dataserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A blobKey names one blob: the index-th blob of the point at step of a
// run's tag. On the wire it is, as TensorBoard's data server makes it, the
// JSON array [experiment, run, tag, step, index] in URL-safe base64
// without padding. TensorBoard treats keys as opaque; the experiment is
// carried but not used.
type blobKey struct {
	experiment, run, tag string
	step                 int64
	index                uint64
}

var blobKeyEncoding = base64.RawURLEncoding

func (k blobKey) String() string {
	b := make([]byte, 0, 32+len(k.experiment)+len(k.run)+len(k.tag))
	b = append(b, '[')
	b = appendJSONString(b, k.experiment)
	b = append(b, ',')
	b = appendJSONString(b, k.run)
	b = append(b, ',')
	b = appendJSONString(b, k.tag)
	b = append(b, ',')
	b = strconv.AppendInt(b, k.step, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, k.index, 10)
	b = append(b, ']')
	return blobKeyEncoding.EncodeToString(b)
}

// appendJSONString appends s as a JSON string escaping only what JSON
// requires (quotes, backslashes, control characters), so that keys are
// the same bytes TensorBoard's data server makes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	return append(b, '"')
}

// errBadBlobKey is wrapped by parseBlobKey's errors.
var errBadBlobKey = errors.New("failed to parse blob key")

// parseBlobKey parses a key made by blobKey.String.
func parseBlobKey(s string) (blobKey, error) {
	// TensorBoard's data server also takes keys with their padding.
	if strings.HasSuffix(s, "==") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, "=") {
		s = s[:len(s)-1]
	}
	raw, err := blobKeyEncoding.Strict().DecodeString(s)
	if err != nil {
		return blobKey{}, fmt.Errorf("%w: invalid base-64: %v", errBadBlobKey, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var parts []any
	if err := d.Decode(&parts); err != nil {
		return blobKey{}, fmt.Errorf("%w: invalid JSON: %v", errBadBlobKey, err)
	}
	if d.More() {
		return blobKey{}, fmt.Errorf("%w: invalid JSON: trailing data", errBadBlobKey)
	}
	if len(parts) != 5 {
		return blobKey{}, fmt.Errorf("%w: invalid JSON: want an array of 5 elements, got %d", errBadBlobKey, len(parts))
	}
	var k blobKey
	var ok [5]bool
	k.experiment, ok[0] = parts[0].(string)
	k.run, ok[1] = parts[1].(string)
	k.tag, ok[2] = parts[2].(string)
	if n, isNum := parts[3].(json.Number); isNum {
		k.step, err = strconv.ParseInt(string(n), 10, 64)
		ok[3] = err == nil
	}
	if n, isNum := parts[4].(json.Number); isNum {
		k.index, err = strconv.ParseUint(string(n), 10, 64)
		ok[4] = err == nil
	}
	for i, good := range ok {
		if !good {
			return blobKey{}, fmt.Errorf("%w: invalid JSON: element %d has the wrong type", errBadBlobKey, i)
		}
	}
	return k, nil
}
