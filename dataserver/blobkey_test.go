package dataserver

import (
	"encoding/base64"
	"errors"
	"testing"
)

func TestBlobKey(t *testing.T) {
	t.Parallel()
	k := blobKey{"EXP", "run_a", "imgs", 14, 0}
	want := base64.RawURLEncoding.EncodeToString([]byte(`["EXP","run_a","imgs",14,0]`))
	if got := k.String(); got != want {
		t.Errorf("key = %q, want %q", got, want)
	}
	for _, k := range []blobKey{
		k,
		{"", ".", "损失/η <&>", -1 << 40, 1<<64 - 1},
		{"e\"x", "a\\b", "tab\tnl\ncr\r\x01", 1<<63 - 1, 3},
	} {
		got, err := parseBlobKey(k.String())
		if err != nil || got != k {
			t.Errorf("parseBlobKey(%v.String()) = %v, %v", k, got, err)
		}
		// Keys with their padding parse too, as TensorBoard's data server's do.
		padded := base64.URLEncoding.EncodeToString(mustDecode(t, k.String()))
		if got, err := parseBlobKey(padded); err != nil || got != k {
			t.Errorf("parseBlobKey(%q) = %v, %v", padded, got, err)
		}
	}
	for _, bad := range []string{"", "!!!", "e30", enc(`[]`), enc(`["a","b","c",1]`), enc(`["a","b","c",1,2,3]`),
		enc(`["a","b","c","1",2]`), enc(`["a","b","c",1,-2]`), enc(`["a","b","c",1.5,2]`), enc(`[1,"b","c",1,2]`), enc(`["a","b","c",1,2] x`)} {
		if _, err := parseBlobKey(bad); !errors.Is(err, errBadBlobKey) {
			t.Errorf("parseBlobKey(%q) = %v, want errBadBlobKey", bad, err)
		}
	}
}

// TestBlobKeyBytes checks the JSON inside a key byte for byte: strings
// escaped as TensorBoard's data server (serde_json) escapes them, only
// what JSON requires, with the short escapes for \b and \f.
func TestBlobKeyBytes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		k    blobKey
		want string
	}{
		{blobKey{"", ".", "a/b", 0, 0}, `["",".","a/b",0,0]`},
		{blobKey{"e\"x", "a\\b", "<&>", -7, 18446744073709551615}, `["e\"x","a\\b","<&>",-7,18446744073709551615]`},
		{blobKey{"\b\f\n\r\t", "\x00\x1f\x7f", "η\u2028", 1, 2}, `["\b\f\n\r\t","\u0000\u001f` + "\x7f" + `","η` + "\u2028" + `",1,2]`},
	} {
		if got := string(mustDecode(t, tt.k.String())); got != tt.want {
			t.Errorf("key of %q holds %q, want %q", tt.k, got, tt.want)
		}
	}
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustDecode(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
