package backfill

import (
	"time"

	"github.com/matih/ops/shared/wfstate"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/signals"
	"github.com/matih/ops/shared/status"
)

// Tuning that is not configuration: how long an auto-sized batch should run, the
// largest batch, and how often Progress is upserted.
const (
	targetBatch = time.Second
	maxBatch    = 500
	// commitShare: an auto batch holds at least commitShare × commit / work
	// partitions, so its commit is at most 1/(commitShare+1) of its time.
	commitShare   = 9
	progressEvery = 5 * time.Second
	// eventsPerTask bounds the history events one in-flight task can still add
	// (scheduled, started, completed, its workflow task, an upsert).
	eventsPerTask = 8
)

// batch is one activity task in flight.
type batch struct {
	seq   int
	parts []contract.Partition
}

// state is everything one run knows; the ledger and a few figures cross
// continue-as-new in contract.BackfillCarry.
type state struct {
	cfg        contract.BackfillConfig
	plan       plan.Plan
	todo       []int // selected partitions (only_partitions); nil means all
	total      int
	cursor     int   // next position in todo (or next index) to look at
	requeue    []int // partitions handed back unattempted
	ledger     ledger
	inflight   []batch
	seq        int
	window     int
	drainAt    int
	started    time.Time
	runs       int
	perPartMs  float64
	paused     bool
	phase      string
	lastUpsert time.Time
	longest    int
	wake       workflow.Channel // wakes the main loop after an update or a cancel
	cancelRun  workflow.CancelFunc
	cancelReq  *contract.CancelSignal
	refused    signals.Refusals
	// workMs is the moving average of a done partition's time without its commit
	// share, commitMs of a batch's commit.
	workMs, commitMs float64
	// lost counts, per unfinished partition, the tasks holding it that lost their
	// worker on every attempt.
	lost map[int]int
}

func newState(cfg contract.BackfillConfig, pl plan.Plan, todo []int) *state {
	s := &state{cfg: cfg, plan: pl, todo: todo, total: pl.N, window: cfg.MaxParallel}
	if todo != nil {
		s.total = len(todo)
	}
	if s.window <= 0 {
		s.window = contract.DefaultMaxParallel
	}
	s.window = min(s.window, contract.MaxParallelCap)
	limit := cfg.HistoryLimit
	if limit <= 0 {
		limit = contract.DefaultHistoryLimit
	}
	s.drainAt = max(limit-s.window*eventsPerTask-50, limit/4)
	if c := cfg.Carry; c != nil {
		s.started, s.runs, s.perPartMs, s.paused, s.longest = c.StartedAt, c.Runs, c.PerPartitionMs, c.Paused, c.LongestHistory
		s.workMs, s.commitMs = c.WorkMs, c.CommitMs
		s.ledger = ledger{done: c.Done, skipped: c.Skipped, failed: c.Failed, failedAt: restoreFailures(c.FailedRanges, c.Failed)}
		s.refused.Restore(c.RefusedSignals)
		s.lost = c.Lost
	}
	return s
}

// next returns the next partition that still needs work, or false.
func (s *state) next() (int, bool) {
	if n := len(s.requeue); n > 0 {
		i := s.requeue[0]
		s.requeue = s.requeue[1:]
		return i, true
	}
	for {
		var i int
		if s.todo != nil {
			if s.cursor >= len(s.todo) {
				return 0, false
			}
			i = s.todo[s.cursor]
		} else {
			if s.cursor >= s.plan.N {
				return 0, false
			}
			i = s.cursor
		}
		s.cursor++
		if !s.ledger.finished(i) {
			return i, true
		}
	}
}

// hasPending peeks without consuming: a partition taken is put back in front.
func (s *state) hasPending() bool {
	i, ok := s.next()
	if ok {
		s.requeue = append([]int{i}, s.requeue...)
	}
	return ok
}

// batchSize is partitions_per_task, or with auto commitAwareSize.
func (s *state) batchSize() int {
	if s.cfg.PartitionsPerTask > 0 {
		return s.cfg.PartitionsPerTask
	}
	return s.commitAwareSize()
}

// commitAwareSize is the auto rule: a batch carries at least about a second of
// work, and enough partitions that its one Iceberg commit is at most a tenth of the
// batch's time (n ≥ 9 × commit / work). Small partitions, where the commit would
// dominate, so get large batches, and large ones stay near one per task. Before any
// batch is measured it is one partition, so the first results arrive fast. A
// skipped partition counts as work of its (near zero) duration.
func (s *state) commitAwareSize() int {
	if s.workMs <= 0 && s.commitMs <= 0 && s.perPartMs <= 0 {
		return 1
	}
	work := max(s.workMs, 0.1) // a partition is never free
	worth := min(commitShare*s.commitMs/work, maxBatch)
	n := max(float64(targetBatch.Milliseconds())/work, worth)
	// Near the end the window-filling cap shrinks batches, but not below the size
	// whose commit is worth it: a tail of ever smaller commits costs more than a
	// slot left idle for one batch.
	return max(s.capped(int(min(n, maxBatch)+0.999)), int(worth+0.999))
}

// capped keeps n within maxBatch, and small enough that the partitions left fill
// every slot of the window.
func (s *state) capped(n int) int {
	remaining := s.total - s.ledger.finishedCount() - s.running()
	n = min(n, (remaining+s.window-1)/s.window, maxBatch)
	return max(n, 1)
}

func (s *state) running() int {
	n := 0
	for _, b := range s.inflight {
		n += len(b.parts)
	}
	return n
}

// measure folds the durations of done partitions, and the batch's commit, into the
// moving averages.
func (s *state) measure(res contract.BatchResult) {
	n, total := 0, 0.0 // skipped partitions count too: they cost next to nothing
	for _, r := range res.Results {
		ms := float64(r.Duration.D().Microseconds()) / 1000
		switch {
		case r.Status == contract.PartitionDone:
			s.perPartMs = ewma(s.perPartMs, ms)
		case r.Status != contract.PartitionSkipped:
			continue
		}
		n++
		total += ms
	}
	if ranged := count(res.Done) + count(res.Skipped); ranged > 0 { // a ranged result sums its durations
		n += ranged
		total += float64(res.Work.D().Microseconds()) / 1000
		if count(res.Done) > 0 {
			s.perPartMs = ewma(s.perPartMs, total/float64(n))
		}
	}
	if n == 0 {
		return
	}
	commit := float64(res.Commit.D().Microseconds()) / 1000
	s.workMs = ewma(s.workMs, max(total-commit, 0)/float64(n))
	if commit > 0 {
		s.commitMs = ewma(s.commitMs, commit)
	}
}

// ewma weighs the newest sample 0.3; the first sample is taken as is.
func ewma(avg, sample float64) float64 {
	if avg == 0 {
		return sample
	}
	return 0.7*avg + 0.3*sample
}

func (s *state) progress() float64 {
	if s.total == 0 {
		return 1
	}
	return float64(s.ledger.finishedCount()) / float64(s.total)
}

func (s *state) budgetExceeded() bool { return s.ledger.failedCount() > s.cfg.FailureBudget }

// upsert writes phase and progress, at most every progressEvery; force skips the
// throttle.
func (s *state) upsert(ctx workflow.Context, force bool) {
	now := workflow.Now(ctx)
	if !force && now.Sub(s.lastUpsert) < progressEvery {
		return
	}
	s.lastUpsert = now
	wfstate.Upsert(ctx, s.phase, s.progress())
}

func (s *state) setPhase(ctx workflow.Context, phase string) {
	if s.phase != phase {
		s.phase = phase
		s.upsert(ctx, true)
	}
}

// carry is what the next run starts from.
func (s *state) carry(history int) *contract.BackfillCarry {
	return &contract.BackfillCarry{StartedAt: s.started, Runs: s.runs + 1, Done: s.ledger.done, Skipped: s.ledger.skipped,
		Failed: s.ledger.failed, FailedRanges: s.ledger.failedAt, PerPartitionMs: s.perPartMs, WorkMs: s.workMs, CommitMs: s.commitMs, Paused: s.paused, LongestHistory: max(s.longest, history),
		RefusedSignals: s.refused.Summary(), Lost: s.lost}
}

// summary renders the partitions for the status query.
func (s *state) summary(now time.Time) *status.PartitionSummary {
	l := &s.ledger
	sum := &status.PartitionSummary{Total: s.total, Done: count(l.done), Skipped: count(l.skipped), Failed: l.failedCount(),
		Running: s.running(), Rows: rowsOf(l.done), Failures: l.failed, BatchSize: s.batchSize(), MaxParallel: s.window,
		Paused: s.paused, Runs: s.runs + 1,
		Ranges: status.PartitionRanges{Done: append([]contract.PartitionRange{}, l.done...), Skipped: l.skipped, Failed: l.failedAt}}
	sum.Pending = s.total - sum.Done - sum.Skipped - sum.Failed - sum.Running
	for _, b := range s.inflight {
		for _, p := range b.parts {
			sum.InFlight = append(sum.InFlight, status.RunningPartition{Index: p.Index, Key: p.Key})
		}
	}
	if secs := now.Sub(s.started).Seconds(); secs > 0 {
		finished := float64(l.finishedCount())
		sum.PartitionsPerSecond = finished / secs
		sum.RowsPerSecond = float64(sum.Rows) / secs
		if sum.PartitionsPerSecond > 0 {
			sum.ETASeconds = float64(sum.Pending+sum.Running) / sum.PartitionsPerSecond
		}
	}
	return sum
}
