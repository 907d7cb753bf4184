package console

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/tui/internal/data/datafake"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
)

const gridID = "backfill-orders-2026-02-12T08:00:00.000000"

// backfillDoc is a running backfill of total partitions: the first done done, then
// failed failures (two errors), then running in flight, the rest pending.
func backfillDoc(total, done, failed, running int) status.Document {
	p := &status.PartitionSummary{Total: total, Done: done, Failed: failed, Running: running,
		Pending: total - done - failed - running, PartitionsPerSecond: 12.5, BatchSize: 25, MaxParallel: 4, Runs: 3}
	p.Ranges.Done = []contract.PartitionRange{{From: 0, To: done}}
	if failed > 0 {
		p.Ranges.Failed = []contract.PartitionRange{{From: done, To: done + failed}}
	}
	for i := done; i < done+failed && len(p.Failures) < 100; i++ {
		msg := fmt.Sprintf("source row %d: amount is not a number", i)
		if i%3 == 0 {
			msg = "connection reset by peer"
		}
		p.Failures = append(p.Failures, contract.PartitionFailure{Partition: contract.Partition{Index: i, Key: fmt.Sprintf("p%05d", i)}, Attempts: 3, Error: msg})
	}
	for i := done + failed; i < done+failed+running; i++ {
		p.InFlight = append(p.InFlight, status.RunningPartition{Index: i, Key: fmt.Sprintf("p%05d", i)})
	}
	return status.Document{WorkflowID: gridID, RunID: "run-b", WorkflowType: contract.DataBackfillWorkflow,
		Status: status.WorkflowRunning, Phase: contract.PhaseProcessing, Partitions: p, ProgressSource: status.SourceQuery}
}

func gridFake(doc status.Document) *datafake.Fake {
	fk := demoFake()
	fk.Rows = append([]data.Row{{WorkflowID: gridID, RunID: "run-b", Type: contract.DataBackfillWorkflow, Status: status.WorkflowRunning,
		Phase: contract.PhaseProcessing, StartedAt: fixedNow.Add(-time.Hour)}}, fk.Rows...)
	fk.Docs[gridID] = doc
	return fk
}

// openGrid opens the grid from the list by enter on the backfill (the first row).
func openGrid(t *testing.T, doc status.Document) *Model {
	t.Helper()
	m, _ := newTestModel(t, gridFake(doc), nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	require.Equal(t, viewBackfill, topName(m), "enter on a backfill opens its grid")
	return m
}

func TestEnterOnABackfillOpensItsGridAndBOpensItFromTheList(t *testing.T) {
	m := openGrid(t, backfillDoc(30, 20, 2, 3))
	out := m.View()
	assert.Contains(t, out, "BACKFILL "+gridID)
	assert.Contains(t, out, "done 20 · running 3 · failed 2 · skipped 0 · pending 5 of 30")
	assert.Contains(t, out, "  DDDDDDDDDDDDDDDDDDDDFFRRR.....")
	assert.Contains(t, out, "run 3 of chain")

	send(m, backMsg{})
	send(m, keyRunes("b"))
	assert.Equal(t, viewBackfill, topName(m))

	send(m, backMsg{})
	send(m, tea.KeyMsg{Type: tea.KeyDown}) // a pipeline run
	send(m, keyRunes("b"))
	assert.Equal(t, viewList, topName(m), "b on a run that is not a backfill opens nothing")
	assert.Contains(t, m.View(), "backfill grid: select a DataBackfillWorkflow first")
}

func TestTheGridGroupsFailedPartitionsByError(t *testing.T) {
	m := openGrid(t, backfillDoc(30, 10, 9, 0))
	out := m.View()
	assert.Contains(t, out, "FAILED 9 partitions")
	assert.Contains(t, out, "6× source row N: amount is not a number · 3 attempts · p00010 p00011")
	assert.Contains(t, out, "3× connection reset by peer · 3 attempts · p00012 p00015 p00018")
}

func TestALargeBackfillSummarisesIntoCellsThatFit(t *testing.T) {
	m := openGrid(t, backfillDoc(100_000, 40_000, 300, 8))
	out := m.View()
	assert.Contains(t, out, "1 cell = 92 partitions (worst)")
	assert.LessOrEqual(t, strings.Count(out, "\n")+1, 24, "the frame keeps to the terminal")
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, len([]rune(line)), 80)
	}
}

func TestTheGridFollowsARunningBackfill(t *testing.T) {
	fk := gridFake(backfillDoc(30, 10, 0, 2))
	m, _ := newTestModel(t, fk, nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	fk.Docs[gridID] = backfillDoc(30, 25, 0, 2)
	send(m, backfillTickMsg{id: gridID})
	assert.Contains(t, m.View(), "done 25 · running 2")
}

func TestGoldenBackfillGrids(t *testing.T) {
	for name, doc := range map[string]status.Document{
		"30":       backfillDoc(30, 20, 2, 3),
		"5000":     backfillDoc(5000, 3100, 0, 8),
		"100000":   backfillDoc(100_000, 61_000, 0, 8),
		"failures": backfillDoc(400, 250, 40, 4),
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("NO_COLOR", "1")
			m := openGrid(t, doc)
			golden.RequireEqual(t, []byte(m.View()))
		})
	}
}

// BenchmarkGridView: the View at 100,000 partitions costs about what it costs at
// 1,000 (the cells are computed on load, and are as many whatever the total).
func BenchmarkGridView(b *testing.B) {
	for _, n := range []int{1000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := newBackfillView(gridID)
			v.setSize(80, 20)
			v.loaded(backfillDoc(n, n/2, n/100, 8), fixedNow)
			e := &env{}
			for b.Loop() {
				_ = v.view(e)
			}
		})
	}
}

// send delivers msg and runs what it asks for.
func send(m *Model, msg tea.Msg) {
	_, cmd := m.Update(msg)
	drive(m, cmd)
}

// Pause and resume from the grid send the backfill's signals as the console's
// identity, with the typed reason or a default, and are audited; a read-only
// console sends nothing.
func TestTheGridPausesAndResumesTheBackfill(t *testing.T) {
	fk := gridFake(backfillDoc(30, 20, 2, 3))
	m, auditPath := newTestModel(t, fk, nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	require.Equal(t, viewBackfill, topName(m))
	assert.Contains(t, m.View(), "p pause • u resume • c cancel run")

	press(m, "p")
	assert.Contains(t, m.View(), "Pause this backfill (partitions in flight finish)")
	press(m, "source maintenance", "enter")
	press(m, "u", "enter")
	calls := strings.Join(fk.Calls, "\n")
	assert.Contains(t, calls, "pause "+gridID+" by=ana@bastion (ssh 10.0.0.5) reason=source maintenance")
	assert.Contains(t, calls, "resume "+gridID+" by=ana@bastion (ssh 10.0.0.5) reason="+DefaultResumeReason)
	logged, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Contains(t, string(logged), `"action":"pause"`)
	assert.Contains(t, string(logged), `"action":"resume"`)

	ro := gridFake(backfillDoc(30, 20, 2, 3))
	m, _ = newTestModel(t, ro, func(o *Options) { o.ReadOnly, o.ReadOnlyWhy = true, "--read-only" })
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	assert.NotContains(t, m.View(), "p pause", "a read-only console offers no action")
	press(m, "p")
	assert.Contains(t, m.View(), "read-only console (--read-only): pause is not offered, nothing was sent")
	assert.NotContains(t, strings.Join(ro.Calls, "\n"), "pause "+gridID)
}

// e on the grid shows each attempt's error for the partitions of the selected
// failure group (the one marked ›), the last attempt's included; e or esc goes back
// to the grid, and a grid without failures ignores it.
func TestEachAttemptOfAFailedPartitionIsShown(t *testing.T) {
	doc := backfillDoc(30, 20, 2, 0)
	doc.Status = status.WorkflowFailed
	for i := range doc.Partitions.Failures {
		doc.Partitions.Failures[i].Error = "connection reset by peer"
		doc.Partitions.Failures[i].AttemptErrors = []contract.AttemptError{{Attempt: 1, Error: "object store: 503 slow down"}, {Attempt: 2, Error: "worker lost"}}
	}
	m := openGrid(t, doc)
	grid := m.View()
	assert.Contains(t, grid, "e: each attempt of ›")
	assert.Contains(t, grid, " ›   2× connection reset by peer")

	press(m, "e")
	screen := m.View()
	assert.Contains(t, screen, "ATTEMPTS · 2× connection reset by peer")
	for _, want := range []string{"p00020 · 3 attempts", "  #1 object store: 503 slow down", "  #2 worker lost", "  #3 (last) connection reset by peer", "p00021 · 3 attempts"} {
		assert.Contains(t, screen, want)
	}
	assert.Equal(t, viewBackfill, topName(m))
	send(m, tea.KeyMsg{Type: tea.KeyEsc})
	assert.Equal(t, viewBackfill, topName(m), "esc closes the panel, not the grid")
	assert.NotContains(t, m.View(), "ATTEMPTS")
	press(m, "e", "e")
	assert.NotContains(t, m.View(), "ATTEMPTS", "e closes it too")

	clean := openGrid(t, backfillDoc(30, 20, 0, 3))
	press(clean, "e")
	assert.NotContains(t, clean.View(), "ATTEMPTS", "no failure, no panel")
}
