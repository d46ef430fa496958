package launch

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tbgo/tbgo/storage"
)

// findCompanion returns the path of c.Companion: beside the running
// executable, else on PATH. Its error, for a logdir at location, names
// the URL's scheme and says how to install the companion.
func (c *Command) findCompanion(location string) (string, error) {
	scheme := "?"
	if u, err := url.Parse(location); err == nil {
		scheme = u.Scheme
	}
	why := func(reason string) error {
		return fmt.Errorf("--logdir %s: a URL of scheme %q needs %s, which links the object-store drivers that %s leaves out, and %s. Install it with\n"+
			"  go install github.com/tbgo/tbgo/cmd/%s@latest\n"+
			"or install every tbgo command with\n"+
			"  go install github.com/tbgo/tbgo/cmd/...@latest",
			storage.Display(location), scheme, c.Companion, c.Name, reason, c.Companion)
	}
	exe, err := os.Executable()
	if err == nil {
		if path, err := exec.LookPath(filepath.Join(filepath.Dir(exe), c.Companion)); err == nil {
			return path, nil
		}
	}
	if path, err := exec.LookPath(c.Companion); err == nil {
		return path, nil
	}
	where := "is not on PATH"
	if exe != "" {
		where = fmt.Sprintf("is neither beside %s nor on PATH", exe)
	}
	return "", why("it " + where)
}
