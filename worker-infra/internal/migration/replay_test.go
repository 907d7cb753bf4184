package migration

import (
	"path/filepath"
	"testing"

	"github.com/matih/ops/shared/testkit"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// currentSet is the fixture set recorded from the current code (go test
// ./internal/app -record); see testkit.PinnedFixtures.
const currentSet = "2026-12-06"

// TestReplay replays the current set: the workflow is Pinned, so no other code
// ever replays its runs.
func TestReplay(t *testing.T) {
	for _, f := range testkit.PinnedFixtures(t, "testdata", currentSet, 4) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(SchemaMigration, workflowOpts)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
