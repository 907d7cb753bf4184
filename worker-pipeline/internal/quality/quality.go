// Package quality runs a pipeline's declared checks over its staged Parquet data and
// scores them, keeping the evidence (failing rows, samples) an approver needs.
package quality

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// DefaultMaxSamples bounds the samples kept per check.
const DefaultMaxSamples = 5

// Checker runs checks over the staging store; Now is injectable so freshness is testable.
type Checker struct {
	Store      *staging.Store
	Now        func() time.Time
	MaxSamples int
	// UniqueMemory bounds what one unique check holds in memory (default
	// DefaultUniqueMemory); past it, keys spill to files under SpillDir.
	UniqueMemory int64
	SpillDir     string
}

// MissingDataError is staged data that is not there, or not what extraction
// reported: a score over it would mean nothing, so no retry and no approval gate
// may rest on it.
type MissingDataError struct{ Detail string }

func (e *MissingDataError) Error() string { return "staged data missing: " + e.Detail }

// evaluator accumulates one check over the batches of a scan.
type evaluator interface {
	observe(rec arrow.RecordBatch)
	result(total int64) contract.CheckResult
}

// closer is an evaluator holding files, released when the scan ends however it ends.
type closer interface{ close() }

// finisher is an evaluator with work left after the scan (a spilled unique check).
type finisher interface{ finish() error }

// Run scans the staged files under in.OutputPath once, feeding every check. No
// staged files, or a row count other than in.ExpectedRows, is a MissingDataError.
// beat is called with the rows scanned so far, after each batch.
func (c *Checker) Run(ctx context.Context, in contract.QualityInput, beat func(rows int64)) (contract.QualityResult, error) {
	checks := in.Checks
	dir, err := c.Store.Resolve("output_path", in.OutputPath)
	if err != nil {
		return contract.QualityResult{}, err
	}
	files, err := c.Store.Files(ctx, dir)
	if err != nil {
		return contract.QualityResult{}, err
	}
	if len(files) == 0 {
		return contract.QualityResult{}, &MissingDataError{Detail: fmt.Sprintf(
			"no staged files at %s (the extraction's output is gone, or this worker's --staging-url is not the one extract_data wrote to)", c.Store.URLOf(dir))}
	}
	rdr, err := c.Store.NewReader(ctx, files)
	if err != nil {
		return contract.QualityResult{}, err
	}
	defer rdr.Release()
	evals := make([]evaluator, len(checks))
	defer func() {
		for _, e := range evals {
			if c, ok := e.(closer); ok {
				c.close()
			}
		}
	}()
	for i, chk := range checks {
		if err := chk.Validate(fmt.Sprintf("quality_checks[%d]", i)); err != nil {
			return contract.QualityResult{}, err
		}
		if evals[i], err = c.newEvaluator(i, chk, rdr.Schema()); err != nil {
			return contract.QualityResult{}, err
		}
	}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for _, e := range evals {
			e.observe(rec)
		}
		if beat != nil {
			beat(rdr.Rows)
		}
	}
	if err := rdr.Err(); err != nil {
		return contract.QualityResult{}, err
	}
	if in.ExpectedRows != nil && *in.ExpectedRows != rdr.Rows {
		return contract.QualityResult{}, &MissingDataError{Detail: fmt.Sprintf(
			"extract_data reported %d rows but %s holds %d", *in.ExpectedRows, c.Store.URLOf(dir), rdr.Rows)}
	}
	for _, e := range evals {
		if f, ok := e.(finisher); ok {
			if err := f.finish(); err != nil {
				return contract.QualityResult{}, err
			}
		}
	}
	return c.score(checks, evals, rdr.Rows), nil
}

// score is the weighted fraction of passing checks (1 when none are declared).
func (c *Checker) score(checks []contract.QualityCheck, evals []evaluator, total int64) contract.QualityResult {
	res := contract.QualityResult{Rows: total, Score: 1, Checks: []contract.CheckResult{}}
	var sum, passed float64
	for i, chk := range checks {
		r := evals[i].result(total)
		r.Type, r.Name, r.TotalRows = chk.Type, checkName(chk), total
		r.Weight = chk.Weight
		if r.Weight == 0 {
			r.Weight = 1
		}
		sum += r.Weight
		if r.Passed {
			passed += r.Weight
		}
		res.Checks = append(res.Checks, r)
	}
	if sum > 0 {
		res.Score = passed / sum
	}
	return res
}

func (c *Checker) newEvaluator(i int, chk contract.QualityCheck, sc *arrow.Schema) (evaluator, error) {
	field := fmt.Sprintf("quality_checks[%d]", i)
	cols, err := columnIndexes(field, sc, chk)
	if err != nil {
		return nil, err
	}
	samples := c.MaxSamples
	if samples <= 0 {
		samples = DefaultMaxSamples
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	switch chk.Type {
	case contract.CheckRowCountMin:
		return &rowCount{min: chk.Min}, nil
	case contract.CheckNotNull:
		return &notNull{cols: cols, names: chk.Columns, samples: newSampler(samples)}, nil
	case contract.CheckUnique:
		spill := c.SpillDir
		if spill == "" {
			spill = os.TempDir()
		}
		return newUnique(cols, c.UniqueMemory, spill, newSampler(samples)), nil
	case contract.CheckAcceptedRange:
		if !isNumeric(sc.Field(cols[0]).Type) {
			return nil, contract.Invalid(field+".column", "a numeric column for accepted_range, %q is %s", chk.Column, sc.Field(cols[0]).Type)
		}
		return &accepted{col: cols[0], min: chk.Min, max: chk.Max, samples: newSampler(samples)}, nil
	case contract.CheckFreshness:
		return &freshness{col: cols[0], maxAge: chk.MaxAge.D(), now: now}, nil
	}
	return nil, contract.Invalid(field+".type", "a known check type, got %q", chk.Type)
}

func columnIndexes(field string, sc *arrow.Schema, chk contract.QualityCheck) ([]int, error) {
	names := chk.Columns
	if chk.Column != "" {
		names = []string{chk.Column}
	}
	out := make([]int, 0, len(names))
	for _, n := range names {
		idx := sc.FieldIndices(n)
		if len(idx) == 0 {
			return nil, contract.Invalid(field, "columns of the staged data (%s), no column %q", fieldNames(sc), n)
		}
		out = append(out, idx[0])
	}
	return out, nil
}

func fieldNames(sc *arrow.Schema) string {
	names := make([]string, 0, sc.NumFields())
	for _, f := range sc.Fields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func checkName(c contract.QualityCheck) string {
	switch c.Type {
	case contract.CheckRowCountMin:
		return fmt.Sprintf("row_count_min(%v)", deref(c.Min))
	case contract.CheckNotNull, contract.CheckUnique:
		return fmt.Sprintf("%s(%s)", c.Type, strings.Join(c.Columns, ", "))
	case contract.CheckAcceptedRange:
		return fmt.Sprintf("accepted_range(%s, %s..%s)", c.Column, bound(c.Min), bound(c.Max))
	case contract.CheckFreshness:
		return fmt.Sprintf("freshness(%s, %s)", c.Column, c.MaxAge)
	}
	return c.Type
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func bound(f *float64) string {
	if f == nil {
		return ""
	}
	return fmt.Sprint(*f)
}
