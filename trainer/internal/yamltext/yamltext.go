// Package yamltext holds the YAML handling that the run configuration
// (package trainer/job) and the sweep configuration (package trainer/sweep)
// share: one-line values and the place of a syntax error.
package yamltext

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// OneLine returns n as one line of YAML: a scalar as it is written,
// mappings and sequences in flow style ("[64, 64]", "{type: dense}"),
// comments left out. n is not changed.
func OneLine(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode {
		return n.Value, nil
	}
	flow := flowCopy(n)
	b, err := yaml.Marshal(flow)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// flowCopy returns a copy of n and of what it holds, in flow style and
// without comments.
func flowCopy(n *yaml.Node) *yaml.Node {
	cp := *n
	if cp.Kind == yaml.MappingNode || cp.Kind == yaml.SequenceNode {
		cp.Style = yaml.FlowStyle
	}
	cp.HeadComment, cp.LineComment, cp.FootComment = "", "", ""
	if len(n.Content) > 0 {
		cp.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			cp.Content[i] = flowCopy(c)
		}
	}
	return &cp
}

// Syntax splits an error of yaml.Unmarshal into the line it names (0 if
// none) and the message without the library's "yaml: " and "line N: "
// prefixes, for an error that names the file and line its own way. The
// YAML package reports syntax errors as text only, "yaml: line 3: did not
// find expected key", so the text is all there is to read.
func Syntax(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 && strings.Contains(msg, ": ") {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	return line, msg
}
