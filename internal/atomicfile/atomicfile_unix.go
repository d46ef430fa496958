//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// isInvalid reports EINVAL, which fsync of a directory gives on file
// systems that do not support it.
func isInvalid(err error) bool { return errors.Is(err, syscall.EINVAL) }
