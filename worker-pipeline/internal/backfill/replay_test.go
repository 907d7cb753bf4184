package backfill

import (
	"path/filepath"
	"testing"

	"github.com/matih/ops/shared/testkit"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays the current set, recorded from the current
// code: the backfill is Pinned, so no other code ever replays its runs.
func TestReplayRecordedHistories(t *testing.T) {
	files := testkit.PinnedFixtures(t, "testdata", currentSet, 6)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
