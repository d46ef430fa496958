//go:build !unix

package storage

import (
	"fmt"
	"io/fs"
	"sync"
)

// dirLock stands in for flock where there is none: replaces are then
// atomic only among the goroutines of one process.
var dirLock sync.Mutex

func lockDir(dir string) (unlock func(), err error) {
	dirLock.Lock()
	return dirLock.Unlock, nil
}

func fileVersion(info fs.FileInfo) Version {
	return Version(fmt.Sprintf("%x-%x", info.ModTime().UnixNano(), info.Size()))
}
