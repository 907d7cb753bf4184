package notifications

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

func TestASmallPayloadIsSentAsItIs(t *testing.T) {
	raw := json.RawMessage(`{"workflow_id":"w","error":"boom"}`)
	assert.Equal(t, raw, fit(raw))
}

func TestAHugeErrorIsCutToFit(t *testing.T) {
	id := "pipeline-" + strings.Repeat("x", 900)
	n := contract.FailureNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: id, PipelineID: "orders", Severity: contract.SeverityCritical},
		Error: strings.Repeat("stack frame\n", 100_000)}
	raw, err := json.Marshal(n)
	require.NoError(t, err)
	require.Greater(t, len(raw), contract.MaxNotificationPayload)

	out := fit(raw)
	assert.LessOrEqual(t, len(out), contract.MaxNotificationPayload)
	require.NoError(t, contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: out}.Validate())
	var got contract.FailureNotification
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, id, got.WorkflowID, "ids are never cut")
	assert.Equal(t, contract.SeverityCritical, got.Severity)
	assert.True(t, strings.HasPrefix(got.Error, "stack frame\nstack frame\n"), "the start of the error is kept")
	assert.True(t, strings.HasSuffix(got.Error, "…"), "and it says it was cut")
}

func TestManyFailingChecksAreCutToTheFirstOnes(t *testing.T) {
	n := contract.QualityIssueNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: "w", PipelineID: "orders"},
		Score: 0.5, MinScore: 0.9, ApprovalDeadline: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	for i := 0; i < 5000; i++ {
		n.FailingChecks = append(n.FailingChecks, contract.CheckResult{Name: "not_null_" + strings.Repeat("c", 20), Type: "not_null",
			FailedRows: 1<<60 + int64(i), TotalRows: 1 << 61, Samples: []string{strings.Repeat("s", 200), strings.Repeat("t", 200)}})
	}
	raw, err := json.Marshal(n)
	require.NoError(t, err)
	require.Greater(t, len(raw), contract.MaxNotificationPayload)

	out := fit(raw)
	assert.LessOrEqual(t, len(out), contract.MaxNotificationPayload)
	var got contract.QualityIssueNotification
	require.NoError(t, json.Unmarshal(out, &got), "every field keeps its type")
	require.NotEmpty(t, got.FailingChecks)
	assert.Less(t, len(got.FailingChecks), 5000)
	assert.Equal(t, n.FailingChecks[0], got.FailingChecks[0], "the first checks are whole, their counts exact")
	assert.Equal(t, n.ApprovalDeadline, got.ApprovalDeadline)
	assert.Equal(t, fit(raw), out, "the same payload every time, as a replay needs")
}
