package partition

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// TestTwoProcessesCommittingToOneTableBothLand: two writers with catalogs of their
// own on one catalog file, as two worker processes are, commit batches of one
// table at the same time. Each commit that loses the race reloads the table and
// commits again, so every partition lands once and none fails.
func TestTwoProcessesCommittingToOneTableBothLand(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Dir(f.src)
	other, closeOther, err := lakehouse.Open(context.Background(), lakehouse.Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "wh")})
	require.NoError(t, err)
	t.Cleanup(closeOther)
	second := &fixture{t: t, src: f.src, plan: f.plan, staging: f.staging, proc: &Processor{
		Extractor: f.proc.Extractor, Writer: &lakehouse.PartitionWriter{Catalog: other, Store: f.proc.Writer.Store}}}
	_, err = f.run(f.batch(contract.ReprocessAll, 0), nil) // the table exists before the race
	require.NoError(t, err)

	var wg sync.WaitGroup
	results := make([]contract.BatchResult, 10)
	errs := make([]error, 10)
	for i := 1; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			fx := f
			if i%2 == 0 {
				fx = second
			}
			results[i], errs[i] = fx.run(fx.batch(contract.ReprocessAll, i), nil)
		}(i)
	}
	wg.Wait()
	for i := 1; i < 10; i++ {
		require.NoError(t, errs[i], "partition %d", i)
		require.Len(t, results[i].Results, 1)
		assert.Equal(t, contract.PartitionDone, results[i].Results[0].Status, "partition %d: %s", i, results[i].Results[0].Error)
	}
	for i := 0; i < 10; i++ {
		assert.Equal(t, f.sourceRows(i), f.tableRows(i), "partition %d once", i)
	}
	assert.Equal(t, int64(500), f.total())
}
