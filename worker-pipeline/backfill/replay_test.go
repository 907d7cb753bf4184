package backfill

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays every recorded path: a change that breaks
// determinism for running backfills fails here.
func TestReplayRecordedHistories(t *testing.T) {
	// testdata/*.json: runs started before the first change; testdata/*/*.json: the
	// sets recorded beside them after each later one.
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	newer, err := filepath.Glob("testdata/*/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(newer), 6, "record with MATIH_RECORD=1")
	files = append(files, newer...)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6, "record with MATIH_RECORD=1")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
