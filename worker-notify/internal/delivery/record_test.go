package delivery

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestRecordHistories runs the workflow's paths against a real dev server and writes
// the histories the replay test and the replay gate check. Run it after changing the
// workflow on purpose, into a new set beside the old ones:
// MATIH_RECORD=ordered go test ./delivery -run TestRecordHistories
// writes testdata/ordered/ (MATIH_RECORD=1 writes testdata/ itself, the first set).
func TestRecordHistories(t *testing.T) {
	set := os.Getenv("MATIH_RECORD")
	if set == "" {
		t.Skip("set MATIH_RECORD to the name of a new set to record histories into testdata/")
	}
	dir := "testdata"
	if set != "1" {
		dir = filepath.Join(dir, set)
	}
	srv := testkit.StartDevServer(t)
	w := worker.New(srv.Client, contract.NotifyQueue, worker.Options{})
	Register(w)
	w.RegisterActivityWithOptions(func(_ context.Context, n contract.FailureNotification) (contract.NotificationResult, error) {
		if n.Error == "slow" {
			time.Sleep(2 * time.Second) // so the next delivery asks while this one is delivering
		}
		return contract.NotificationResult{Delivered: []string{"outbox", "slack"}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
	require.NoError(t, w.Start())
	defer w.Stop()
	payload := func(e string) json.RawMessage {
		raw, err := json.Marshal(contract.FailureNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: "orders-1", PipelineID: "orders", Summary: "failed"}, Error: e})
		require.NoError(t, err)
		return raw
	}
	// In order: a chain of three deliveries of one run, the first slow, the third
	// started after the second has closed; then a delivery cancelled while it waits
	// for a slow predecessor.
	steps := []struct {
		name, id string
		req      contract.NotificationRequest
		wait     bool
		cancel   bool // cancelled while it waits, then waited for
	}{
		{"delivered", "record-delivered", contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload("boom")}, true, false},
		{"invalid", "record-invalid", contract.NotificationRequest{Activity: "extract_data", Payload: payload("boom")}, true, false},
		{"releases-next", "record-chain.notify-1", contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload("slow")}, false, false},
		{"waits-for-previous", "record-chain.notify-2", contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload("boom"), After: "record-chain.notify-1"}, true, false},
		{"previous-closed", "record-chain.notify-3", contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload("boom"), After: "record-chain.notify-2"}, true, false},
		{"held-by-slow", "record-hold.notify-1", contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload("slow")}, false, false},
		{"cancelled-while-waiting", "record-hold.notify-2", contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload("boom"), After: "record-hold.notify-1"}, false, true},
	}
	var runs []client.WorkflowRun
	for _, s := range steps {
		path := filepath.Join(dir, s.name+".json")
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("%s exists: record a new set beside it instead of re-recording in place", path)
		}
		run, err := srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: s.id, TaskQueue: contract.NotifyQueue},
			contract.NotificationDeliveryWorkflow, s.req)
		require.NoError(t, err)
		runs = append(runs, run)
		switch {
		case s.wait:
			_ = run.Get(context.Background(), nil)
		case s.cancel:
			time.Sleep(500 * time.Millisecond) // it has asked and waits
			require.NoError(t, srv.Client.CancelWorkflow(context.Background(), s.id, ""))
			_ = run.Get(context.Background(), nil)
		default:
			time.Sleep(500 * time.Millisecond) // the slow delivery has started
		}
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i, s := range steps {
		_ = runs[i].Get(context.Background(), nil)
		testkit.WriteHistory(t, srv.Client, runs[i].GetID(), "", filepath.Join(dir, s.name+".json"))
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
