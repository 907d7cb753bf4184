package data

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
)

func TestNormalizeMessageMasksWhatDiffers(t *testing.T) {
	assert.Equal(t, `row N of "…" failed after N s (run ID)`,
		NormalizeMessage(`row 17 of "s3://x/1.parquet" failed after 2.5 s (run 0a1b2c3d-0000-4000-8000-123456789abc)`))
	assert.Equal(t, NormalizeMessage("timeout after 31s on host 10.0.0.5"), NormalizeMessage("timeout after 12s on host 10.0.0.9"))
}

func TestGroupFailuresByCauseThenBuild(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 2, 12, 9, m, 0, 0, time.UTC) }
	fs := []Failure{
		{WorkflowID: "a", ErrorType: "ConnectionError", Message: "dial 10.0.0.1:5432 refused", BuildID: "b1", ClosedAt: at(1)},
		{WorkflowID: "b", ErrorType: "ConnectionError", Message: "dial 10.0.0.2:5432 refused", BuildID: "b1", ClosedAt: at(5)},
		{WorkflowID: "c", ErrorType: "ConnectionError", Message: "dial 10.0.0.2:5432 refused", BuildID: "b2", ClosedAt: at(3)},
		{WorkflowID: "d", ErrorType: "Terminated", Message: "by hand", ClosedAt: at(9)},
	}
	g := GroupFailures(fs)
	require.Len(t, g, 3)
	assert.Equal(t, 2, g[0].Count)
	assert.Equal(t, "b1", g[0].BuildID)
	assert.Equal(t, at(1), g[0].FirstSeen)
	assert.Equal(t, at(5), g[0].LastSeen)
	assert.Equal(t, "b", g[0].ExampleWorkflowID, "the most recent run is the example")
	assert.Equal(t, "Terminated", g[1].ErrorType, "then the most recent")
}

func TestClassifyTakesTheActivityAndTheRootCause(t *testing.T) {
	fl := &failurepb.Failure{Message: "activity error", FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
		ActivityType: &commonpb.ActivityType{Name: "extract_data"}}},
		Cause: &failurepb.Failure{Message: "connection refused", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
			ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "SourceUnavailable"}}}}
	typ, msg, act := classify(fl)
	assert.Equal(t, "SourceUnavailable", typ)
	assert.Equal(t, "connection refused", msg)
	assert.Equal(t, "extract_data", act)
}
