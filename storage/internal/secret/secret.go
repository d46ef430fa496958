// Package secret finds the secrets of a location and keeps them out of
// messages, for package storage and its drivers.
//
// A location's secrets are the password of its user information, the
// values of query parameters whose names suggest a secret (key, secret,
// token, password, sig, credential), and the passwords of URLs given as
// query values (endpoint=http://user:pass@host). Redact replaces them;
// Of lists them, so that Hide can tell whether an error's message, which
// a library wrote, shows one.
package secret

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Placeholder replaces a secret in what Redact returns.
const Placeholder = "REDACTED"

// IsName reports whether a query parameter of this name holds a secret.
func IsName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"key", "secret", "token", "password", "sig", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Redact returns u as a string with its secrets replaced by Placeholder.
// The query's other parameters stay as they were written, in their order.
func Redact(u *url.URL) string {
	v := *u
	if v.User != nil {
		if _, ok := v.User.Password(); ok {
			v.User = url.UserPassword(v.User.Username(), Placeholder)
		}
	}
	if v.RawQuery != "" {
		pairs := strings.Split(v.RawQuery, "&")
		for i, pair := range pairs {
			rawK, _, k, val := splitPair(pair)
			if r := redactValue(k, val); r != val {
				pairs[i] = rawK + "=" + url.QueryEscape(r)
			}
		}
		v.RawQuery = strings.Join(pairs, "&")
	}
	return v.String()
}

// splitPair splits a pair of a raw query into its name and value, as
// written and unescaped. A pair that does not unescape is taken as
// written: url.ParseQuery drops it, but a message may quote it.
func splitPair(pair string) (rawK, rawV, k, v string) {
	rawK, rawV, _ = strings.Cut(pair, "=")
	k, err1 := url.QueryUnescape(rawK)
	v, err2 := url.QueryUnescape(rawV)
	if err1 != nil || err2 != nil {
		return rawK, rawV, rawK, rawV
	}
	return rawK, rawV, k, v
}

// redactValue returns the value of query parameter k with its secret
// replaced: all of it for a secret's name, the password of a URL.
func redactValue(k, val string) string {
	if IsName(k) {
		return Placeholder
	}
	if nested := nestedURL(val); nested != nil {
		nested.User = url.UserPassword(nested.User.Username(), Placeholder)
		return nested.String()
	}
	return val
}

// nestedURL returns the value parsed as a URL if it is one with a
// password, and nil otherwise.
func nestedURL(val string) *url.URL {
	if !strings.Contains(val, "@") {
		return nil
	}
	n, err := url.Parse(val)
	if err != nil || n.User == nil {
		return nil
	}
	if _, ok := n.User.Password(); !ok {
		return nil
	}
	return n
}

// Of returns the secrets of u: each as written in u and as it reads
// unescaped.
func Of(u *url.URL) []string {
	var s []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			s = append(s, pw)
		}
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		_, rawV, k, v := splitPair(pair)
		if IsName(k) {
			s = append(s, rawV, v)
		} else if n := nestedURL(v); n != nil {
			pw, _ := n.User.Password()
			s = append(s, pw)
		}
	}
	return clean(s)
}

// OfQuery returns the secrets of a query string that a driver takes from
// its environment (an Azure SAS token, say): the values of its
// parameters whose names suggest a secret, and the whole string.
func OfQuery(query string) []string {
	return Of(&url.URL{RawQuery: query})
}

// clean drops empty secrets and repeats.
func clean(s []string) []string {
	s = slices.DeleteFunc(s, func(x string) bool { return x == "" })
	slices.Sort(s)
	return slices.Compact(s)
}

// Shows reports whether text shows one of secrets: as it is, or escaped
// as a URL's path, query or user information escapes it.
func Shows(text string, secrets []string) bool {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		userinfo := strings.TrimPrefix(url.UserPassword("", s).String(), ":")
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), userinfo} {
			if strings.Contains(text, form) {
				return true
			}
		}
	}
	return false
}

// Hide returns err if its message shows none of secrets; otherwise the
// outermost error that err wraps whose message shows none, or ErrHidden if
// there is none. Libraries write a location into their messages as they
// were given it (gocloud.dev's "open bucket s3://b?password=...: unknown
// query parameter"), and wrap a cause that names what went wrong without
// it: Hide keeps that cause, and what it wraps, for errors.Is and As, and
// drops the layers that would show the secret. It never edits a message.
func Hide(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	if shown := hide(err, secrets); shown != nil {
		return shown
	}
	return ErrHidden
}

// hide is Hide, with nil where every layer of err shows a secret.
func hide(err error, secrets []string) error {
	if !Shows(err.Error(), secrets) {
		return err
	}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return hide(inner, secrets)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if h := hide(inner, secrets); h != nil {
				return h
			}
		}
	}
	return nil
}

// ErrHidden stands for an error whose every layer shows a secret.
var ErrHidden = errors.New("the reason is left out: its message shows a secret")
