package secret

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
)

func TestRedactAndOf(t *testing.T) {
	for _, tc := range []struct {
		desc, url string
		redacted  string
		secrets   []string
	}{
		{"no secrets", "s3://b/runs?region=r", "s3://b/runs?region=r", nil},
		{"user information", "s3://alice:hunter2@b/runs", "s3://alice:REDACTED@b/runs", []string{"hunter2"}},
		{"user without password", "s3://alice@b/runs", "s3://alice@b/runs", nil},
		{"a secret's name", "s3://b?password=hunter2&region=r", "s3://b?password=REDACTED&region=r", []string{"hunter2"}},
		{"escaped as written", "s3://b?Password=hun%74er2", "s3://b?Password=REDACTED", []string{"hun%74er2", "hunter2"}},
		{"every value", "s3://b?sig=a&sig=b", "s3://b?sig=REDACTED&sig=REDACTED", []string{"a", "b"}},
		{"a URL's password in a value", "s3://b?endpoint=http://u:hunter2@h:1", "s3://b?endpoint=http%3A%2F%2Fu%3AREDACTED%40h%3A1", []string{"hunter2"}},
		{"a URL without password in a value", "s3://b?endpoint=http://u@h:1", "s3://b?endpoint=http://u@h:1", nil},
		{"a pair that does not unescape", "s3://b?endpoint=%zz&token=x%zz", "s3://b?endpoint=%zz&token=REDACTED", []string{"x%zz"}},
		{"order and encoding kept", "s3://b?region=a%20b&key=k&endpoint=e", "s3://b?region=a%20b&key=REDACTED&endpoint=e", []string{"k"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := Redact(u); got != tc.redacted {
				t.Errorf("Redact = %q, want %q", got, tc.redacted)
			}
			if got := Of(u); !slices.Equal(got, tc.secrets) {
				t.Errorf("Of = %q, want %q", got, tc.secrets)
			}
		})
	}
}

// TestHide wraps a cause the way gocloud.dev does, quoting the URL it was
// given: Hide keeps the outermost error that shows no secret.
func TestHide(t *testing.T) {
	const raw = "s3://b?password=hun%2Fter2"
	secrets := Of(&url.URL{RawQuery: "password=hun%2Fter2"}) // "hun%2Fter2", "hun/ter2"
	_, numErr := strconv.ParseBool("maybe")
	cause := fmt.Errorf("invalid value for %q: %w", "dualstack", numErr)
	quoting := fmt.Errorf("open bucket %s: %w", raw, cause)
	top := fmt.Errorf("open blob.Bucket: %w", quoting)
	unescaped := fmt.Errorf("key hun/ter2: %w", cause)
	for _, tc := range []struct {
		desc string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"no secret shown", cause, cause},
		{"layers that quote the URL", top, cause},
		{"an unescaped secret", unescaped, cause},
		{"a secret query-escaped", fmt.Errorf("GET %s: %w", "/b?x=hun%2Fter2", cause), cause},
		{"a joined error", errors.Join(quoting, fmt.Errorf("other")), cause},
		{"every layer shows it", fmt.Errorf("hun/ter2 failed"), ErrHidden},
		{"every layer of a wrap shows it", fmt.Errorf("hun/ter2: %w", errors.New("hun%2Fter2")), ErrHidden},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := Hide(tc.err, secrets)
			if got != tc.want {
				t.Errorf("Hide(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if tc.err != nil && Shows(got.Error(), secrets) {
				t.Errorf("Hide(%v) = %v, which shows the secret", tc.err, got)
			}
		})
	}
	if got := Hide(top, secrets); !errors.Is(got, strconv.ErrSyntax) {
		t.Errorf("Hide(%v) = %v: what the cause wraps is lost", top, got)
	}
}

func TestOfQuery(t *testing.T) {
	got := OfQuery("sv=2020-10-02&sig=abc%2Bdef&se=2030")
	if want := []string{"abc%2Bdef", "abc+def"}; !slices.Equal(got, want) {
		t.Errorf("OfQuery = %q, want %q", got, want)
	}
}
