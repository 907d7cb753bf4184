package delivery

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestRecordHistories runs the workflow's paths against a real dev server and writes
// the histories the replay test and the replay gate check. Run it after changing the
// workflow on purpose: MATIH_RECORD=1 go test ./delivery -run TestRecordHistories
func TestRecordHistories(t *testing.T) {
	if os.Getenv("MATIH_RECORD") == "" {
		t.Skip("set MATIH_RECORD=1 to record histories into testdata/")
	}
	srv := testkit.StartDevServer(t)
	w := worker.New(srv.Client, contract.NotifyQueue, worker.Options{})
	Register(w)
	w.RegisterActivityWithOptions(func(context.Context, contract.FailureNotification) (contract.NotificationResult, error) {
		return contract.NotificationResult{Delivered: []string{"outbox", "slack"}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
	require.NoError(t, w.Start())
	defer w.Stop()
	payload, err := json.Marshal(contract.FailureNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: "orders-1", PipelineID: "orders", Summary: "failed"}, Error: "boom"})
	require.NoError(t, err)
	for name, req := range map[string]contract.NotificationRequest{
		"delivered": {Activity: contract.ActivityNotifyFailure, Payload: payload},
		"invalid":   {Activity: "extract_data", Payload: payload},
	} {
		run, err := srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "record-" + name, TaskQueue: contract.NotifyQueue},
			contract.NotificationDeliveryWorkflow, req)
		require.NoError(t, err)
		_ = run.Get(context.Background(), nil)
		path := filepath.Join("testdata", name+".json")
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("%s exists: record a new set beside it instead of re-recording in place", path)
		}
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		testkit.WriteHistory(t, srv.Client, run.GetID(), "", path)
	}
}

// TestReplayRecordedHistories replays every recorded path: a change that breaks
// determinism for deliveries in flight fails here.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	newer, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	require.NoError(t, err)
	files = append(files, newer...)
	require.GreaterOrEqual(t, len(files), 2, "record with MATIH_RECORD=1")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
