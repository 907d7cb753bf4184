package maintenance

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplay replays histories recorded against a dev server (go test ./internal/app
// -record) through the current workflow code.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	newer, err := filepath.Glob(filepath.Join("testdata", "*", "*.json")) // sets recorded after later changes
	require.NoError(t, err)
	files = append(files, newer...)
	require.NotEmpty(t, files, "recorded histories are missing")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(TableMaintenance, workflowOpts)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
