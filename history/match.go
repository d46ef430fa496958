package history

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// RegexpPrefix marks a pattern as a regular expression.
const RegexpPrefix = "re:"

// A Matcher selects run or tag names by patterns; a name is selected when
// any pattern matches it. A nil *Matcher selects every name.
//
// A pattern is a glob unless it starts with RegexpPrefix:
//
//   - a glob (path.Match syntax) must match the whole name: "*" matches any
//     run of characters except "/", "?" any one character except "/",
//     "[a-z]" a class, and "\" escapes the next character; a pattern
//     without any of these selects exactly the name it spells. "*" does not
//     cross "/": "loss*" selects "loss" and "loss_ema" but not "loss/train";
//     "*/*" selects every name with exactly one "/".
//   - "re:EXPR" is a regular expression (Go's RE2 syntax) that selects a
//     name when it matches anywhere in it, as TensorBoard's filter boxes
//     do; anchor it with ^ and $ to match whole names: "re:^loss(/|$)"
//     selects "loss" and everything under "loss/".
type Matcher struct {
	globs []string
	res   []*regexp.Regexp
}

// Compile compiles patterns into a Matcher; no patterns give nil, which
// selects every name. An empty pattern, a malformed glob or an invalid
// regular expression is an error naming the pattern.
func Compile(patterns ...string) (*Matcher, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	m := &Matcher{}
	for _, p := range patterns {
		if expr, ok := strings.CutPrefix(p, RegexpPrefix); ok {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("history: pattern %q: %v", p, err)
			}
			m.res = append(m.res, re)
			continue
		}
		if p == "" {
			return nil, fmt.Errorf("history: empty pattern (use %q to select every name)", "*")
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("history: pattern %q: %v", p, err)
		}
		m.globs = append(m.globs, p)
	}
	return m, nil
}

// Match reports whether name is selected.
func (m *Matcher) Match(name string) bool {
	if m == nil {
		return true
	}
	for _, g := range m.globs {
		// Compile checked the pattern, so Match cannot fail.
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	for _, re := range m.res {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// String returns the patterns, comma-separated.
func (m *Matcher) String() string {
	if m == nil {
		return "*"
	}
	var ps []string
	ps = append(ps, m.globs...)
	for _, re := range m.res {
		ps = append(ps, RegexpPrefix+re.String())
	}
	return strings.Join(ps, ",")
}
