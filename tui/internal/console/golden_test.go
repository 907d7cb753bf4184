package console

import (
	"bytes"
	"testing"
	"time"

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

func goldenModel(t *testing.T, fk *data.Fake, noColor, readOnly bool) *teatest.TestModel {
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

func keyRunes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestGoldenWorkflowsList(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	waitOut(t, tm, "awaiting approval 1")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenWorkflowsListNoColor(t *testing.T) {
	tm := goldenModel(t, demoFake(), true, true)
	waitOut(t, tm, "awaiting approval 1")
	tm.Send(tea.KeyMsg{Type: tea.KeyShiftTab})
	waitOut(t, tm, "migration-add_region")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenWorkflowsList16Colors(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	tm := goldenModel(t, demoFake(), false, false)
	waitOut(t, tm, "awaiting approval")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenDetail(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	waitOut(t, tm, "awaiting approval 1")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOut(t, tm, "unique_id")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenApproveDialog(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	waitOut(t, tm, "awaiting approval 1")
	tm.Send(keyRunes("a"))
	waitOut(t, tm, "Approve this run")
	tm.Type("known gap")
	waitOut(t, tm, "gap")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenCancelDialog(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	waitOut(t, tm, "awaiting approval 1")
	tm.Send(keyRunes("c"))
	waitOut(t, tm, "Cancel this run")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenHelp(t *testing.T) {
	tm := goldenModel(t, demoFake(), false, false)
	waitOut(t, tm, "awaiting approval 1")
	tm.Send(keyRunes("?"))
	waitOut(t, tm, "Keys for the workflows list")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenDisconnectedBanner(t *testing.T) {
	fk := demoFake()
	tm := goldenModel(t, fk, false, false)
	waitOut(t, tm, "awaiting approval 1")
	fk.SetDown(true)
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlR})
	waitOut(t, tm, "DISCONNECTED")
	golden.RequireEqual(t, finalView(t, tm))
}
