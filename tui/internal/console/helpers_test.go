package console

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/matih/ops/tui/internal/data/datafake"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

var fixedNow = time.Date(2026, 2, 12, 9, 0, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

// demoFake holds a small, realistic set of runs: one waiting for approval.
func demoFake() *datafake.Fake {
	at := func(min int) time.Time { return fixedNow.Add(-time.Duration(min) * time.Minute) }
	closed := at(3)
	waiting := "pipeline-sales-2026-02-12T08:30:00.000000"
	fk := &datafake.Fake{Rows: []data.Row{
		{WorkflowID: waiting, RunID: "run-1", Type: contract.DataPipelineWorkflow, Status: status.WorkflowRunning, Phase: contract.PhaseAwaitingApproval, Progress: f(0.5), QualityScore: f(0.5), StartedAt: at(30)},
		{WorkflowID: "pipeline-orders-2026-02-12T08:50:00.000000", RunID: "run-2", Type: contract.DataPipelineWorkflow, Status: status.WorkflowRunning, Phase: contract.PhaseLoading, Progress: f(0.8), StartedAt: at(10)},
		{WorkflowID: "backfill-sales-2026-02-11T22:00:00.000000", RunID: "run-3", Type: contract.DataBackfillWorkflow, Status: status.WorkflowCompleted, Phase: contract.PhaseCompleted, Progress: f(1), StartedAt: at(600), ClosedAt: &closed},
		{WorkflowID: "migration-add_region", RunID: "run-4", Type: contract.SchemaMigrationWorkflow, Status: status.WorkflowFailed, Phase: contract.PhaseFailed, StartedAt: at(45), ClosedAt: &closed},
	}, Docs: map[string]status.Document{}}
	deadline := fixedNow.Add(3*time.Hour + 30*time.Minute)
	started := at(29)
	fk.Docs[waiting] = status.Document{WorkflowID: waiting, RunID: "run-1", WorkflowType: contract.DataPipelineWorkflow, TaskQueue: contract.PipelineQueue,
		Status: status.WorkflowRunning, Phase: contract.PhaseAwaitingApproval, StartedAt: at(30), Progress: 0.5, ProgressSource: status.SourceQuery,
		Activities: []status.Activity{
			{Name: contract.ActivityExtractData, Status: status.ActivityCompleted, Duration: "1m 3s", StartedAt: &started, Attempts: 1},
			{Name: contract.ActivityValidateQuality, Status: status.ActivityCompleted, Duration: "12s", Attempts: 2, LastFailure: "staging file locked"},
		},
		Retries: 1, PendingSignals: []string{contract.SignalApproval},
		Approval: &status.Approval{Deadline: deadline, MinScore: 0.9},
		Quality: &contract.QualityResult{Score: 0.5, Rows: 1200, Checks: []contract.CheckResult{
			{Name: "not_null_region", Type: contract.CheckNotNull, Passed: false, FailedRows: 600, TotalRows: 1200, Samples: []string{"row 7: region is null"}},
			{Name: "unique_id", Type: contract.CheckUnique, Passed: true, TotalRows: 1200},
		}}}
	return fk
}

func newTestModel(t *testing.T, fk *datafake.Fake, mod func(*Options)) (*Model, string) {
	t.Helper()
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	opts := Options{Identity: "ana@bastion (ssh 10.0.0.5)", Audit: &audit.Log{Path: auditPath}, Now: func() time.Time { return fixedNow },
		Server: "matih-pipelines @ localhost:7233", NoColor: true}
	if mod != nil {
		mod(&opts)
	}
	m := New(fk, opts)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(m, m.Init())
	// Tests start from the workflows list; opening on the inbox is tested on its own.
	if topName(m) == viewInbox {
		m.Update(backMsg{})
	}
	m.touched = false
	return m, auditPath
}

// drive runs commands and feeds their messages back into Update until nothing quick is
// left; commands that wait (refresh ticks, long polls) are dropped after a short time.
func drive(m *Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0 && steps < 200; steps++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(150 * time.Millisecond): // ticks and long polls block; fakes answer at once
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			return
		default:
			if fmt.Sprintf("%T", msg) == "cursor.initialBlinkMsg" || fmt.Sprintf("%T", msg) == "cursor.BlinkMsg" {
				continue
			}
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// press sends keys: names such as "enter", "esc", "tab", "down", or text typed as runes.
func press(m *Model, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyMsg{Type: tea.KeyShiftTab}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "pgdown":
			msg = tea.KeyMsg{Type: tea.KeyPgDown}
		case "ctrl+r":
			msg = tea.KeyMsg{Type: tea.KeyCtrlR}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, cmd := m.Update(msg)
		drive(m, cmd)
	}
}

func teaSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func teaKey(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// lv is the workflows list at the bottom of the stack.
func lv(m *Model) *listView { return m.stack[0].(*listView) }

// dv is the detail view on top.
func dv(m *Model) *detailView { return m.top().(*detailView) }

// topName names the view on top.
func topName(m *Model) string {
	switch m.top().(type) {
	case *listView:
		return viewList
	case *detailView:
		return viewDetail
	case *inboxView:
		return viewInbox
	case *failuresView:
		return viewFailures
	case *backfillView:
		return viewBackfill
	}
	return "?"
}
