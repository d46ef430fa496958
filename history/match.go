package history

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// RegexpPrefix marks a pattern as a regular expression.
const RegexpPrefix = "re:"

// A Matcher selects run or tag names by patterns; a name is selected when
// any pattern matches it. A nil *Matcher selects every name.
//
// A pattern is a glob unless it starts with RegexpPrefix:
//
//   - a glob must match the whole name: "*" matches any run of
//     characters, "/" included, "?" any one character, "[a-z]" a class
//     ("[^a-z]" its complement), and "\" makes the next character
//     literal; a pattern without any of these selects exactly the name it
//     spells. Run and tag names are names, not paths: "*" selects every
//     name, "loss*" selects "loss", "loss_ema" and "loss/train", and
//     "*/eval" every name ending in "/eval".
//   - "re:EXPR" is a regular expression (Go's RE2 syntax) that selects a
//     name when it matches anywhere in it, as TensorBoard's filter boxes
//     do; anchor it with ^ and $ to match whole names: "re:^loss(/|$)"
//     selects "loss" and everything under "loss/".
type Matcher struct {
	pats []pattern
}

// A pattern is one compiled pattern of a Matcher.
type pattern struct {
	text    string         // as given
	literal bool           // a glob without metacharacters: text is the name
	re      *regexp.Regexp // otherwise
}

func (p *pattern) match(name string) bool {
	if p.literal {
		return name == p.text
	}
	return p.re.MatchString(name)
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
		pat := pattern{text: p}
		if expr, ok := strings.CutPrefix(p, RegexpPrefix); ok {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("history: pattern %q: %v", p, err)
			}
			pat.re = re
		} else {
			if p == "" {
				return nil, fmt.Errorf("history: empty pattern (use %q to select every name)", "*")
			}
			if !strings.ContainsAny(p, `*?[\`) {
				pat.literal = true
			} else {
				re, err := globRegexp(p)
				if err != nil {
					return nil, fmt.Errorf("history: pattern %q: %v", p, err)
				}
				pat.re = re
			}
		}
		m.pats = append(m.pats, pat)
	}
	return m, nil
}

// globRegexp translates a glob into an anchored regular expression in
// which "*" and "?" match "/" too. The syntax is path.Match's, which
// checks it first, so that a pattern is valid here exactly when it is
// valid there.
func globRegexp(glob string) (*regexp.Regexp, error) {
	if _, err := path.Match(glob, ""); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`^(?s:`)
	literal := func(r rune) { b.WriteString(regexp.QuoteMeta(string(r))) }
	next := func(s string) (rune, string) {
		r, n := utf8.DecodeRuneInString(s)
		return r, s[n:]
	}
	for s := glob; s != ""; {
		var r rune
		r, s = next(s)
		switch r {
		case '*':
			b.WriteString(`.*`)
			for strings.HasPrefix(s, "*") {
				s = s[1:]
			}
		case '?':
			b.WriteString(`.`)
		case '\\':
			r, s = next(s)
			literal(r)
		case '[':
			b.WriteString(`[`)
			if strings.HasPrefix(s, "^") {
				b.WriteString(`^`)
				s = s[1:]
			}
			// path.Match has checked that the class is closed and each
			// range well formed.
			for first := true; first || !strings.HasPrefix(s, "]"); first = false {
				var lo, hi rune
				if lo, s = next(s); lo == '\\' {
					lo, s = next(s)
				}
				hi = lo
				if strings.HasPrefix(s, "-") {
					if hi, s = next(s[1:]); hi == '\\' {
						hi, s = next(s)
					}
				}
				if lo > hi {
					return nil, fmt.Errorf("range %c-%c is empty", lo, hi)
				}
				fmt.Fprintf(&b, `\x{%x}-\x{%x}`, lo, hi)
			}
			s = s[1:]
			b.WriteString(`]`)
		default:
			literal(r)
		}
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

// Match reports whether name is selected.
func (m *Matcher) Match(name string) bool {
	if m == nil {
		return true
	}
	for i := range m.pats {
		if m.pats[i].match(name) {
			return true
		}
	}
	return false
}

// Unmatched returns the patterns, as given to Compile, that match none of
// names: a command warns of them, since a pattern that selects nothing
// is usually a mistake. A nil Matcher has none.
func (m *Matcher) Unmatched(names []string) []string {
	if m == nil {
		return nil
	}
	var out []string
	for i := range m.pats {
		p := &m.pats[i]
		found := false
		for _, name := range names {
			if p.match(name) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, p.text)
		}
	}
	return out
}

// String returns the patterns, comma-separated; "*" for a nil Matcher.
func (m *Matcher) String() string {
	if m == nil {
		return "*"
	}
	ps := make([]string, len(m.pats))
	for i, p := range m.pats {
		ps[i] = p.text
	}
	return strings.Join(ps, ",")
}
