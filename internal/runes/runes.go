// Package runes shortens text for reports that people read: a name, a
// line, a table cell.
package runes

import "unicode/utf8"

// Shorten returns s cut to at most n runes, the last of them "…" if s was
// cut.
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k++; k == n {
			break
		}
	}
	return s[:i] + "…"
}
