package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
)

// RangeProgress is one key range of a parallel read: keys from Lo up to, not
// including, Hi, and how far its reader got. A retry reads a range again from
// After, the last key of its complete files, never by offset.
type RangeProgress struct {
	Lo   int64 `json:"lo"`
	Hi   int64 `json:"hi"`
	Done bool  `json:"done,omitempty"`
	Progress
}

// integerKeyTypes are the primary key types a table is split on.
var integerKeyTypes = map[string]bool{"smallint": true, "integer": true, "bigint": true}

// planRanges splits a PostgreSQL table source into n key ranges of equal width,
// when its primary key is one integer column the staged columns include. It returns
// the key and its column index, or ok false for a single stream.
func planRanges(ctx context.Context, db *sql.DB, src contract.SourceConfig, conn connections.Connection, order string, schema *arrow.Schema) (key string, col int, ranges []RangeProgress, ok bool) {
	n := conn.Parallel(src.Parallelism)
	if n < 2 || src.Kind != contract.SourcePostgres || src.Table == "" || order == "" || strings.Contains(order, ",") {
		return "", 0, nil, false
	}
	name := strings.ReplaceAll(strings.Trim(order, `"`), `""`, `"`)
	idx := schema.FieldIndices(name)
	if len(idx) != 1 || schema.Field(idx[0]).Type.ID() != arrow.INT64 {
		return "", 0, nil, false
	}
	col = idx[0]
	var typ string
	var lo, hi sql.NullInt64
	err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT format_type(a.atttypid, NULL), (SELECT min(%[1]s) FROM %[2]s)::bigint, (SELECT max(%[1]s) FROM %[2]s)::bigint FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2",
		order, quote(src.Table)), quote(src.Table), name).Scan(&typ, &lo, &hi)
	if err != nil || !integerKeyTypes[typ] || !lo.Valid || hi.Int64-lo.Int64 < int64(n) {
		return "", 0, nil, false
	}
	width := (hi.Int64 - lo.Int64 + 1 + int64(n) - 1) / int64(n)
	for i := int64(0); i < int64(n); i++ {
		r := RangeProgress{Lo: lo.Int64 + i*width, Hi: lo.Int64 + (i+1)*width}
		if i == int64(n)-1 {
			r.Hi = hi.Int64 + 1
		}
		ranges = append(ranges, r)
	}
	return order, col, ranges, true
}

// readRanges reads every range not done, at once, each on its own connection into
// files tagged with its index, and sums them. One range's failure stops the others;
// what each finished is in the progress the retry resumes from.
func (e *Extractor) readRanges(ctx context.Context, db *sql.DB, base, key string, col int, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) (Progress, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	ranges := p.Ranges
	merged := func() Progress {
		out := Progress{Files: []string{}, Ranges: make([]RangeProgress, len(ranges))}
		for i, r := range ranges {
			out.Ranges[i] = RangeProgress{Lo: r.Lo, Hi: r.Hi, Done: r.Done, Progress: r.Progress.clone()}
			out.Files = append(out.Files, r.Files...)
			out.Rows += r.Rows
		}
		return out
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ranges))
	for i := range ranges {
		if ranges[i].Done {
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := ranges[i]
			q := fmt.Sprintf("%s WHERE %s >= %d AND %s < %d", base, key, r.Lo, key, r.Hi)
			if r.After != nil {
				q += fmt.Sprintf(" AND %s > %d", key, *r.After)
			}
			q += " ORDER BY " + key
			update := func(rp Progress) {
				mu.Lock()
				ranges[i].Progress = rp
				m := merged()
				mu.Unlock()
				if beat != nil {
					beat(m)
				}
			}
			got, err := e.readPostgres(ctx, db, q, schema, dir, r.Progress, update, sinkOpts{tag: fmt.Sprintf("r%02d-", i), keyCol: col})
			mu.Lock()
			ranges[i].Progress, ranges[i].Done = got, err == nil
			mu.Unlock()
			if err != nil {
				errs[i] = fmt.Errorf("key range %d [%d, %d): %w", i, r.Lo, r.Hi, err)
				cancel()
			}
		}(i)
	}
	wg.Wait()
	out := merged()
	if beat != nil {
		beat(out)
	}
	return out, firstCause(errs)
}

// firstCause is the first error that is not the cancellation another range's
// failure caused.
func firstCause(errs []error) error {
	var canceled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			canceled = err
		default:
			return err
		}
	}
	return canceled
}
