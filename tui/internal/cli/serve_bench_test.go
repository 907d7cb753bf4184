package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// benchEvents is the history length the status benchmark measures at.
const benchEvents = 5000

// growHistory signals a run until its history holds at least n events; each signal
// adds one event (and, with a worker, a workflow task).
func growHistory(b *testing.B, c client.Client, id string, n int64) int64 {
	ctx := context.Background()
	for {
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			b.Fatal(err)
		}
		if l := d.GetWorkflowExecutionInfo().GetHistoryLength(); l >= n {
			return l
		}
		for i := 0; i < 200; i++ {
			if err := c.SignalWorkflow(ctx, id, "", "bench-noise", i); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The per-token rate limit, raised out of the way: these benchmarks measure the
// status path, and the default limit (20 a second) would answer them 429.
const (
	benchRate  = 1e6
	benchBurst = 1 << 20
)

// startWaiting starts a pipeline over the demo's dirty orders (it waits for
// approval) on queue.
func startWaiting(b *testing.B, c client.Client, id, queue string) {
	var cfg contract.PipelineConfig
	cfg.PipelineID, cfg.MinQualityScore = "bench", 0.9
	cfg.Source = contract.SourceConfig{Connection: testkit.DemoDirty, Table: "orders"}
	cfg.QualityChecks = []contract.QualityCheck{{Type: contract.CheckNotNull, Columns: []string{"amount"}}}
	cfg.Destination = contract.DestinationConfig{Table: "analytics.bench"}
	cfg.ApprovalTimeout = contract.Duration(time.Hour)
	if _, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: queue}, contract.DataPipelineWorkflow, cfg); err != nil {
		b.Fatal(err)
	}
}

// percentiles reports p50 and p99 of the measured durations, in milliseconds.
func percentiles(b *testing.B, d []time.Duration) {
	b.ReportMetric(testkit.QuantileMs(d, 0.50), "p50-ms")
	b.ReportMetric(testkit.QuantileMs(d, 0.99), "p99-ms")
}

// BenchmarkStatusAtFiveThousandEvents measures GET status on `matih serve` for a run
// with a 5,000-event history, with a worker answering the status query and with no
// worker polling its queue, side by side with the naive way: reading the whole
// history. Run it with scripts/bench.sh api.
func BenchmarkStatusAtFiveThousandEvents(b *testing.B) {
	srv := testkit.StartDevServer(b)
	testkit.StartPipelineWorker(b, srv)
	a := testApp(b, srv.HostPort, srv.Namespace, filepath.Join(b.TempDir(), "audit.log"))
	base, shutdown := startServe(b, a, serveFlags{tokens: writeTokens(b), ratePerSecond: benchRate, burst: benchBurst})
	b.Cleanup(func() { _ = shutdown() })

	runs := map[string]string{"with-worker": "bench-with-worker", "no-worker": "bench-no-worker"}
	startWaiting(b, srv.Client, runs["with-worker"], contract.PipelineQueue)
	startWaiting(b, srv.Client, runs["no-worker"], "bench-nobody-polls")
	for name, id := range runs {
		fmt.Printf("%s: %d events\n", name, growHistory(b, srv.Client, id, benchEvents))
	}
	get := func(b *testing.B, id string) {
		req, _ := http.NewRequest("GET", base+"/v1/pipelines/workflows/"+id+"/status", nil)
		req.Header.Set("Authorization", "Bearer "+serveReadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status of %s: %v %v", id, err, resp)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for _, name := range []string{"with-worker", "no-worker"} {
		start := time.Now()
		get(b, runs[name]) // the first read of a run folds its whole history
		fmt.Printf("%s: first request (history read whole) %.1f ms\n", name, float64(time.Since(start))/float64(time.Millisecond))
	}
	for _, name := range []string{"with-worker", "no-worker"} {
		id := runs[name]
		b.Run("api/"+name, func(b *testing.B) {
			measure(b, func() { get(b, id) })
		})
		b.Run("wrk/"+name, func(b *testing.B) {
			wrkThroughput(b, base+"/v1/pipelines/workflows/"+id+"/status")
		})
		b.Run("history-scan/"+name, func(b *testing.B) {
			measure(b, func() {
				it := srv.Client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
				for it.HasNext() {
					if _, err := it.Next(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// wrkThroughput loads the URL with wrk for a few seconds and reports requests/s and
// wrk's p99. It is skipped where wrk is not installed (scripts/bench.sh installs it).
func wrkThroughput(b *testing.B, url string) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed; scripts/bench.sh api installs it")
	}
	// One wrk run of fixed length, whatever b.N: wrk itself counts the requests.
	out, err := exec.Command(bin, "-t2", "-c8", "-d5s", "--latency", "-H", "Authorization: Bearer "+serveReadToken, url).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	rps, p99, err := parseWrk(string(out))
	if err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(p99, "p99-ms")
}

// parseWrk reads "Requests/sec:" and the 99% line of wrk's latency distribution.
func parseWrk(out string) (rps, p99ms float64, err error) {
	var okRPS, okP99 bool
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			rps, err = strconv.ParseFloat(f[1], 64)
			okRPS = err == nil
		case len(f) == 2 && f[0] == "99%":
			var d time.Duration
			d, err = time.ParseDuration(f[1])
			p99ms, okP99 = float64(d)/float64(time.Millisecond), err == nil
		case len(f) >= 2 && f[0] == "Non-2xx":
			return 0, 0, fmt.Errorf("wrk saw error answers: %s", line)
		}
	}
	if !okRPS || !okP99 {
		return 0, 0, fmt.Errorf("wrk output has no Requests/sec or 99%% line")
	}
	return rps, p99ms, nil
}

func measure(b *testing.B, op func()) {
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		op()
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	percentiles(b, d)
}
