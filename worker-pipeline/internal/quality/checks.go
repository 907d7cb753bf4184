package quality

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/matih/ops/shared/contract"
)

// sampler keeps the first few failing values.
type sampler struct {
	max  int
	vals []string
}

func newSampler(n int) *sampler { return &sampler{max: n} }

func (s *sampler) add(v string) {
	if len(s.vals) < s.max {
		s.vals = append(s.vals, v)
	}
}

// rowKey names a row by its first column, which is the key in most sources.
func rowKey(rec arrow.RecordBatch, i int) string {
	return rec.ColumnName(0) + "=" + rec.Column(0).ValueStr(i)
}

type rowCount struct{ min *float64 }

func (r *rowCount) observe(arrow.RecordBatch) {}
func (r *rowCount) result(total int64) contract.CheckResult {
	want := int64(deref(r.min))
	res := contract.CheckResult{Passed: total >= want, Detail: fmt.Sprintf("%d rows, at least %d expected", total, want)}
	if !res.Passed {
		res.FailedRows = want - total
	}
	return res
}

type notNull struct {
	cols    []int
	names   []string
	failed  int64
	samples *sampler
}

func (n *notNull) observe(rec arrow.RecordBatch) {
	for i := 0; i < int(rec.NumRows()); i++ {
		var nulls []string
		for j, c := range n.cols {
			if rec.Column(c).IsNull(i) {
				nulls = append(nulls, n.names[j])
			}
		}
		if len(nulls) > 0 {
			n.failed++
			n.samples.add(rowKey(rec, i) + ": " + strings.Join(nulls, ", ") + " is null")
		}
	}
}

func (n *notNull) result(total int64) contract.CheckResult {
	return contract.CheckResult{Passed: n.failed == 0, FailedRows: n.failed, Samples: n.samples.vals,
		Detail: fmt.Sprintf("%d of %d rows have a null in %s", n.failed, total, strings.Join(n.names, ", "))}
}

func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT64, arrow.INT32, arrow.FLOAT64, arrow.FLOAT32:
		return true
	}
	return false
}

func numberAt(col arrow.Array, i int) float64 {
	switch a := col.(type) {
	case *array.Int64:
		return float64(a.Value(i))
	case *array.Int32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	}
	return 0
}

type accepted struct {
	col      int
	min, max *float64
	failed   int64
	samples  *sampler
}

func (a *accepted) observe(rec arrow.RecordBatch) {
	col := rec.Column(a.col)
	for i := 0; i < col.Len(); i++ {
		if col.IsNull(i) {
			continue // nulls are not_null's business
		}
		v := numberAt(col, i)
		if (a.min != nil && v < *a.min) || (a.max != nil && v > *a.max) {
			a.failed++
			a.samples.add(fmt.Sprintf("%s: %s=%v", rowKey(rec, i), rec.ColumnName(a.col), v))
		}
	}
}

func (a *accepted) result(total int64) contract.CheckResult {
	return contract.CheckResult{Passed: a.failed == 0, FailedRows: a.failed, Samples: a.samples.vals,
		Detail: fmt.Sprintf("%d of %d rows outside [%s, %s]", a.failed, total, bound(a.min), bound(a.max))}
}

type freshness struct {
	col    int
	maxAge time.Duration
	newest time.Time
	now    func() time.Time
}

func (f *freshness) observe(rec arrow.RecordBatch) {
	col := rec.Column(f.col)
	for i := 0; i < col.Len(); i++ {
		if col.IsNull(i) {
			continue
		}
		var t time.Time
		switch a := col.(type) {
		case *array.Timestamp:
			t = a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit)
		case *array.Date32:
			t = a.Value(i).ToTime()
		case *array.String:
			t, _ = time.Parse(time.RFC3339, a.Value(i))
		}
		if t.After(f.newest) {
			f.newest = t
		}
	}
}

func (f *freshness) result(total int64) contract.CheckResult {
	if f.newest.IsZero() {
		return contract.CheckResult{Passed: false, FailedRows: total, Detail: "no timestamp found"}
	}
	age := f.now().Sub(f.newest)
	return contract.CheckResult{Passed: age <= f.maxAge, Samples: []string{"newest " + f.newest.UTC().Format(time.RFC3339)},
		Detail: fmt.Sprintf("newest row is %s old, at most %s allowed", age.Round(time.Second), f.maxAge)}
}
