package partition

import (
	"fmt"
	"strings"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// rangeQuery is the SELECT of one partition: partition_column in [start, end),
// ordered so an extraction can resume. The bounds are rendered in the form the
// column holds: SQLite keeps dates as text ("2026-01-02" or "2026-01-02 15:04:05")
// or Unix seconds in integer columns, so the literals must sort the same way;
// PostgreSQL compares typed timestamps.
func rangeQuery(src contract.SourceConfig, column, colType string, p contract.Partition) (string, error) {
	lo, hi, err := bounds(src.Kind, column, colType, p)
	if err != nil {
		return "", err
	}
	cols := "*"
	if len(src.Columns) > 0 {
		q := make([]string, len(src.Columns))
		for i, c := range src.Columns {
			q[i] = quote(c)
		}
		cols = strings.Join(q, ", ")
	}
	c := quote(column)
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s >= %s AND %s < %s ORDER BY 1", cols, quote(src.Table), c, lo, c, hi), nil
}

func bounds(kind, column, colType string, p contract.Partition) (string, string, error) {
	isDate := colType == "DATE"
	if isDate && (!midnight(p.Start) || !midnight(p.End)) {
		return "", "", contract.Invalid("partition_size", "day, week or month for the DATE column %q", column)
	}
	if kind == contract.SourcePostgres {
		return pgTime(p.Start), pgTime(p.End), nil
	}
	if strings.Contains(colType, "INT") {
		return fmt.Sprint(p.Start.Unix()), fmt.Sprint(p.End.Unix()), nil
	}
	lo, hi := lakehouse.TextBounds(p.Start, p.End)
	return lit(lo), lit(hi), nil
}

func midnight(t time.Time) bool { return t.UTC().Equal(t.UTC().Truncate(24 * time.Hour)) }

func pgTime(t time.Time) string { return lit(t.UTC().Format(time.RFC3339)) + "::timestamptz" }

// lit quotes a literal we rendered ourselves from a time.
func lit(s string) string { return "'" + s + "'" }
