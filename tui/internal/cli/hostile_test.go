package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/hostiletest"
)

// TestHostileTextNeverReachesTheTerminal poisons every field `matih ls` and
// `matih status` print.
func TestHostileTextNeverReachesTheTerminal(t *testing.T) {
	now := time.Date(2026, 2, 12, 9, 0, 0, 0, time.UTC)
	p := 0.5
	rows := []data.Row{{WorkflowID: "pipeline-sales", RunID: "r", Type: contract.DataPipelineWorkflow, Status: status.WorkflowRunning,
		Phase: contract.PhaseLoading, Progress: &p, StartedAt: now.Add(-time.Minute), TaskQueue: contract.PipelineQueue}}
	hostiletest.Poison(&rows[0])
	var out bytes.Buffer
	rowTable(&out, rows, now, true)
	require.NoError(t, hostiletest.Unclean(out.String()), "ls")

	doc := status.Document{WorkflowID: "w", RunID: "r", WorkflowType: contract.DataPipelineWorkflow, TaskQueue: contract.PipelineQueue,
		Status: status.WorkflowRunning, Phase: contract.PhaseAwaitingApproval, Stuck: "stuck", CurrentActivity: "extract_data",
		ProgressSource: status.SourceQuery, PendingSignals: []string{contract.SignalApproval},
		Activities:     []status.Activity{{Name: "extract_data", Status: "COMPLETED", Duration: "1s", LastFailure: "boom", Heartbeat: "hb"}},
		Quality:        &contract.QualityResult{Checks: []contract.CheckResult{{Name: "n", Type: "not_null", Samples: []string{"s"}, Detail: "d"}}},
		Approval:       &status.Approval{Approver: "a", Reason: "r", Ignored: []contract.ApprovalSignal{{Approver: "x", Reason: "y"}}},
		RefusedSignals: &contract.SignalRefusals{Count: 1, Last: &contract.RefusedSignal{Name: "approval", Reason: "bad", At: now}},
		Failure:        "f",
	}
	hostiletest.Poison(&doc)
	out.Reset()
	printDoc(&out, doc)
	require.Contains(t, out.String(), "extract_data")
	require.NoError(t, hostiletest.Unclean(out.String()), "status")
}
