package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// fakes are in-memory activity doubles that record what the workflow sent, so the
// workflow's own decisions can be tested without the backends.
type fakes struct {
	mu            sync.Mutex
	score         float64
	extractErr    error
	onTransform   func(ctx context.Context) error
	calls         []string
	notifications map[string][]any
	transforms    []contract.TransformInput
	loads         []contract.LoadInput
	deleted       []string
	loadRows      int64 // rows the load reports; 0 means 1000, as extracted
}

func newFakes(score float64) *fakes {
	return &fakes{score: score, notifications: map[string][]any{}}
}

func (f *fakes) record(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *fakes) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *fakes) register(env interface {
	RegisterActivityWithOptions(any, activity.RegisterOptions)
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	env.RegisterActivityWithOptions(func(ctx context.Context, in contract.ExtractInput) (contract.ExtractionResult, error) {
		f.record(contract.ActivityExtractData)
		if f.extractErr != nil {
			return contract.ExtractionResult{}, f.extractErr
		}
		return contract.ExtractionResult{OutputPath: "/staging/" + in.RunID, Rows: 1000}, nil
	}, activity.RegisterOptions{Name: contract.ActivityExtractData})
	env.RegisterActivityWithOptions(func(ctx context.Context, in contract.QualityInput) (contract.QualityResult, error) {
		f.record(contract.ActivityValidateQuality)
		passed := f.score >= 1
		return contract.QualityResult{Score: f.score, Rows: 1000, Checks: []contract.CheckResult{
			{Name: "not_null(amount)", Type: contract.CheckNotNull, Passed: passed, FailedRows: 120, TotalRows: 1000, Samples: []string{"order_id=7: amount is null"}},
		}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityValidateQuality})
	env.RegisterActivityWithOptions(func(ctx context.Context, in contract.TransformInput) (contract.TransformResult, error) {
		f.record(contract.ActivityTriggerAirflowDAG)
		if f.onTransform != nil {
			if err := f.onTransform(ctx); err != nil {
				return contract.TransformResult{}, err
			}
		}
		f.mu.Lock()
		f.transforms = append(f.transforms, in)
		f.mu.Unlock()
		out := in.InputPath
		if in.OutputPath != "" {
			out = "file:///staging/" + in.OutputPath
		}
		return contract.TransformResult{Status: contract.TransformSucceeded, DAGID: in.DAGID, DAGRunID: in.DAGRunID, OutputPath: out}, nil
	}, activity.RegisterOptions{Name: contract.ActivityTriggerAirflowDAG})
	env.RegisterActivityWithOptions(func(ctx context.Context, in contract.StagingCleanupInput) (contract.StagingCleanupResult, error) {
		f.record(contract.ActivityDeleteStaging)
		f.mu.Lock()
		f.deleted = append(f.deleted, in.Path)
		f.mu.Unlock()
		return contract.StagingCleanupResult{Deleted: 3}, nil
	}, activity.RegisterOptions{Name: contract.ActivityDeleteStaging})
	env.RegisterActivityWithOptions(func(ctx context.Context, in contract.LoadInput) (contract.LoadResult, error) {
		f.record(contract.ActivityLoadToIceberg)
		f.mu.Lock()
		f.loads = append(f.loads, in)
		rows := f.loadRows
		f.mu.Unlock()
		if rows == 0 {
			rows = 1000
		}
		return contract.LoadResult{Table: in.Destination.Table, Rows: rows, SnapshotID: 4242, IdempotencyKey: in.IdempotencyKey}, nil
	}, activity.RegisterOptions{Name: contract.ActivityLoadToIceberg})
	testkit.RegisterNotificationDelivery(env)
	for _, name := range []string{contract.ActivityNotifyQualityIssue, contract.ActivityNotifyPipelineCompletion, contract.ActivityNotifyFailure} {
		name := name
		env.RegisterActivityWithOptions(func(ctx context.Context, payload map[string]any) (contract.NotificationResult, error) {
			f.record(name)
			f.mu.Lock()
			f.notifications[name] = append(f.notifications[name], payload)
			f.mu.Unlock()
			return contract.NotificationResult{Delivered: []string{"outbox"}}, nil
		}, activity.RegisterOptions{Name: name})
	}
}

// waitCancelled blocks an activity until the workflow cancels it, heartbeating so
// the cancellation reaches it.
func waitCancelled(ctx context.Context) error {
	for {
		activity.RecordHeartbeat(ctx, "waiting")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

var errPermanent = temporal.NewNonRetryableApplicationError("source table orders does not exist", "ValidationError", errors.New("no such table"))

var _ = testsuite.WorkflowTestSuite{}
