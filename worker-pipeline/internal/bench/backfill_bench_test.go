package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/backfill"
)

// BenchmarkBackfill compares, on one dev server, DataBackfillWorkflow with the
// seed's sequential loop at two partition costs, and both with the no-op activity
// ceiling at the same window and worker concurrency. It prints ratios, not pass or
// fail: scripts/bench.sh backfill runs it once (-benchtime 1x).
// MATIH_BENCH_PARTITIONS sets the number of partitions (default 1000).
//
// The window is the worker's activity concurrency (10): with the default of 8 the
// speedup over the loop at 500 ms is capped at 8 x (500 ms + round trip) / 500 ms.
func BenchmarkBackfill(b *testing.B) {
	n := testkit.EnvInt(b, "MATIH_BENCH_PARTITIONS", 1000, 1)
	const window = contract.DefaultActivityConcurrency
	srv := testkit.StartDevServer(b)
	ceiling := measureCeiling(b, srv.Client, n, window)
	fmt.Printf("no-op ceiling: %d activities, window %d, worker concurrency %d: %.1f activities/s\n",
		n, window, contract.DefaultActivityConcurrency, ceiling)
	fmt.Printf("%-7s %-6s %10s %10s %10s %9s %11s %12s %10s %10s\n", "cost", "flow", "wall", "parts/s", "speedup", "ceiling", "ideal wall", "wall/ideal", "runs", "longest")
	for _, cost := range []time.Duration{5 * time.Millisecond, 500 * time.Millisecond} {
		w := startWorker(b, srv.Client, cost)
		ours, oursWall := run(b, srv.Client, contract.DataBackfillWorkflow, "ours-"+cost.String(), n, window)
		seed, seedWall := run(b, srv.Client, SeedWorkflow, "seed-"+cost.String(), n, window)
		w.Stop()
		ideal := time.Duration(n) * cost / window
		for _, r := range []struct {
			name string
			res  contract.BackfillResult
			wall time.Duration
		}{{"ours", ours, oursWall}, {"seed", seed, seedWall}} {
			pps := float64(r.res.PartitionsProcessed) / r.wall.Seconds()
			fmt.Printf("%-7s %-6s %10s %10.1f %9.1fx %9.2f %11s %12.2f %10d %10d\n", cost, r.name, r.wall.Round(time.Millisecond), pps,
				seedWall.Seconds()/r.wall.Seconds(), pps/ceiling, ideal.Round(time.Millisecond), r.wall.Seconds()/ideal.Seconds(),
				r.res.Runs, r.res.LongestHistory)
		}
		pps := float64(ours.PartitionsProcessed) / oursWall.Seconds()
		b.ReportMetric(seedWall.Seconds()/oursWall.Seconds(), "x-seed@"+cost.String())
		b.ReportMetric(pps/ceiling, "of-ceiling@"+cost.String())
		b.ReportMetric(ideal.Seconds()/oursWall.Seconds(), "of-ideal@"+cost.String())
	}
}

func startWorker(b *testing.B, c client.Client, cost time.Duration) worker.Worker {
	w := worker.New(c, contract.PipelineQueue, worker.Options{MaxConcurrentActivityExecutionSize: contract.DefaultActivityConcurrency})
	backfill.Register(w)
	Register(w, &FixedCost{Cost: cost})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	return w
}

// measureCeiling runs n no-op activities at the window and returns activities/s.
func measureCeiling(b *testing.B, c client.Client, n, window int) float64 {
	w := startWorker(b, c, 0)
	defer w.Stop()
	ctx := context.Background()
	start := time.Now()
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ceiling", TaskQueue: contract.PipelineQueue}, CeilingWorkflow, n, window)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Get(ctx, nil); err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

// run starts one backfill of n hourly partitions and waits for it, following
// continue-as-new; the wall time is measured by the client, start to result.
func run(b *testing.B, c client.Client, workflowType, id string, n, window int) (contract.BackfillResult, time.Duration) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := contract.BackfillConfig{PipelineID: "bench", PartitionColumn: "created_at", PartitionSize: contract.PartitionHour,
		Source:    contract.SourceConfig{Connection: "bench", Table: "events"},
		StartDate: start.Format(time.RFC3339), EndDate: start.Add(time.Duration(n) * time.Hour).Format(time.RFC3339),
		Destination: contract.DestinationConfig{Table: "bench.events"}, MaxParallel: window, MaxPartitions: n}
	ctx := context.Background()
	began := time.Now()
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue}, workflowType, cfg)
	if err != nil {
		b.Fatal(err)
	}
	var res contract.BackfillResult
	if err := r.Get(ctx, &res); err != nil {
		b.Fatal(err)
	}
	if res.PartitionsProcessed != n {
		b.Fatalf("%s processed %d of %d partitions", id, res.PartitionsProcessed, n)
	}
	return res, time.Since(began)
}
