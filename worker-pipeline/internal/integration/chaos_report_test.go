package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/catalog"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/codec"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

const runningStatus = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING

// isWorkflowAnswer tells an update the workflow itself refused (a duplicate
// decision) from one that never reached it.
func isWorkflowAnswer(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app)
}

// chaosReport is the table a chaos run ends with: one line per check.
type chaosReport struct {
	lines  []string
	failed []string
}

func (r *chaosReport) add(check string, ok bool, detail string) {
	mark := "ok"
	if !ok {
		mark = "FAILED"
		r.failed = append(r.failed, check)
	}
	r.lines = append(r.lines, fmt.Sprintf("| %s | %s | %s |", check, mark, detail))
}

// measure adds a figure the run measured, which has no pass or fail.
func (r *chaosReport) measure(what, detail string) {
	r.lines = append(r.lines, fmt.Sprintf("| %s | measured | %s |", what, detail))
}

// memory adds each worker's resident memory, idle and at its peak under the run,
// and writes them as benchmark figures where MATIH_CHAOS_BENCH says, for the
// table scripts/bench.sh prints.
func (r *chaosReport) memory(t *testing.T, fleets ...*fleet) {
	line := "BenchmarkChaosWorkers\t1\t0 ns/op"
	for _, f := range fleets {
		f.notePeaks()
		idle, peak := float64(f.idle)/(1<<20), float64(f.peak)/(1<<20)
		r.measure(f.name+" resident memory", fmt.Sprintf("idle %.0f MiB, peak %.0f MiB under the run (the largest of its processes)", idle, peak))
		short := strings.TrimPrefix(f.name, "worker-")
		line += fmt.Sprintf("\t%.1f %s-idle-MiB\t%.1f %s-peak-MiB", idle, short, peak, short)
	}
	if path := os.Getenv("MATIH_CHAOS_BENCH"); path != "" {
		if err := os.WriteFile(path, []byte(line+"\n"), 0o644); err != nil {
			t.Errorf("write the memory figures: %v", err)
		}
	}
}

// print logs the table, writes it where MATIH_CHAOS_REPORT says, and fails the test
// on any failed check.
func (r *chaosReport) print(t *testing.T, size chaosSize, took time.Duration) {
	mode := os.Getenv("MATIH_CHAOS")
	if os.Getenv("MATIH_CHAOS_CLUSTER") != "" {
		mode += ", on the Temporal cluster (separate services behind haproxy, TLS, PostgreSQL)"
	}
	head := fmt.Sprintf("chaos %s: %d pipelines, a backfill of %d partitions, two migrations, faults for %s, %s in all\n\n| check | result | detail |\n|---|---|---|\n",
		mode, size.pipelines, size.partitions, size.faultsFor, took.Round(time.Second))
	table := head + strings.Join(r.lines, "\n") + "\n"
	t.Log("\n" + table)
	if path := os.Getenv("MATIH_CHAOS_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Errorf("write the report: %v", err)
		}
	}
	if len(r.failed) > 0 {
		t.Errorf("failed checks: %s", strings.Join(r.failed, ", "))
	}
}

// expected is what a pipeline must end as: its decision's outcome, or either
// outcome when a cancel or a rejection raced its approval.
func (p *chaosPipeline) expected() []string {
	switch p.decision {
	case "reject":
		return []string{contract.StatusCancelled}
	case "race", "slack":
		return []string{contract.StatusCancelled, contract.StatusCompleted}
	}
	return []string{contract.StatusCompleted}
}

// outcome waits for the run and returns its status: the result's, or CANCELLED
// for a Temporal cancel.
func (p *chaosPipeline) outcome(ctx context.Context) string {
	var res contract.PipelineResult
	err := p.run.Get(ctx, &res)
	var cancelled *temporal.CanceledError
	switch {
	case errors.As(err, &cancelled):
		return contract.StatusCancelled
	case err != nil:
		return "error: " + err.Error()
	}
	return res.Status
}

// checkPipelines waits for every run, keeps its outcome in p.got for the checks
// after it, and compares it with what was expected.
func (r *chaosReport) checkPipelines(pipes []*chaosPipeline) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wrong []string
	counts := map[string]int{}
	for _, p := range pipes {
		p.got = p.outcome(ctx)
		got := p.got
		counts[got]++
		if !slices.Contains(p.expected(), got) {
			wrong = append(wrong, fmt.Sprintf("%s %s (expected %s)", p.id, got, strings.Join(p.expected(), " or ")))
		}
	}
	r.add("every pipeline closed as expected", len(wrong) == 0, fmt.Sprintf("%v %s", counts, strings.Join(wrong, "; ")))
}

// checkLate approves every closed low-quality run once more: the server must refuse
// it and nothing may change.
func (r *chaosReport) checkLate(c client.Client, pipes []*chaosPipeline) {
	accepted := 0
	sent := 0
	for _, p := range pipes {
		if !p.lowQuality {
			continue
		}
		sent++
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		h, err := c.UpdateWorkflow(ctx, updateOpts(p.id, contract.ApprovalSignal{Approved: true, Approver: "late", Reason: "after the end"}))
		if err == nil && h.Get(ctx, nil) == nil {
			accepted++
		}
		cancel()
	}
	r.add("approvals to finished runs refused", accepted == 0, fmt.Sprintf("%d sent, %d accepted", sent, accepted))
}

// checkHistories looks for workflow tasks that failed, and for non-determinism
// among them, in every run's history.
func (r *chaosReport) checkHistories(t *testing.T, c client.Client, ids []string) {
	failedTasks, nondeterministic, payloadsPlain := 0, 0, 0
	var causes, plain []string
	for _, id := range ids {
		it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				r.add("histories readable", false, id+": "+err.Error())
				return
			}
			if p := testkit.PlainPayloads(e); len(p) > 0 {
				payloadsPlain += len(p)
				if len(plain) < 5 {
					plain = append(plain, fmt.Sprintf("%s event %d %s", id, e.GetEventId(), p[0]))
				}
			}
			if a := e.GetWorkflowTaskFailedEventAttributes(); a != nil {
				failedTasks++
				causes = append(causes, fmt.Sprintf("%s event %d: %s %s", id, e.GetEventId(), a.GetCause(), oneLine(a.GetFailure().GetMessage())))
				if a.GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR {
					nondeterministic++
				}
			}
		}
	}
	r.add("no non-determinism", nondeterministic == 0, fmt.Sprintf("%d histories, %d failed workflow tasks, %d non-deterministic %s", len(ids), failedTasks, nondeterministic, strings.Join(causes, "; ")))
	if os.Getenv(codec.EnvKeys) != "" {
		r.add("every payload in history encrypted", payloadsPlain == 0, fmt.Sprintf("%d plain payloads (search attributes aside) %s", payloadsPlain, strings.Join(plain, "; ")))
	}
}

// checkTables compares each pipeline's table with its source by key: a completed
// run loaded every key once with the transform's column, a cancelled one loaded
// all or nothing.
func (r *chaosReport) checkTables(t *testing.T, cat catalog.Catalog, pipes []*chaosPipeline) {
	var wrong []string
	rows := 0
	for _, p := range pipes {
		got := orderIDs(t, cat, p.table)
		rows += len(got)
		out := p.got
		switch {
		case out == contract.StatusCompleted && !slices.Equal(p.keys, got):
			wrong = append(wrong, fmt.Sprintf("%s: %d rows for %d keys", p.table, len(got), len(p.keys)))
		case out == contract.StatusCompleted:
			if _, refs := tableKeys(t, cat, p.table); len(refs) != len(p.keys) {
				wrong = append(wrong, p.table+": without the transform's column")
			}
		case len(got) != 0 && !slices.Equal(p.keys, got):
			wrong = append(wrong, fmt.Sprintf("%s (%s): a partial load of %d rows", p.table, out, len(got)))
		}
	}
	fromPG := 0
	for _, p := range pipes {
		if p.srcTable != "" {
			fromPG++
		}
	}
	r.add("each table equals its source by key, none doubled", len(wrong) == 0,
		fmt.Sprintf("%d rows in %d tables (%d from PostgreSQL) %s", rows, len(pipes), fromPG, strings.Join(wrong, "; ")))
}

// orderIDs is every order_id in a table, sorted; none when it does not exist.
func orderIDs(t *testing.T, cat catalog.Catalog, name string) []int64 {
	tbl, err := cat.LoadTable(context.Background(), strings.Split(name, "."))
	if err != nil {
		return nil
	}
	at, err := tbl.Scan().ToArrowTable(context.Background())
	if err != nil {
		t.Errorf("scan %s: %v", name, err)
		return nil
	}
	defer at.Release()
	var ids []int64
	col := at.Column(at.Schema().FieldIndices("order_id")[0]).Data()
	for _, chunk := range col.Chunks() {
		ids = append(ids, chunk.(*array.Int64).Int64Values()...)
	}
	slices.Sort(ids)
	return ids
}
