// Command gendoc writes the generated part of docs/DIAGNOSTICS.md from
// diag.Reference, between diag.ReferenceBegin and diag.ReferenceEnd,
// keeping the hand-written text around it:
//
//	go generate ./trainer/diag
package main

import (
	"fmt"
	"os"

	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/trainer/diag"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendoc docs/DIAGNOSTICS.md")
		os.Exit(2)
	}
	name := os.Args[1]
	old, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
	doc, err := diag.Regenerate(string(old))
	if err == nil {
		err = atomicfile.WriteFile(name, []byte(doc), 0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}
