package history

import (
	"io"
	"io/fs"

	"github.com/tbgo/tbgo/archive"
)

// openArchive opens path as a tbgo archive if its magic bytes say it is
// one; ok is false for any other file.
func openArchive(path string) (fsys fs.FS, closer io.Closer, ok bool, err error) {
	is, err := archive.IsArchive(path)
	if err != nil || !is {
		return nil, nil, false, err
	}
	r, err := archive.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	return r, r, true, nil
}
