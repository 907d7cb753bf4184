package extract

// Planning a parallel read: which column a PostgreSQL table is split on, its key
// units, and the cut points, equal in width or, for a skewed key, taken from the
// planner's own histogram in pg_stats.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
)

// keyKind is how a split column's values become the int64 key units ranges are
// cut in: the integer itself, microseconds since 1970 for timestamps (without a
// zone: the wall clock read as UTC, as staged), days since 1970 for dates.
type keyKind int

const (
	intKey keyKind = iota
	timestampKey
	timestamptzKey
	dateKey
)

// splitKinds are the column types a table is split on, by format_type.
var splitKinds = map[string]keyKind{
	"smallint": intKey, "integer": intKey, "bigint": intKey,
	"timestamp without time zone": timestampKey, "timestamp with time zone": timestamptzKey, "date": dateKey,
}

// units is the SQL expression of col in key units.
func (k keyKind) units(col string) string {
	switch k {
	case timestampKey, timestamptzKey:
		return "(extract(epoch from " + col + ") * 1000000)::bigint"
	case dateKey:
		return "(" + col + " - DATE '1970-01-01')"
	}
	return col + "::bigint"
}

// literal is the SQL constant of key units v, of the column's own type so that the
// range predicates use its index.
func (k keyKind) literal(v int64) string {
	switch k {
	case timestampKey:
		return "'" + time.UnixMicro(v).UTC().Format("2006-01-02 15:04:05.999999") + "'::timestamp"
	case timestamptzKey:
		return "'" + time.UnixMicro(v).UTC().Format("2006-01-02 15:04:05.999999") + "+00'::timestamptz"
	case dateKey:
		return "'" + time.Unix(v*86400, 0).UTC().Format("2006-01-02") + "'::date"
	}
	return fmt.Sprint(v)
}

// inYears reports whether v is within years 1 to 9999, which literal writes.
func (k keyKind) inYears(v int64) bool {
	var t time.Time
	switch k {
	case timestampKey, timestamptzKey:
		t = time.UnixMicro(v)
	case dateKey:
		t = time.Unix(v*86400, 0)
	default:
		return true
	}
	return t.Year() >= 1 && t.Year() <= 9999
}

// keyAt is row i of a staged key column in key units.
func keyAt(col arrow.Array, i int) (int64, bool) {
	switch c := col.(type) {
	case *array.Int64:
		return c.Value(i), true
	case *array.Timestamp:
		return int64(c.Value(i)), true
	case *array.Date32:
		return int64(c.Value(i)), true
	}
	return 0, false
}

// rangePlan is a parallel read: the split column (quoted), its index among the
// staged columns, its kind, whether it is unique (then a retry resumes a range
// after its last staged key; otherwise it reads the range again), and the ranges.
type rangePlan struct {
	key    string
	col    int
	kind   keyKind
	typ    string // the column's format_type
	unique bool
	ranges []RangeProgress
	// skewed: the cut points come from pg_stats, not from min and max.
	skewed bool
}

// skewFactor is how much more than its share of rows one equal-width range may
// hold, by the histogram, before the histogram's own cut points are used.
const skewFactor = 1.5

// planRanges splits a PostgreSQL table source into key ranges: on its
// split_column, or on its primary key when that is one column. The column must be
// an integer, a timestamp or a date the staged columns include. ok false: one
// stream. A split_column that cannot be split on is a ValidationError naming it.
func planRanges(ctx context.Context, db *sql.DB, src contract.SourceConfig, conn connections.Connection, order string, schema *arrow.Schema) (rangePlan, bool, error) {
	if src.SplitColumn != "" && src.Kind != contract.SourcePostgres {
		return rangePlan{}, false, contract.Invalid("source.split_column", "only for a postgres source, and %q is %s", src.Connection, src.Kind)
	}
	n := conn.Parallel(src.Parallelism)
	if n < 2 || src.Kind != contract.SourcePostgres || src.Table == "" {
		return rangePlan{}, false, nil
	}
	name, unique := src.SplitColumn, true
	switch {
	case name != "":
		unique = quote(name) == order
	case order == "" || strings.Contains(order, ","):
		return rangePlan{}, false, nil
	default:
		name = strings.ReplaceAll(strings.Trim(order, `"`), `""`, `"`)
	}
	plan, err := keyColumn(ctx, db, src.Table, name, schema)
	if err != nil {
		if src.SplitColumn != "" {
			return rangePlan{}, false, contract.Invalid("source.split_column", "%v", err)
		}
		return rangePlan{}, false, nil
	}
	plan.unique = unique
	var lo, hi sql.NullInt64
	err = db.QueryRowContext(ctx, fmt.Sprintf("SELECT min(%[1]s), max(%[1]s) FROM %[2]s", plan.kind.units(plan.key), quote(src.Table))).Scan(&lo, &hi)
	if err != nil || !lo.Valid || hi.Int64-lo.Int64 < int64(n) || !plan.kind.inYears(lo.Int64) || !plan.kind.inYears(hi.Int64) {
		return rangePlan{}, false, nil
	}
	cuts := equalCuts(lo.Int64, hi.Int64, n)
	if bounds := histogram(ctx, db, src.Table, name, plan.typ, plan.kind); isSkewed(cuts, bounds, lo.Int64, hi.Int64+1) {
		if q := quantileCuts(bounds, lo.Int64, hi.Int64, n); len(q) > 0 {
			cuts, plan.skewed = q, true
		}
	}
	edges := append(append([]int64{lo.Int64}, cuts...), hi.Int64+1)
	for i := 0; i+1 < len(edges); i++ {
		plan.ranges = append(plan.ranges, RangeProgress{Lo: edges[i], Hi: edges[i+1]})
	}
	return plan, true, nil
}

// keyColumn finds the split column among the staged ones and its type, which must
// be one of splitKinds.
func keyColumn(ctx context.Context, db *sql.DB, table, name string, schema *arrow.Schema) (rangePlan, error) {
	idx := schema.FieldIndices(name)
	if len(idx) != 1 {
		return rangePlan{}, fmt.Errorf("%q is not one of the staged columns", name)
	}
	var typ string
	err := db.QueryRowContext(ctx, "SELECT format_type(a.atttypid, NULL) FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2",
		quote(table), name).Scan(&typ)
	if err != nil {
		return rangePlan{}, fmt.Errorf("%q is not a column of table %q", name, table)
	}
	kind, ok := splitKinds[typ]
	if !ok {
		return rangePlan{}, fmt.Errorf("%q is %s; a split column is an integer, a timestamp or a date", name, typ)
	}
	return rangePlan{key: quote(name), col: idx[0], kind: kind, typ: typ}, nil
}

// equalCuts are the n-1 inner edges of n ranges of equal width over [lo, hi].
func equalCuts(lo, hi int64, n int) []int64 {
	width := (hi - lo + 1 + int64(n) - 1) / int64(n)
	cuts := make([]int64, 0, n-1)
	for i := int64(1); i < int64(n); i++ {
		cuts = append(cuts, lo+i*width)
	}
	return cuts
}

// histogram is the column's histogram_bounds from pg_stats in key units, sorted;
// none when the table was never analyzed. typ is a type of splitKinds, so it is
// safe in the cast.
func histogram(ctx context.Context, db *sql.DB, table, column, typ string, kind keyKind) []int64 {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM unnest((
		SELECT s.histogram_bounds::text::%s[] FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename
		JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = s.schemaname
		WHERE c.oid = to_regclass($1) AND s.attname = $2 LIMIT 1)) b ORDER BY 1`, kind.units("b"), typ), quote(table), column)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var bounds []int64
	for rows.Next() {
		var v int64
		if rows.Scan(&v) != nil {
			return nil
		}
		bounds = append(bounds, v)
	}
	if rows.Err() != nil {
		return nil
	}
	return bounds
}

// isSkewed reports whether, by the histogram's equal-count buckets, one of the
// ranges cut at cuts over [lo, end) holds more than skewFactor times its share.
func isSkewed(cuts, bounds []int64, lo, end int64) bool {
	if len(bounds) < 3 {
		return false
	}
	edges := append(append([]int64{lo}, cuts...), end)
	fair := float64(len(bounds)) / float64(len(edges)-1)
	for i := 0; i+1 < len(edges); i++ {
		a, _ := slices.BinarySearch(bounds, edges[i])
		b, _ := slices.BinarySearch(bounds, edges[i+1])
		if float64(b-a) > skewFactor*fair {
			return true
		}
	}
	return false
}

// quantileCuts are up to n-1 inner edges at the histogram's quantiles, strictly
// inside (lo, hi] and increasing; fewer when the histogram repeats itself.
func quantileCuts(bounds []int64, lo, hi int64, n int) []int64 {
	var cuts []int64
	for i := 1; i < n; i++ {
		c := bounds[i*(len(bounds)-1)/n]
		if c > lo && c <= hi && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
			cuts = append(cuts, c)
		}
	}
	return cuts
}
