package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestReplayRecordedHistories replays the current set, recorded from the current
// code: the pipeline is Pinned, so no other code ever replays its runs.
func TestReplayRecordedHistories(t *testing.T) {
	files := testkit.PinnedFixtures(t, "testdata", currentSet, 9)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(DataPipelineWorkflow, workflow.RegisterOptions{Name: contract.DataPipelineWorkflow})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
