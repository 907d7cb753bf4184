package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/codec"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// BenchmarkApprovalRoundTrip measures what an approver waits for: from sending
// the approval update, as the console does, to the next activity of the run
// (load_to_iceberg) starting on the real worker process. N low-quality runs
// (MATIH_BENCH_APPROVALS, default 40) wait at the gate and are approved one after
// another. Beside it, the update's own acknowledgement is the baseline: the
// server and workflow task round trip no approval can beat. It also reports the
// worker's resident memory idle and at its peak under the load.
func BenchmarkApprovalRoundTrip(b *testing.B) {
	n := testkit.EnvInt(b, "MATIH_BENCH_APPROVALS", 40, 1)
	s := newStack(b)
	worker := s.startWorker(b, nil)
	idle, _ := testkit.Resident(b, worker.Pid())
	db, _ := s.source(b, 2000, 0.3)
	for i := 0; i < b.N; i++ {
		runs := make([]client.WorkflowRun, n)
		for k := range runs {
			runs[k] = s.start(b, fmt.Sprintf("pipeline-approval-%d-%03d", i, k), cfgFor(db, fmt.Sprintf("analytics.approval_%d_%03d", i, k)))
		}
		for _, r := range runs {
			waitPhase(b, s.srv.Client, r.GetID(), contract.PhaseAwaitingApproval)
		}
		var acks, starts, works []time.Duration
		for _, r := range runs {
			sent := time.Now()
			approve(b, s.srv.Client, r.GetID(), "bench@bastion", "round trip")
			acks = append(acks, time.Since(sent))
			require.NoError(b, r.Get(context.Background(), nil))
			started, ended := nextActivity(b, s.srv.Client, r.GetID())
			starts, works = append(starts, started.Sub(sent)), append(works, ended.Sub(started))
		}
		b.ReportMetric(testkit.QuantileMs(starts, 0.50), "start-p50-ms")
		b.ReportMetric(testkit.QuantileMs(starts, 0.99), "start-p99-ms")
		b.ReportMetric(testkit.QuantileMs(acks, 0.50), "ack-p50-ms")
		b.ReportMetric(testkit.QuantileMs(starts, 0.50)/testkit.QuantileMs(acks, 0.50), "start/ack")
		b.ReportMetric(testkit.QuantileMs(works, 0.50), "next-activity-p50-ms")
	}
	_, peak := testkit.Resident(b, worker.Pid())
	b.ReportMetric(float64(idle)/(1<<20), "worker-idle-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "worker-peak-MiB")
}

// nextActivity is when the first activity after the approval update started and
// when it ended, as the run's history records them. (The started event is written
// when the attempt ends, with the time it started: the two differ by the work.)
func nextActivity(b *testing.B, c client.Client, id string) (started, ended time.Time) {
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	approved := false
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(b, err)
		switch {
		case e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			approved = true
		case approved && started.IsZero() && e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			started = e.GetEventTime().AsTime()
		case !started.IsZero() && e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			return started, e.GetEventTime().AsTime()
		}
	}
	b.Fatalf("%s: no activity started and completed after the approval", id)
	return started, ended
}

// BenchmarkApprovalRoundTripCodec is the approval round trip with every payload
// encrypted (shared/codec) against the same without: the codec's cost is the
// ratio of their p50s (target at most 1.1). Each round has a stack of its own,
// stopped before the next starts, and the rounds go plain, encrypted, encrypted,
// plain, so neither side runs beside the other's server or always runs second.
func BenchmarkApprovalRoundTripCodec(b *testing.B) {
	n := testkit.EnvInt(b, "MATIH_BENCH_APPROVALS", 40, 1)
	line, err := codec.NewKey("bench")
	require.NoError(b, err)
	keys := filepath.Join(b.TempDir(), "codec.keys")
	require.NoError(b, os.WriteFile(keys, []byte(line+"\n"), 0o600))
	ring, err := codec.LoadRing(keys)
	require.NoError(b, err)
	plainRound := func() []time.Duration { return approvalRounds(b, nil, nil, n) }
	encryptedRound := func() []time.Duration {
		return approvalRounds(b, []string{codec.EnvKeys + "=" + keys}, codec.DataConverter(ring), n)
	}
	for i := 0; i < b.N; i++ {
		plain := plainRound()
		encrypted := append(encryptedRound(), encryptedRound()...)
		plain = append(plain, plainRound()...)
		p, e := testkit.QuantileMs(plain, 0.50), testkit.QuantileMs(encrypted, 0.50)
		b.ReportMetric(p, "plain-start-p50-ms")
		b.ReportMetric(e, "codec-start-p50-ms")
		b.ReportMetric(e/p, "codec/plain")
	}
}

// approvalRounds starts n low-quality runs on a stack of its own, approves them one
// after another and returns, for each, the time from the update sent to the next
// activity's start. env goes to the worker process, dc to the test's clients. The
// stack is stopped when it returns.
func approvalRounds(b *testing.B, env []string, dc converter.DataConverter, n int) []time.Duration {
	round := testkit.NewScope(b)
	defer round.Close()
	s := newStackWithoutNotify(round, testkit.StartDevServer(round))
	c := s.srv.Client
	if dc != nil {
		var err error
		c, err = client.Dial(client.Options{HostPort: s.srv.HostPort, Namespace: contract.DefaultNamespace, DataConverter: dc})
		require.NoError(b, err)
		defer c.Close()
	}
	s.notified.start(round, c)
	s.startWorker(round, env)
	db, _ := s.source(round, 2000, 0.3)
	runs := make([]client.WorkflowRun, n)
	for k := range runs {
		var err error
		runs[k], err = c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: fmt.Sprintf("pipeline-codec-%03d", k), TaskQueue: contract.PipelineQueue},
			contract.DataPipelineWorkflow, cfgFor(db, fmt.Sprintf("analytics.codec_%03d", k)))
		require.NoError(b, err)
	}
	for _, r := range runs {
		waitPhase(b, c, r.GetID(), contract.PhaseAwaitingApproval)
	}
	var starts []time.Duration
	for _, r := range runs {
		sent := time.Now()
		approve(b, c, r.GetID(), "bench@bastion", "round trip")
		require.NoError(b, r.Get(context.Background(), nil))
		started, _ := nextActivity(b, c, r.GetID())
		starts = append(starts, started.Sub(sent))
	}
	return starts
}
