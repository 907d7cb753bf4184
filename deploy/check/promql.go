package check

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
)

// PromQL metric names, by a tokenizer rather than Prometheus's own parser: the
// parser's module (github.com/prometheus/prometheus) would pull its whole
// dependency graph (cloud SDKs, gRPC, OpenTelemetry) into the workspace's shared
// build list and move the versions every other module builds with. Syntax is
// checked by the real thing anyway: promtool parses the rules and the dashboard's
// expressions in scripts/check-deploy.sh. This only has to find names, so it skips
// what is not one: strings, comments, label matchers (but reads __name__="x"),
// label lists after by/without/on/ignoring/group_left/group_right, durations and
// ranges, numbers, function calls, keywords and Grafana variables.

// aggregations and keywords are identifiers that are never metric names. Function
// names need no list: an identifier followed by "(" is a call.
var promKeywords = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true, "start": true, "end": true,
}

// labelListAfter are the keywords followed by a parenthesised list of label names.
var labelListAfter = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// MetricNames returns the metric names an expression selects, sorted, each once.
func MetricNames(expr string) ([]string, error) {
	l := &lexer{s: expr, names: map[string]bool{}}
	if err := l.run(); err != nil {
		return nil, fmt.Errorf("%w in %q", err, expr)
	}
	out := make([]string, 0, len(l.names))
	for n := range l.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

type lexer struct {
	s      string
	i      int
	parens int // open parentheses of calls and groups
	names  map[string]bool
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isIdent(c byte) bool   { return isIdentStart(c) || (c >= '0' && c <= '9') }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isSpace(c byte) bool   { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func (l *lexer) eof() bool  { return l.i >= len(l.s) }
func (l *lexer) peek() byte { return l.s[l.i] }

func (l *lexer) skipSpace() {
	for !l.eof() {
		switch c := l.peek(); {
		case isSpace(c):
			l.i++
		case c == '#': // a comment runs to the end of the line
			for !l.eof() && l.peek() != '\n' {
				l.i++
			}
		default:
			return
		}
	}
}

func (l *lexer) ident() string {
	start := l.i
	for !l.eof() && isIdent(l.peek()) {
		l.i++
	}
	return l.s[start:l.i]
}

// str consumes a quoted string at l.i and returns its content (escapes kept).
func (l *lexer) str() (string, error) {
	q := l.peek()
	start := l.i
	l.i++
	for !l.eof() {
		c := l.peek()
		switch {
		case c == '\\' && q != '`':
			l.i += 2
			continue
		case c == q:
			l.i++
			return l.s[start+1 : l.i-1], nil
		}
		l.i++
	}
	return "", fmt.Errorf("unterminated string at offset %d", start)
}

// skipGroup consumes a balanced group from the opening byte at l.i, strings inside
// included.
func (l *lexer) skipGroup(open, close byte) error {
	start := l.i
	depth := 0
	for !l.eof() {
		switch c := l.peek(); {
		case c == '"' || c == '\'' || c == '`':
			if _, err := l.str(); err != nil {
				return err
			}
			continue
		case c == open:
			depth++
		case c == close:
			depth--
			if depth == 0 {
				l.i++
				return nil
			}
		}
		l.i++
	}
	return fmt.Errorf("unclosed %q at offset %d", open, start)
}

// matchers reads a {...} label matcher list, noting a __name__="x" matcher.
func (l *lexer) matchers() error {
	start := l.i
	l.i++ // {
	for {
		l.skipSpace()
		if l.eof() {
			return fmt.Errorf("unclosed '{' at offset %d", start)
		}
		switch c := l.peek(); {
		case c == '}':
			l.i++
			return nil
		case c == ',':
			l.i++
		case c == '"' || c == '\'' || c == '`':
			// A bare quoted name: {"metric.name"} selects it by name (Prometheus 3).
			s, err := l.str()
			if err != nil {
				return err
			}
			l.skipSpace()
			if !l.eof() && (l.peek() == ',' || l.peek() == '}') {
				l.names[s] = true
			}
		case isIdentStart(c):
			label := l.ident()
			l.skipSpace()
			op := ""
			for !l.eof() && strings.IndexByte("=!~", l.peek()) >= 0 {
				op += string(l.peek())
				l.i++
			}
			l.skipSpace()
			if l.eof() || strings.IndexByte("\"'`", l.peek()) < 0 {
				return fmt.Errorf("label %s: expected a quoted value at offset %d", label, l.i)
			}
			v, err := l.str()
			if err != nil {
				return err
			}
			if label == "__name__" && op == "=" {
				l.names[v] = true
			}
		default:
			return fmt.Errorf("unexpected %q in label matchers at offset %d", c, l.i)
		}
	}
}

func (l *lexer) run() error {
	for {
		l.skipSpace()
		if l.eof() {
			if l.parens != 0 {
				return fmt.Errorf("%d unclosed '('", l.parens)
			}
			return nil
		}
		c := l.peek()
		switch {
		case c == '"' || c == '\'' || c == '`':
			if _, err := l.str(); err != nil {
				return err
			}
		case c == '{':
			if err := l.matchers(); err != nil {
				return err
			}
		case c == '[': // a range or subquery: durations only (also Grafana's [[var]])
			if err := l.skipGroup('[', ']'); err != nil {
				return err
			}
		case c == '$': // a Grafana variable: $name or ${name}
			l.i++
			if !l.eof() && l.peek() == '{' {
				if err := l.skipGroup('{', '}'); err != nil {
					return err
				}
			} else {
				l.ident()
			}
		case isDigit(c) || (c == '.' && l.i+1 < len(l.s) && isDigit(l.s[l.i+1])):
			// A number or a duration (5m, 1h30m, 1e-3, 0x1f).
			for !l.eof() {
				d := l.peek()
				if isIdent(d) || d == '.' {
					l.i++
					continue
				}
				if (d == '+' || d == '-') && (l.s[l.i-1] == 'e' || l.s[l.i-1] == 'E') && !strings.HasPrefix(strings.ToLower(l.s[:l.i]), "0x") {
					l.i++
					continue
				}
				break
			}
		case isIdentStart(c):
			id := l.ident()
			l.skipSpace()
			next := byte(0)
			if !l.eof() {
				next = l.peek()
			}
			lower := strings.ToLower(id)
			switch {
			case labelListAfter[lower] && next == '(':
				if err := l.skipGroup('(', ')'); err != nil {
					return err
				}
			case promKeywords[lower], next == '(':
				// a keyword, an aggregation or a function call
			default:
				l.names[id] = true
			}
		case c == '(':
			l.parens++
			l.i++
		case c == ')':
			if l.parens--; l.parens < 0 {
				return fmt.Errorf("unmatched ')' at offset %d", l.i)
			}
			l.i++
		default:
			l.i++ // operators, commas, @
		}
	}
}

// SampleNames returns the metric names of every sample in a Prometheus text
// exposition (what /metrics serves), with the family names its TYPE lines declare.
func SampleNames(text string) map[string]bool {
	names := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end < 0 {
			continue
		}
		names[line[:end]] = true
	}
	return names
}
