package spark

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRefusedInQuery(t *testing.T) {
	refused := map[string]string{
		"SELECT java_method('java.lang.System', 'getenv', 'AWS_SECRET_ACCESS_KEY')": "java_method()",
		"select REFLECT('java.lang.Runtime', 'getRuntime')":                         "reflect()",
		"select `try_reflect` /* hidden */ ('java.util.UUID', 'randomUUID')":        "try_reflect()",
		"select system.builtin.java_method('a', 'b')":                               "java_method()",
		"SELECT * FROM parquet.`s3a://another-team/secrets/`":                       "parquet.`path`",
		"with x as (select * from CSV . `s3a://b/`) select * from x":                "csv.`path`",
		"select * from orders o join json.`/etc/` j on true":                        "json.`path`",
	}
	for q, want := range refused {
		assert.Equal(t, want, RefusedInQuery(q), q)
	}
	allowed := []string{
		"SELECT id, amount FROM sales.orders WHERE note <> 'java_method(x)'",
		"select reflected_at, parquet_size from orders -- java_method(\n",
		"select * from sales.parquet_orders",
		"select \"reflect(\" as s, `reflect` from t",
		"select /* reflect( /* nested */ still */ 1",
		"select parquet.col from parquet",
	}
	for _, q := range allowed {
		assert.Empty(t, RefusedInQuery(q), q)
	}
}

// FuzzRefusedInQuery: never panics, and a call appended after a plain query is found.
func FuzzRefusedInQuery(f *testing.F) {
	for _, s := range []string{"select 1", "select 'a\\'b' from t", "select `a``b` from t /* x", "select -- x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		_ = RefusedInQuery(q)
		for _, c := range q {
			if c == '\'' || c == '"' || c == '`' || c == '-' || c == '/' || c == '\\' || c >= 0x80 || c == '*' {
				return
			}
		}
		if RefusedInQuery(q+" ,java_method('a','b')") == "" {
			t.Fatalf("missed the call after %q", q)
		}
	})
}
