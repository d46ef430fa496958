//go:build !unix

package logwalk

import (
	"io/fs"
	"os"
)

// dirSet remembers the directories a walk has read, so that a second path
// to one (a symbolic link, a junction) is known. Without a portable inode
// it compares with os.SameFile, one by one.
type dirSet struct {
	infos []fs.FileInfo
	rels  []string
}

// add records the directory info describes, read at rel. If it was read
// before, add returns the path it was read at and true.
func (s *dirSet) add(info fs.FileInfo, rel string) (string, bool) {
	for i, prev := range s.infos {
		if os.SameFile(prev, info) {
			return s.rels[i], true
		}
	}
	s.infos = append(s.infos, info)
	s.rels = append(s.rels, rel)
	return "", false
}
