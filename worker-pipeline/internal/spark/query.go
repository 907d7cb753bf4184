package spark

import (
	"strings"
)

// refusedFunctions run JVM code of the caller's choosing inside the job (a static
// method by name), which no file allow-list can see.
var refusedFunctions = map[string]bool{"java_method": true, "reflect": true, "try_reflect": true}

// pathFormats are Spark SQL's data sources that read a path named in the query
// (parquet.`s3a://other-bucket/`), around the connection's allow-lists.
var pathFormats = map[string]bool{"parquet": true, "csv": true, "json": true, "orc": true, "text": true,
	"avro": true, "binaryfile": true, "delta": true, "iceberg": true, "hive": true, "jdbc": true}

// RefusedInQuery names what a Spark SQL query may not use, or returns "": a call
// of java_method, reflect or try_reflect, written plain or `quoted`, or a read of a
// path through a data source (parquet.`…`). Strings and comments are skipped, so a
// word inside them is not taken for a call. It is a gate for queries a connection
// allows (spark.allow_queries), in front of the job's own grants, not a parser.
func RefusedInQuery(q string) string {
	toks := sparkTokens(q)
	for i, t := range toks {
		if t.kind != word && t.kind != quoted {
			continue
		}
		name := strings.ToLower(t.text)
		next := func(k int) token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return token{}
		}
		if refusedFunctions[name] && next(1).text == "(" {
			return name + "()"
		}
		if dot := next(1); pathFormats[name] && dot.text == "." && next(2).kind == quoted {
			return name + ".`path`"
		}
	}
	return ""
}

type tokenKind int

const (
	none tokenKind = iota
	word
	quoted // `identifier`
	punct
)

type token struct {
	kind tokenKind
	text string
}

// sparkTokens splits a query into words, `quoted` identifiers and punctuation,
// leaving out whitespace, 'strings', "strings" and comments (-- and nesting /* */).
func sparkTokens(q string) []token {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return out
			}
			i += j + 1
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			i = commentEnd(q, i)
		case c == '\'' || c == '"':
			i = stringEnd(q, i+1, c)
		case c == '`':
			var b strings.Builder
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == '`' {
					if j+1 < len(q) && q[j+1] == '`' {
						b.WriteByte('`')
						j++
						continue
					}
					break
				}
				b.WriteByte(q[j])
			}
			out = append(out, token{quoted, b.String()})
			i = j + 1
		case isWord(c):
			j := i
			for j < len(q) && isWord(q[j]) {
				j++
			}
			out = append(out, token{word, q[i:j]})
			i = j
		default:
			out = append(out, token{punct, string(c)})
			i++
		}
	}
	return out
}

// commentEnd is the index after the /* */ comment that opens at i; Spark's nest.
func commentEnd(q string, i int) int {
	depth := 0
	for i < len(q) {
		switch {
		case strings.HasPrefix(q[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(q[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}

// stringEnd is the index after the string closed by quote, from i; a backslash
// escapes the next character, as in Spark SQL.
func stringEnd(q string, i int, quote byte) int {
	for ; i < len(q); i++ {
		switch q[i] {
		case '\\':
			i++
		case quote:
			return i + 1
		}
	}
	return i
}

func isWord(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
