package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/testkit"
)

// listingSizes is how many workflows the listing benchmark lists, in turn:
// MATIH_BENCH_LIST_SIZES (comma-separated, ascending), 10,000 by default.
func listingSizes(b *testing.B) []int {
	sizes := []int{10_000}
	if v := os.Getenv("MATIH_BENCH_LIST_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
				b.Fatalf("MATIH_BENCH_LIST_SIZES: expected ascending positive counts like 10000,100000, got %q", v)
			}
			sizes = append(sizes, n)
		}
	}
	return sizes
}

// startMany starts workflows from..n-1 on a queue nobody polls, eight at a time.
func startMany(b testing.TB, c client.Client, from, n int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, 1)
	for i := from; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
				ID: fmt.Sprintf("pipeline-load%06d-2026-02-12T08:30:00.000000", i), TaskQueue: "listing-bench-nobody-polls"}, "DataPipelineWorkflow")
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// inTurns runs each command five times, taking turns (the first, the second, ...,
// then the first again), so a server still settling after the workflows were
// started slows each alike, and returns each command's median wall time and the
// largest peak resident memory (MiB) of its runs, as the kernel counted it.
func inTurns(b *testing.B, cmds ...[]string) ([]time.Duration, []float64) {
	walls := make([][]time.Duration, len(cmds))
	peaks := make([]float64, len(cmds))
	for range 5 {
		for i, c := range cmds {
			start := time.Now()
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatalf("%v: %v", c, err)
			}
			walls[i] = append(walls[i], time.Since(start))
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				peaks[i] = max(peaks[i], float64(ru.Maxrss)/1024) // KiB on Linux
			}
		}
	}
	medians := make([]time.Duration, len(cmds))
	for i, d := range walls {
		sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
		medians[i] = d[len(d)/2]
	}
	return medians, peaks
}

// BenchmarkListingAgainstTemporalCLI lists a namespace of 10,000 workflows (or each
// of MATIH_BENCH_LIST_SIZES in turn, topping the namespace up) with `matih ls` and
// with `temporal workflow list`, side by side, first rows and the whole listing, and
// reports the ratios (target: at most 1.0) and each one's peak memory (target for
// matih ls: 64 MiB, flat whatever the count). Run it with scripts/bench.sh console.
func BenchmarkListingAgainstTemporalCLI(b *testing.B) {
	matih := buildMatih(b)
	srv := testkit.StartDevServer(b)
	temporal := testkit.TemporalCLI(b)
	conn := []string{"--address", srv.HostPort, "--namespace", srv.Namespace}
	started := 0
	for _, n := range listingSizes(b) {
		start := time.Now()
		startMany(b, srv.Client, started, n)
		b.Logf("started %d workflows in %s", n-started, time.Since(start).Round(time.Second))
		started = n
		b.Run(fmt.Sprintf("runs=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				listSideBySide(b, matih, temporal, conn)
			}
		})
	}
}

// listSideBySide measures one round of the listing benchmark.
func listSideBySide(b *testing.B, matih, temporal string, conn []string) {
	ls := func(args ...string) []string { return append(append([]string{matih}, conn...), args...) }
	tl := func(args ...string) []string {
		return append(append([]string{temporal, "workflow", "list", "-o", "json"}, args...), conn...)
	}
	firsts, _ := inTurns(b, ls("ls", "--limit", "50", "-o", "json"), tl("--limit", "50"))
	// The last command is what hiding the deliveries by their workflow type cost
	// before they carried a namespace division: the same listing with that filter.
	cmds := [][]string{ls("ls", "--limit", "0", "-o", "json"), tl(), tl("-q", "WorkflowType != 'NotificationDeliveryWorkflow'")}
	// MATIH_BENCH_BASELINE_MATIH names another matih binary (an older build) to
	// measure beside this one, in the same run.
	old := os.Getenv("MATIH_BENCH_BASELINE_MATIH")
	if old != "" {
		cmds = append(cmds, append(append([]string{old}, conn...), "ls", "--limit", "0", "-o", "json"))
	}
	alls, peaks := inTurns(b, cmds...)
	first, firstT, all, allT, allF := firsts[0], firsts[1], alls[0], alls[1], alls[2]
	b.ReportMetric(peaks[0], "lsall-peak-MiB")
	b.ReportMetric(peaks[1], "temporalall-peak-MiB")
	if old != "" {
		b.ReportMetric(float64(all)/float64(alls[3]), "lsall/baseline")
		b.ReportMetric(peaks[3], "baseline-lsall-peak-MiB")
	}
	b.ReportMetric(float64(first)/float64(time.Millisecond), "ls50-ms")
	b.ReportMetric(float64(firstT)/float64(time.Millisecond), "temporal50-ms")
	b.ReportMetric(float64(first)/float64(firstT), "first-ratio")
	b.ReportMetric(float64(all)/float64(time.Millisecond), "lsall-ms")
	b.ReportMetric(float64(allT)/float64(time.Millisecond), "temporalall-ms")
	b.ReportMetric(float64(all)/float64(allT), "all-ratio")
	b.ReportMetric(float64(allF)/float64(allT), "typefilter-cost")
}
