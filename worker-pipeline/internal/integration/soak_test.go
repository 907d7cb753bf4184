package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/testkit/s3fake"
	"github.com/matih/ops/worker-pipeline/internal/demo"
)

// soakPlan is the load of one soak (scripts/bench.sh soak): MATIH_SOAK is how long
// it lasts (1h); MATIH_SOAK_WINDOW how often the table reports (5m).
type soakPlan struct {
	duration, window, every, sample time.Duration
	partitions, backfills           int
}

func soakPlanFromEnv(t *testing.T) soakPlan {
	if os.Getenv("MATIH_SOAK") == "" {
		t.Skip("the soak is scripts/bench.sh soak (MATIH_SOAK=1h)")
	}
	p := soakPlan{window: 5 * time.Minute, every: 5 * time.Second, sample: 20 * time.Second, partitions: 2000, backfills: 4}
	var err error
	if p.duration, err = time.ParseDuration(os.Getenv("MATIH_SOAK")); err != nil || p.duration < 2*time.Minute {
		t.Fatalf("MATIH_SOAK: expected a duration of at least 2m, such as 1h, got %q", os.Getenv("MATIH_SOAK"))
	}
	if w := os.Getenv("MATIH_SOAK_WINDOW"); w != "" {
		if p.window, err = time.ParseDuration(w); err != nil || p.window < time.Minute || p.window*3 > p.duration {
			t.Fatalf("MATIH_SOAK_WINDOW: expected a duration from 1m to a third of MATIH_SOAK, got %q", w)
		}
	}
	p.partitions = testkit.EnvInt(t, "MATIH_SOAK_PARTITIONS", p.partitions, 10)
	return p
}

// TestSoak runs an hour of steady load on the production server's shape (separate
// frontend, history and matching hosts behind haproxy, TLS, authorization,
// PostgreSQL), with every payload encrypted: a pipeline every 5 s, every fourth
// below its quality bar and approved by the update the console sends; a backfill
// of 2,000 daily partitions every quarter of the run; the console open in tmux and
// two clients polling the API. It samples each worker's, matih serve's and the
// console's memory, goroutines and descriptors, and times every approval and API
// status read; the table per window goes to MATIH_SOAK_REPORT. It fails when a
// process grows by more than 10% from the second window to the last, when approval
// p99 leaves 1.5x its first window's, or when a run does not end as it should.
func TestSoak(t *testing.T) {
	plan := soakPlanFromEnv(t)
	testkit.CodecKeys(t)
	srv := testkit.StartPostgresCluster(t).DevServer
	s3 := s3fake.Start(t, "lake")
	dir := t.TempDir()
	clean, low, bfDB := filepath.Join(dir, "clean.db"), filepath.Join(dir, "low.db"), filepath.Join(dir, "backfill.db")
	createOrders(t, clean, 2000, 0)
	createOrders(t, low, 2000, 0.3)
	require.NoError(t, demo.CreateOrders(context.Background(), bfDB, demo.OrdersSpec{Rows: plan.partitions * 2, Days: plan.partitions, Seed: 5,
		Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}))
	conns := testkit.ConnectionsFile(t, dir, testkit.SQLiteConn("soak-clean", clean), testkit.SQLiteConn("soak-low", low), testkit.SQLiteConn("soak-backfill", bfDB))

	env := append(s3.Env(), srv.ClientEnv(t, "worker", "worker-pipeline")...)
	pipeline := newFleet(t, srv.Client, workerBin, env, "--address", srv.HostPort, "--connections", conns, "--data-dir", "data",
		"--staging-url", "s3://lake/staging", "--catalog-uri", filepath.Join(dir, "catalog.db"), "--warehouse", "s3://lake/warehouse", "--log-level", "warn")
	pipeline.start(2)
	infra := startInfra(t, srv.Client, srv.HostPort, conns, srv.ClientEnv(t, "worker", "worker-infra"))
	notify, _ := startNotify(t, srv.Client, srv.HostPort, testkit.StartSlackServer(t, chaosSlackChannel), srv.ClientEnv(t, "worker", "worker-notify"))
	con := startConsole(t, srv.HostPort, srv.ClientEnv(t, "reader", "console"))
	tui := startSoakConsole(t, con)

	probes := append(append(append(pipeline.probes(), notify.probes()...), infra.probes()...), metricsProbe("matih serve", con.api), tui.probe())
	load := &soakLoad{c: srv.Client, plan: plan, began: time.Now(), api: con.api}
	ctx, stop := context.WithTimeout(context.Background(), plan.duration)
	defer stop()
	var wg sync.WaitGroup
	for _, f := range []func(context.Context){load.pipelines, load.backfills, load.apiClient, load.apiClient} {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	samples := sampleUntil(ctx, probes, plan.sample)
	wg.Wait()
	load.approvals.Wait()

	rep := newSoakReport(plan, load, probes, <-samples)
	rep.checkRuns(t, load, 15*time.Minute)
	rep.checkConsole(tui, len(load.pipelineIDs)+len(load.backfillIDs))
	rep.write(t)
}

// soakLoad starts the runs and decides the approvals; what it measured is kept
// for the report.
type soakLoad struct {
	c     client.Client
	plan  soakPlan
	began time.Time
	api   string

	mu             sync.Mutex
	pipelineIDs    []string
	startedAt      []time.Time
	backfillIDs    []string
	approvalTimes  []timed
	statusTimes    []timed
	startErrors    []string
	approvalErrors []string
	apiErrors      int
	approvals      sync.WaitGroup
}

// timed is one measured call: when it was sent and how long it took.
type timed struct {
	at   time.Time
	took time.Duration
}

// pipelines starts one pipeline every plan.every; every fourth reads the source
// below its quality bar and is approved once it waits.
func (l *soakLoad) pipelines(ctx context.Context) {
	tick := time.NewTicker(l.plan.every)
	defer tick.Stop()
	for n := 0; ctx.Err() == nil; n++ {
		id, conn := fmt.Sprintf("pipeline-soak-%04d", n), "soak-clean"
		if n%4 == 3 {
			conn = "soak-low"
		}
		// Its own deadline, not the load's: a start cut short at the end could still
		// have started the run.
		startCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := l.c.ExecuteWorkflow(startCtx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue, WorkflowExecutionTimeout: time.Hour},
			contract.DataPipelineWorkflow, cfgFor(conn, fmt.Sprintf("analytics.soak_%04d", n)))
		cancel()
		l.mu.Lock()
		if err != nil {
			l.startErrors = append(l.startErrors, fmt.Sprintf("%s: %v", id, err))
		} else {
			l.pipelineIDs, l.startedAt = append(l.pipelineIDs, id), append(l.startedAt, time.Now())
		}
		l.mu.Unlock()
		if err == nil && conn == "soak-low" {
			l.approvals.Add(1)
			go func() { defer l.approvals.Done(); l.approve(id) }()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// approve waits until the run waits for approval and sends the approval update, as
// the console does, timing it from sent to the workflow's answer.
func (l *soakLoad) approve(id string) {
	if !waitAwaiting(l.c, id, 20*time.Minute) {
		l.fail(&l.approvalErrors, id+": never waited for approval")
		return
	}
	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := l.c.UpdateWorkflow(ctx, updateOpts(id, contract.ApprovalSignal{Approved: true, Approver: "soak@bastion", Reason: "steady load"}))
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		l.fail(&l.approvalErrors, fmt.Sprintf("%s: %v", id, err))
		return
	}
	l.mu.Lock()
	l.approvalTimes = append(l.approvalTimes, timed{sent, time.Since(sent)})
	l.mu.Unlock()
}

func (l *soakLoad) fail(list *[]string, msg string) {
	l.mu.Lock()
	*list = append(*list, msg)
	l.mu.Unlock()
}

// backfills starts a backfill of plan.partitions daily partitions at the start of
// each quarter of the run.
func (l *soakLoad) backfills(ctx context.Context) {
	end := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, l.plan.partitions).Format(time.DateOnly)
	for n := 0; n < l.plan.backfills; n++ {
		id := fmt.Sprintf("backfill-soak-%d", n)
		cfg := contract.BackfillConfig{PipelineID: "orders-soak", Source: contract.SourceConfig{Connection: "soak-backfill", Table: "orders"},
			PartitionColumn: "order_date", StartDate: "2020-01-01", EndDate: end, PartitionSize: contract.PartitionDay,
			Destination: contract.DestinationConfig{Table: fmt.Sprintf("analytics.soak_backfill_%d", n)}, MaxParallel: 2}
		_, err := l.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue, WorkflowExecutionTimeout: 2 * time.Hour},
			contract.DataBackfillWorkflow, cfg)
		if err != nil {
			l.fail(&l.startErrors, fmt.Sprintf("%s: %v", id, err))
		} else {
			l.mu.Lock()
			l.backfillIDs = append(l.backfillIDs, id)
			l.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.plan.duration / time.Duration(l.plan.backfills)):
		}
	}
}

// soakConsole is the console, open in a private tmux server at 80x24 for the
// whole run, refreshing its list as an on-call engineer's would.
type soakConsole struct {
	socket string
	pid    int
}

func startSoakConsole(t *testing.T, con *console) *soakConsole {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("the soak keeps a console open in tmux, which is not installed")
	}
	s := &soakConsole{socket: fmt.Sprintf("matih-soak-%d", os.Getpid())}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	var env strings.Builder
	for _, kv := range con.env {
		env.WriteString("export " + shellQuote(kv) + "; ")
	}
	cmd := env.String() + "exec " + strings.Join(append([]string{con.bin}, con.args()...), " ")
	out, err := exec.Command("tmux", "-L", s.socket, "new-session", "-d", "-s", "soak", "-x", "80", "-y", "24", cmd).CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command("tmux", "-L", s.socket, "display", "-p", "-t", "soak", "#{pane_pid}").Output()
	require.NoError(t, err)
	_, err = fmt.Sscan(string(out), &s.pid)
	require.NoError(t, err)
	// It opens on the approvals inbox while nothing is running; esc shows the list
	// of runs, which it then keeps refreshing.
	require.Eventually(t, func() bool { return strings.Contains(s.screen(), "MATIH console") }, time.Minute, 200*time.Millisecond, "the console never drew")
	out, err = exec.Command("tmux", "-L", s.socket, "send-keys", "-t", "soak", "Escape").CombinedOutput()
	require.NoError(t, err, string(out))
	return s
}

func (s *soakConsole) screen() string {
	out, _ := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-t", "soak").Output()
	return string(out)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
