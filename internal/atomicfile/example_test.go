package atomicfile_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/internal/atomicfile"
)

func Example() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "scalars.csv")

	f, err := atomicfile.Create(name, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Abort() // drops the temporary file on any early return
	fmt.Fprintln(f, "run,tag,step,value")
	if err := f.Commit(); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	fmt.Print(string(b))
	// Output: run,tag,step,value
}
