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

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustDecode(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
