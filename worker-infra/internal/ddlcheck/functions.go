package ddlcheck

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// allowedFunctions are the built-ins a migration may call: immutable or stable
// functions of their arguments (text, numbers, times, JSON, arrays), casts written
// as calls, and the aggregates a subquery over the table itself needs. Anything
// else is refused by name: setval and nextval change sequences even in a dry run
// that is rolled back, pg_terminate_backend ends others' sessions, dblink and
// lo_*/pg_read_* reach outside the table, and a function of the database's own
// could do any of these.
var allowedFunctions = setOf(
	// text
	"lower", "upper", "initcap", "length", "char_length", "character_length", "octet_length", "bit_length",
	"btrim", "ltrim", "rtrim", "substring", "substr", "replace", "translate", "concat", "concat_ws", "left",
	"right", "lpad", "rpad", "repeat", "reverse", "split_part", "strpos", "position", "starts_with",
	"regexp_replace", "regexp_match", "regexp_like", "regexp_split_to_array", "format", "md5", "sha256",
	"encode", "decode", "to_hex", "ascii", "chr", "overlay", "normalize", "quote_ident", "quote_literal",
	// numbers
	"abs", "ceil", "ceiling", "floor", "round", "trunc", "sign", "mod", "power", "pow", "sqrt", "cbrt", "exp",
	"ln", "log", "log10", "div", "width_bucket", "num_nulls", "num_nonnulls",
	// times
	"now", "date_trunc", "date_part", "extract", "date_bin", "make_date", "make_time", "make_timestamp",
	"make_timestamptz", "make_interval", "to_char", "to_date", "to_timestamp", "to_number", "justify_days",
	"justify_hours", "justify_interval", "timezone", "isfinite", "age", "statement_timestamp", "transaction_timestamp",
	// JSON
	"to_json", "to_jsonb", "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
	"jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "jsonb_extract_path", "jsonb_extract_path_text",
	"json_extract_path_text", "jsonb_typeof", "json_typeof", "jsonb_array_length", "json_array_length",
	// arrays
	"array_length", "cardinality", "array_append", "array_prepend", "array_cat", "array_remove",
	"array_replace", "array_position", "array_to_string", "string_to_array", "array_upper", "array_lower",
	// casts written as calls
	"bool", "text", "varchar", "bpchar", "int2", "int4", "int8", "float4", "float8", "numeric", "date",
	"time", "timestamp", "timestamptz", "interval", "uuid", "jsonb", "json",
	// aggregates, for a subquery over the table itself
	"count", "sum", "min", "max", "avg", "bool_and", "bool_or", "string_agg", "array_agg",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// functionAllowed refuses a call of anything but an allowed built-in, or a function
// the connection allows by name, naming it.
func functionAllowed(funcname []*pg.Node, extra []string) error {
	parts := make([]string, 0, len(funcname))
	for _, n := range funcname {
		parts = append(parts, n.GetString_().GetSval())
	}
	if len(parts) == 0 {
		return refuse("a function call without a name")
	}
	name := parts[len(parts)-1]
	full := strings.Join(parts, ".")
	if slices.Contains(extra, full) {
		return nil
	}
	if len(parts) > 1 && (len(parts) > 2 || parts[0] != "pg_catalog") {
		return refuse("no function %s: a migration calls only built-in functions (pg_catalog)", full)
	}
	if !allowedFunctions[name] {
		return refuse("no function %s: it may change or read state beyond the table; a migration calls immutable and stable built-ins (lower, coalesce, now, date_trunc, to_jsonb ...) and what the connection's migrate.functions names", full)
	}
	return nil
}
