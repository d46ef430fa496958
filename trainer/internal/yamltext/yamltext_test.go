package yamltext

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestOneLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ desc, in, want string }{
		{"a scalar as written", "1e-3 # the rate", "1e-3"},
		{"a list in flow style", "- 64\n- 64\n", "[64, 64]"},
		{"a nested mapping without its comments", "layers:\n  # first\n  - {type: dense, units: 10}\n", "{layers: [{type: dense, units: 10}]}"},
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tt.in), &doc); err != nil {
			t.Fatal(err)
		}
		before, _ := yaml.Marshal(&doc)
		got, err := OneLine(doc.Content[0])
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.desc, got, err, tt.want)
		}
		if after, _ := yaml.Marshal(&doc); string(after) != string(before) {
			t.Errorf("%s: OneLine changed its node", tt.desc)
		}
	}
}

func TestSyntax(t *testing.T) {
	t.Parallel()
	var v any
	err := yaml.Unmarshal([]byte("a: 1\nb: [2\n"), &v)
	if line, msg := Syntax(err); line == 0 || msg == "" || msg == err.Error() {
		t.Errorf("Syntax(%q) = %d, %q: want the line and the message alone", err, line, msg)
	}
	if line, msg := Syntax(errors.New("yaml: did not find expected key")); line != 0 || msg != "did not find expected key" {
		t.Errorf("without a line: %d, %q", line, msg)
	}
	if line, msg := Syntax(errors.New("line 3: cannot unmarshal !!str `x` into int")); line != 3 || msg != "cannot unmarshal !!str `x` into int" {
		t.Errorf("a type error's line: %d, %q", line, msg)
	}
}
