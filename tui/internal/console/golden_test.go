package console

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/matih/ops/tui/internal/data/datafake"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
)

// Golden renders at 80x24 with the ASCII profile (set in init); `go test -update`
// in this package rewrites testdata/*.golden.

func init() { time.Local = time.UTC }

func goldenModel(t *testing.T, fk *datafake.Fake, noColor, readOnly bool) *teatest.TestModel {
	t.Helper()
	opts := Options{Identity: "ana@bastion (ssh 10.0.0.5)", Audit: &audit.Log{Path: t.TempDir() + "/audit.log"},
		Now: func() time.Time { return fixedNow }, Server: "matih-pipelines @ localhost:7233", NoColor: noColor, ReadOnly: readOnly}
	return teatest.NewTestModel(t, New(fk, opts), teatest.WithInitialTermSize(80, 24))
}

func waitOut(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func finalView(t *testing.T, tm *teatest.TestModel) []byte {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return []byte(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View())
}

// toList waits for the inbox the console opens on (the demo has a run waiting), then
// goes back to the workflows list and waits for its counts.
func toList(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	waitOut(t, tm, "APPROVALS · 1 waiting")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitOut(t, tm, "approval 1")
}

func keyRunes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestGoldenWorkflowsList(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	toList(t, tm)
	golden.RequireEqual(t, finalView(t, tm))
}

// Read-only and NO_COLOR: no action is offered, the active tab is marked by brackets.
func TestGoldenWorkflowsListNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	tm := goldenModel(t, demoFake(), false, true)
	toList(t, tm)
	tm.Send(tea.KeyMsg{Type: tea.KeyShiftTab})
	waitOut(t, tm, "migration-add_region")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenWorkflowsList16Colors(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	tm := goldenModel(t, demoFake(), false, false)
	toList(t, tm)
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenDetail(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	toList(t, tm)
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOut(t, tm, "unique_id")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenApproveDialog(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	toList(t, tm)
	tm.Send(keyRunes("a"))
	waitOut(t, tm, "Approve this run")
	tm.Type("known gap")
	waitOut(t, tm, "gap")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenCancelDialog(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	toList(t, tm)
	tm.Send(keyRunes("c"))
	waitOut(t, tm, "Cancel this run")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenHelp(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	toList(t, tm)
	tm.Send(keyRunes("?"))
	waitOut(t, tm, "Keys for the workflows list")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenDisconnectedBanner(t *testing.T) {
	fk := demoFake()
	tm := goldenModel(t, fk, false, false)
	toList(t, tm)
	fk.SetDown(true)
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlR})
	waitOut(t, tm, "DISCONNECTED")
	golden.RequireEqual(t, finalView(t, tm))
}

// threeWaiting adds two more runs waiting for approval, with later and earlier deadlines.
func threeWaiting() *datafake.Fake {
	fk := demoFake()
	base := fk.Docs[waitingID]
	for i, d := range []time.Duration{30 * time.Minute, 6 * time.Hour} {
		id := fmt.Sprintf("pipeline-orders%d-2026-02-12T08:4%d:00.000000", i, i)
		row := fk.Rows[0]
		row.WorkflowID, row.RunID = id, fmt.Sprintf("run-w%d", i)
		fk.Rows = append(fk.Rows, row)
		doc := base
		doc.WorkflowID, doc.RunID = id, row.RunID
		ap := *base.Approval
		ap.Deadline = fixedNow.Add(d)
		doc.Approval = &ap
		fk.Docs[id] = doc
	}
	return fk
}

func TestGoldenInboxOfThree(t *testing.T) {
	tm := goldenModel(t, threeWaiting(), false, false)
	waitOut(t, tm, "APPROVALS · 3 waiting")
	golden.RequireEqual(t, finalView(t, tm))
}

// A run whose workflow did not answer its status query (its worker gone, or the
// server failing over) stays in the inbox with its gate unknown, and can still be
// approved: the list never reads one run short.
func TestAnInboxRunWhoseQueryDidNotAnswerStaysAndCanBeApproved(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	doc.Approval = nil
	fk.Docs[waitingID] = doc
	tm := goldenModel(t, fk, true, false)
	waitOut(t, tm, "> ?") // the inbox, its run selected, the time left unknown
	tm.Send(keyRunes("a"))
	waitOut(t, tm, "Approve this run")
}

func TestGoldenEmptyInbox(t *testing.T) {
	fk := demoFake()
	fk.Rows = fk.Rows[1:] // nothing waits
	tm := goldenModel(t, fk, false, false)
	waitOut(t, tm, "approval 0")
	tm.Send(keyRunes("i"))
	waitOut(t, tm, "nothing waits for a human")
	golden.RequireEqual(t, finalView(t, tm))
}

// Each failure class has its own banner; the data on screen stays, with its age.
func TestGoldenErrorBanners(t *testing.T) {
	for name, err := range map[string]error{
		"unauthenticated": fmt.Errorf("%w: API key expired", data.ErrUnauthenticated),
		"permission":      fmt.Errorf("%w: ana may not list workflows", data.ErrPermission),
		"namespace":       fmt.Errorf("%w: namespace matih-pipelines not found", data.ErrNamespace),
		"ratelimited":     fmt.Errorf("%w: namespace rps limit exceeded", data.ErrRateLimited),
		"other":           errors.New("internal: persistence failure"),
	} {
		t.Run(name, func(t *testing.T) {
			fk := demoFake()
			tm := goldenModel(t, fk, false, false)
			toList(t, tm)
			fk.SetErr(err)
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlR})
			waitOut(t, tm, "retry in")
			golden.RequireEqual(t, finalView(t, tm))
		})
	}
}

func TestGoldenFailures(t *testing.T) {
	fk := demoFake()
	at := func(m int) time.Time { return fixedNow.Add(-time.Duration(m) * time.Minute) }
	fk.Failed = []data.Failure{
		{WorkflowID: "pipeline-sales-2026-02-12T08:00:00.000000", ErrorType: "SourceUnavailable", Activity: "extract_data", Message: "dial 10.0.0.1:5432: connection refused", BuildID: "matih-worker-pipeline.4f2a9c1d", ClosedAt: at(50)},
		{WorkflowID: "pipeline-orders-2026-02-12T08:10:00.000000", ErrorType: "SourceUnavailable", Activity: "extract_data", Message: "dial 10.0.0.2:5432: connection refused", BuildID: "matih-worker-pipeline.4f2a9c1d", ClosedAt: at(20)},
		{WorkflowID: "migration-add_region", ErrorType: "Terminated", Message: "stuck for 3 hours", ClosedAt: at(5)},
	}
	tm := goldenModel(t, fk, false, false)
	toList(t, tm)
	tm.Send(keyRunes("f"))
	waitOut(t, tm, "2 groups")
	golden.RequireEqual(t, finalView(t, tm))
}
