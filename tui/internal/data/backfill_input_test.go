package data_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/data"
)

// TestBackfillInputIsTheStartedInput: the input a backfill's run was started with
// comes back from its first history event, and a workflow of another type is
// refused, so a rerun never starts from a pipeline's input.
func TestBackfillInputIsTheStartedInput(t *testing.T) {
	srv := testkit.StartDevServer(t)
	ctx := context.Background()
	src := &data.Temporal{Client: srv.Client, Namespace: srv.Namespace, Identity: "ops@test"}
	cfg := contract.BackfillConfig{PipelineID: "orders", Source: contract.SourceConfig{Connection: "demo", Table: "orders"},
		PartitionColumn: "created_at", StartDate: "2026-01-01", EndDate: "2026-01-31", PartitionSize: "day",
		Destination: contract.DestinationConfig{Table: "demo.orders"}, OnlyPartitions: []string{"2026-01-03"}}
	now := time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	id, err := src.Start(ctx, api.BackfillStart(cfg, now)) // no worker: it stays as started
	require.NoError(t, err)
	got, err := src.BackfillInput(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, cfg, got)

	pid, err := src.Start(ctx, api.PipelineStart(pipelineConfig("p", false), now))
	require.NoError(t, err)
	_, err = src.BackfillInput(ctx, pid)
	assert.ErrorIs(t, err, data.ErrRefused)
	_, err = src.BackfillInput(ctx, "no-such-backfill")
	assert.ErrorIs(t, err, data.ErrNotFound)
}
