// Package readme reads the README's sections and code blocks, so that
// tests can run what the README tells a newcomer to type.
package readme

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Path returns the path of the repository's README.md.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "README.md")
}

// Section returns the text of the README section whose heading line is
// heading (such as "## Quick start"), up to the next heading of its level
// or above. Lines inside fenced code blocks are not headings.
func Section(heading string) (string, error) {
	b, err := os.ReadFile(Path())
	if err != nil {
		return "", err
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		return "", fmt.Errorf("readme: README.md has no section %q", heading)
	}
	level, _, _ := strings.Cut(heading, " ") // "##"
	fenced := false
	for i := 0; i < len(rest); {
		line, _, _ := strings.Cut(rest[i:], "\n")
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if marks, _, ok := strings.Cut(line, " "); ok && !fenced && marks != "" &&
			strings.Trim(marks, "#") == "" && len(marks) <= len(level) {
			return rest[:i], nil
		}
		i += len(line) + 1
	}
	return rest, nil
}

// Fenced returns the contents of the fenced code blocks of section whose
// info string is lang ("go", "sh", "csv"...), in order.
func Fenced(section, lang string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(section, "```"+lang+"\n")
		if !ok {
			return out
		}
		body, after, _ := strings.Cut(rest, "```")
		out = append(out, body)
		section = after
	}
}

// Commands returns the command lines of sh blocks: each line with its
// comment ("  # ...") removed, blank lines left out.
func Commands(blocks []string) [][]string {
	var out [][]string
	for _, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if f := strings.Fields(line); len(f) > 0 {
				out = append(out, f)
			}
		}
	}
	return out
}
