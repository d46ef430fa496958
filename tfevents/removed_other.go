//go:build !unix

package tfevents

import "os"

// removed cannot tell here; Windows refuses to delete an open file anyway.
func removed(f *os.File) bool { return false }
