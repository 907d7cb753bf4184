package integration

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// BenchmarkBackfillScale is scripts/bench.sh backfill-scale: 100,008 hourly
// partitions (4,167 days, three orders an hour on average) end to end through one
// worker process, with the auto batch rule. MATIH_BENCH_DAYS sets fewer days for a
// quick look. It reports what stays flat as the backfill advances and what stays
// bounded: speed over the first and the last 10% (at most 10,000 partitions),
// commits, snapshots, metadata, history per run, the continue-as-new state and the
// worker's peak RSS.
func BenchmarkBackfillScale(b *testing.B) {
	days := testkit.EnvInt(b, "MATIH_BENCH_DAYS", 4167, 1)
	for i := 0; i < b.N; i++ {
		s := newStack(b)
		worker := s.startWorker(b)
		s.source(b, days, 72)
		// A source partitioned by a column has it indexed; without one each hour
		// would scan all 300,000 orders and the benchmark would measure SQLite.
		db, err := sql.Open("sqlite", s.sourcePath())
		require.NoError(b, err)
		_, err = db.Exec("CREATE INDEX orders_created_at ON orders (created_at)")
		require.NoError(b, err)
		require.NoError(b, db.Close())
		cfg := backfillConfig("", "demo.orders_hourly")
		cfg.PartitionColumn, cfg.PartitionSize = "created_at", contract.PartitionHour
		cfg.EndDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days).Format("2006-01-02")
		cfg.MaxPartitions = days * 24
		total := days * 24

		ctx := context.Background()
		started := time.Now()
		run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "backfill-scale", TaskQueue: contract.PipelineQueue},
			contract.DataBackfillWorkflow, cfg)
		require.NoError(b, err)
		stop, marks := followDone(s, "backfill-scale")
		var res contract.BackfillResult
		require.NoError(b, run.Get(ctx, &res))
		took := time.Since(started)
		stop()
		_, rss := testkit.Resident(b, worker.Pid())
		require.Equal(b, contract.StatusCompleted, res.Status, "%+v", res.FailedPartitions)
		require.Equal(b, total, res.PartitionsProcessed+res.PartitionsSkipped)

		tbl, unique, dups := s.keys(b, "demo", "orders_hourly")
		require.Equal(b, days*72, unique, "every source order is in the table")
		require.Zero(b, dups, "no order twice")
		h := s.histories(b, "backfill-scale")
		tenth := min(10_000, total/10)
		first, last := marks.rate(started, 0, tenth), marks.rate(started, total-tenth, total)
		mid := marks.rate(started, total/2-tenth/2, total/2+tenth/2)
		b.ReportMetric(took.Seconds(), "wall_s")
		b.ReportMetric(first, "first_p/s")
		b.ReportMetric(mid, "middle_p/s")
		b.ReportMetric(last, "last_p/s")
		b.ReportMetric(last/first, "last/first")
		b.ReportMetric(float64(h.commits), "commits")
		b.ReportMetric(float64(len(tbl.Metadata().Snapshots())), "snapshots")
		b.ReportMetric(float64(metadataSize(b, tbl))/1024, "metadata_KiB")
		b.ReportMetric(float64(h.longest), "longest_history")
		b.ReportMetric(float64(h.carry)/1024, "carry_KiB")
		b.ReportMetric(float64(rss)/(1<<20), "worker_peak_MiB")
		b.Logf("%d hourly partitions, %d rows in %s over %d runs: first %d at %.0f/s, middle %.0f/s, last %d at %.0f/s (%.2f×); %d commits, %d snapshots, metadata %d KiB; longest history %d events, carry %.1f KiB, worker peak RSS %d MiB",
			total, res.TotalRows, took.Round(time.Second), res.Runs, tenth, first, mid, tenth, last, last/first, h.commits,
			len(tbl.Metadata().Snapshots()), metadataSize(b, tbl)>>10, h.longest, float64(h.carry)/1024, rss>>20)
	}
}

// doneMarks are (time, partitions finished) samples of a running backfill.
type doneMarks struct {
	mu      sync.Mutex
	samples []doneMark
}

type doneMark struct {
	at   time.Time
	done int
}

// when is the moment n partitions were finished, interpolated between the two
// samples around it (start for n = 0): a tenth of a small backfill can finish
// between two samples, which would make its rate 0 or infinite.
func (m *doneMarks) when(start time.Time, n int) time.Time {
	if n <= 0 {
		return start
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := doneMark{at: start}
	for _, s := range m.samples {
		if s.done >= n {
			if s.done == prev.done {
				return s.at
			}
			frac := float64(n-prev.done) / float64(s.done-prev.done)
			return prev.at.Add(time.Duration(frac * float64(s.at.Sub(prev.at))))
		}
		prev = s
	}
	return time.Now()
}

// rate is partitions/s between the moments from and to partitions were finished.
func (m *doneMarks) rate(start time.Time, from, to int) float64 {
	secs := m.when(start, to).Sub(m.when(start, from)).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(to-from) / secs
}

// followDone samples the backfill's finished partitions every half second through
// its status query, as the console does; the last sample is taken at stop.
func followDone(s *stack, id string) (func(), *doneMarks) {
	m := &doneMarks{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sample := func() {
		v, err := s.srv.Client.QueryWorkflow(ctx, id, "", contract.QueryStatus)
		if err != nil {
			return
		}
		var d status.BackfillDocument
		if v.Get(&d) != nil || d.Partitions == nil {
			return
		}
		m.mu.Lock()
		m.samples = append(m.samples, doneMark{at: time.Now(), done: d.Partitions.Done + d.Partitions.Skipped})
		m.mu.Unlock()
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
				sample()
			}
		}
	}()
	return func() {
		cancel()
		<-done
		m.mu.Lock()
		m.samples = append(m.samples, doneMark{at: time.Now(), done: 1 << 30})
		m.mu.Unlock()
	}, m
}

// runHistories is what every run of a backfill wrote: process_partition tasks
// completed (one commit each), the longest history, the largest carry.
type runHistories struct {
	commits, longest, carry int
}

func (s *stack) histories(t testing.TB, id string) runHistories {
	var out runHistories
	for runID := range s.runs(t, id) {
		it := s.srv.Client.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n := 0
		for it.HasNext() {
			e, err := it.Next()
			require.NoError(t, err)
			n++
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				out.commits++
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				for _, p := range e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetInput().GetPayloads() {
					out.carry = max(out.carry, len(p.GetData()))
				}
			}
		}
		out.longest = max(out.longest, n)
	}
	return out
}
