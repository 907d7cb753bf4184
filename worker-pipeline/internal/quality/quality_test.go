package quality

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

func f(v float64) *float64 { return &v }

// staged extracts demo orders into a store of the test's own; the checker reads it.
func staged(t *testing.T, rows int, nullRate float64) (*Checker, contract.QualityInput) {
	db := filepath.Join(t.TempDir(), "orders.db")
	require.NoError(t, demo.CreateOrders(context.Background(), db, demo.OrdersSpec{Rows: rows, NullRate: nullRate, Seed: 7,
		Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Days: 10}))
	store := stagingtest.Store(t)
	e := &extract.Extractor{Store: store, Connections: testkit.Connections(t, testkit.SQLiteConn("orders", db)), RowsPerFile: 400}
	res, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "p", RunID: "r",
		Source: contract.SourceConfig{Connection: "orders", Table: "orders"}}, extract.Progress{}, nil)
	require.NoError(t, err)
	return &Checker{Store: store}, contract.QualityInput{OutputPath: res.OutputPath, ExpectedRows: &res.Rows}
}

func TestMissingOrShortStagedDataIsNeverAScore(t *testing.T) {
	c, in := staged(t, 100, 0)
	in.Checks = []contract.QualityCheck{{Type: contract.CheckNotNull, Columns: []string{"amount"}}}
	var missing *MissingDataError

	elsewhere := in
	elsewhere.OutputPath = c.Store.URL() + "p/other-run/extract/"
	_, err := c.Run(context.Background(), elsewhere, nil)
	require.True(t, errors.As(err, &missing), "no files is not a passing score: %v", err)
	assert.Contains(t, err.Error(), "no staged files at "+elsewhere.OutputPath)

	more := int64(101)
	in.ExpectedRows = &more
	_, err = c.Run(context.Background(), in, nil)
	require.True(t, errors.As(err, &missing), "%v", err)
	assert.Contains(t, err.Error(), "extract_data reported 101 rows but")

	outside := in
	outside.OutputPath = "/etc"
	_, err = c.Run(context.Background(), outside, nil)
	var ve *contract.ValidationError
	require.True(t, errors.As(err, &ve), "a path outside the store is refused: %v", err)
	assert.Equal(t, "output_path", ve.Field)
}

func TestChecksScoreAndEvidence(t *testing.T) {
	c, in := staged(t, 1000, 0.2)
	now := time.Date(2026, 3, 11, 12, 0, 0, 0, time.UTC)
	checks := []contract.QualityCheck{
		{Type: contract.CheckRowCountMin, Min: f(500)},
		{Type: contract.CheckNotNull, Columns: []string{"amount"}, Weight: 2},
		{Type: contract.CheckUnique, Columns: []string{"order_id"}},
		{Type: contract.CheckAcceptedRange, Column: "amount", Min: f(0), Max: f(100)},
		{Type: contract.CheckFreshness, Column: "created_at", MaxAge: contract.Duration(48 * time.Hour)},
	}
	c.Now = func() time.Time { return now }
	in.Checks = checks
	res, err := c.Run(context.Background(), in, nil)
	require.NoError(t, err)
	require.Len(t, res.Checks, 5)
	assert.Equal(t, int64(1000), res.Rows)

	rc, nn, uq, ar, fr := res.Checks[0], res.Checks[1], res.Checks[2], res.Checks[3], res.Checks[4]
	assert.True(t, rc.Passed)
	assert.False(t, nn.Passed)
	assert.InDelta(t, 200, nn.FailedRows, 40, "about 20%% nulls")
	assert.Len(t, nn.Samples, DefaultMaxSamples)
	assert.Contains(t, nn.Samples[0], "order_id=")
	assert.Contains(t, nn.Samples[0], "amount is null")
	assert.True(t, uq.Passed)
	assert.False(t, ar.Passed, "amounts go up to 500")
	assert.Contains(t, ar.Samples[0], "amount=")
	assert.True(t, fr.Passed, "newest row is from 2026-03-10: %s", fr.Detail)
	assert.Equal(t, "not_null(amount)", nn.Name)
	// weights: 1 + 2 + 1 + 1 + 1 = 6; passed: row count, unique, freshness = 3
	assert.InDelta(t, 3.0/6.0, res.Score, 1e-9)
}

func TestCleanDataScoresOne(t *testing.T) {
	c, in := staged(t, 300, 0)
	in.Checks = []contract.QualityCheck{
		{Type: contract.CheckNotNull, Columns: []string{"amount", "customer_id"}},
		{Type: contract.CheckUnique, Columns: []string{"order_id"}},
	}
	res, err := c.Run(context.Background(), in, nil)
	require.NoError(t, err)
	assert.Equal(t, 1.0, res.Score)
	assert.Zero(t, res.Checks[0].FailedRows)
}

func TestUnknownColumnNamesTheCheck(t *testing.T) {
	c, in := staged(t, 10, 0)
	in.Checks = []contract.QualityCheck{{Type: contract.CheckNotNull, Columns: []string{"amount"}}, {Type: contract.CheckNotNull, Columns: []string{"price"}}}
	_, err := c.Run(context.Background(), in, nil)
	var ve *contract.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "quality_checks[1]", ve.Field)
	assert.Contains(t, ve.Expected, `no column "price"`)
}
