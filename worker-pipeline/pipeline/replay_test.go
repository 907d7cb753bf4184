package pipeline

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// TestReplayRecordedHistories replays every recorded path: a change that breaks
// determinism for running workflows fails here.
func TestReplayRecordedHistories(t *testing.T) {
	// testdata/*.json: runs started before run-scoped staging; testdata/*/*.json:
	// later sets, each recorded beside the older ones.
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	newer, err := filepath.Glob("testdata/*/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8, "record with MATIH_RECORD=1")
	require.GreaterOrEqual(t, len(newer), 8, "record with MATIH_RECORD=1")
	files = append(files, newer...)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(DataPipelineWorkflow, workflow.RegisterOptions{Name: contract.DataPipelineWorkflow})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
