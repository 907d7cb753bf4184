package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
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

// readRanges reads every range not done, at once, each on its own connection into
// files tagged with its index, and sums them. One range's failure stops the others;
// what each finished is in the progress the retry resumes from.
func (e *Extractor) readRanges(ctx context.Context, db *sql.DB, base string, plan rangePlan, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) (Progress, error) {
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
			key, lit := plan.key, plan.kind.literal
			q := fmt.Sprintf("%s WHERE %s >= %s AND %s < %s", base, key, lit(r.Lo), key, lit(r.Hi))
			if r.After != nil {
				q += fmt.Sprintf(" AND %s > %s", key, lit(*r.After))
			}
			q += " ORDER BY " + key
			opts := sinkOpts{tag: fmt.Sprintf("r%02d-", i), keyCol: -1}
			if plan.unique {
				opts.keyCol = plan.col
			}
			update := func(rp Progress) {
				mu.Lock()
				ranges[i].Progress = rp
				m := merged()
				mu.Unlock()
				if beat != nil {
					beat(m)
				}
			}
			got, err := e.readPostgres(ctx, db, q, schema, dir, r.Progress, update, opts)
			mu.Lock()
			ranges[i].Progress, ranges[i].Done = got, err == nil
			mu.Unlock()
			if err != nil {
				errs[i] = fmt.Errorf("key range %d [%s, %s): %w", i, lit(r.Lo), lit(r.Hi), err)
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

// restartUnfinished empties the ranges of p that did not finish, for a split
// column that is not unique: their rows cannot be resumed after a key, so they are
// read again from their start, and their files dropped. Finished ranges stay.
func restartUnfinished(p Progress) Progress {
	out := Progress{Files: []string{}}
	for _, r := range p.Ranges {
		if !r.Done {
			r.Progress = Progress{}
		}
		out.Ranges = append(out.Ranges, r)
		out.Files = append(out.Files, r.Files...)
		out.Rows += r.Rows
	}
	return out
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
