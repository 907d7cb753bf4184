package console

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/tui/internal/data/datafake"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
)

const waitingID = "pipeline-sales-2026-02-12T08:30:00.000000"

func TestFirstPageLoadsBeforeCountsAndTabsSwitchQuery(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	require.NotEmpty(t, fk.Calls)
	assert.True(t, strings.HasPrefix(fk.Calls[0], "list "), "first call is the first page: %v", fk.Calls)
	assert.Len(t, lv(m).rows, 2, "running tab")
	assert.Equal(t, []int64{2, 1, 1, 1, 4}, lv(m).counts)
	assert.Contains(t, m.View(), "[running 2]", "the active tab is marked without colour too")

	press(m, "tab")
	assert.Equal(t, 1, lv(m).tab)
	require.Len(t, lv(m).rows, 1)
	assert.Equal(t, waitingID, lv(m).rows[0].WorkflowID)
	assert.Contains(t, m.View(), "AWAITING_APPROVAL")

	press(m, "shift+tab", "shift+tab")
	assert.Equal(t, "all", data.Tabs[lv(m).tab].Name)
	assert.Len(t, lv(m).rows, 4)
}

func TestNavigationAndPagingByToken(t *testing.T) {
	fk := &datafake.Fake{Docs: map[string]status.Document{}, MaxPage: 500}
	for i := 0; i < 2500; i++ {
		fk.Rows = append(fk.Rows, data.Row{WorkflowID: fmt.Sprintf("wf-%04d", i), RunID: fmt.Sprint(i), Status: status.WorkflowRunning, StartedAt: fixedNow})
	}
	m, _ := newTestModel(t, fk, nil)
	require.Len(t, lv(m).rows, 500, "one page, as large as the server gives")
	assert.Equal(t, 500, lv(m).pageSize, "the page size follows the server's maximum")
	press(m, "down", "down", "up")
	assert.Equal(t, 1, lv(m).cursor)
	press(m, "G")
	assert.Len(t, lv(m).rows, 2500, "G loads every page left")
	assert.Nil(t, lv(m).next)
	assert.Len(t, fk.CallsWith(`list "ExecutionStatus = 'Running'" 2000`), 1, "by token, once each")
	sel, _ := lv(m).selection()
	assert.Equal(t, "wf-2499", sel.id, "and lands on the last row")
	press(m, "g")
	assert.Equal(t, 0, lv(m).cursor)
	press(m, "pgdown")
	assert.Equal(t, lv(m).rowsShown(), lv(m).cursor)
	view := m.View()
	assert.Equal(t, 24, len(strings.Split(view, "\n")), "exactly one screen")
	assert.Contains(t, view, "2500 loaded")
}

// Deep in a long list, a refresh merges the newest page and keeps everything paged in,
// with the cursor on the same run.
func TestRefreshKeepsTheCursorAtRow5000(t *testing.T) {
	fk := &datafake.Fake{Docs: map[string]status.Document{}}
	for i := 0; i < 6000; i++ {
		fk.Rows = append(fk.Rows, data.Row{WorkflowID: fmt.Sprintf("wf-%04d", i), RunID: fmt.Sprint(i), Status: status.WorkflowRunning,
			StartedAt: fixedNow.Add(-time.Duration(i) * time.Second)})
	}
	m, _ := newTestModel(t, fk, nil)
	press(m, "G")
	require.Len(t, lv(m).rows, 6000)
	lv(m).cursor = 5000
	lv(m).clamp()
	// Two runs start, one on screen changes phase.
	newer := []data.Row{
		{WorkflowID: "wf-new-1", RunID: "n1", Status: status.WorkflowRunning, StartedAt: fixedNow.Add(2 * time.Second)},
		{WorkflowID: "wf-new-0", RunID: "n0", Status: status.WorkflowRunning, StartedAt: fixedNow.Add(time.Second)},
	}
	fk.Rows = append(newer, fk.Rows...)
	fk.Rows[2].Phase = contract.PhaseLoading
	press(m, "ctrl+r")
	assert.Len(t, lv(m).rows, 6002, "nothing paged in is dropped, nothing doubled")
	sel, _ := lv(m).selection()
	assert.Equal(t, "wf-5000", sel.id)
	assert.Equal(t, "wf-new-1", lv(m).rows[0].WorkflowID)
	assert.Equal(t, contract.PhaseLoading, lv(m).rows[2].Phase, "the refreshed page's state wins")
}

// A next page asked before a tab switch, or answered twice, changes nothing.
func TestAnswersOutOfOrderNeitherDuplicateNorDrop(t *testing.T) {
	fk := &datafake.Fake{Docs: map[string]status.Document{}}
	for i := 0; i < 1500; i++ {
		fk.Rows = append(fk.Rows, data.Row{WorkflowID: fmt.Sprintf("wf-%04d", i), RunID: fmt.Sprint(i), Status: status.WorkflowRunning, StartedAt: fixedNow})
	}
	m, _ := newTestModel(t, fk, nil)
	l := lv(m)
	require.Len(t, l.rows, 1000)
	page := fetchList(fk, m.e.opts.Now, l.gen, l.query(), l.pageSize, l.next)
	l.paging = l.next
	late := page().(listMsg)
	refresh := l.refresh(m.e)().(listMsg)
	m.Update(refresh) // the refresh lands first
	m.Update(late)
	m.Update(late) // a duplicate answer
	assert.Len(t, l.rows, 1500)
	seen := map[string]bool{}
	for _, r := range l.rows {
		assert.False(t, seen[r.WorkflowID], "duplicate %s", r.WorkflowID)
		seen[r.WorkflowID] = true
	}
	// A page asked for the old tab is dropped after the switch.
	stale := page().(listMsg)
	press(m, "tab")
	m.Update(stale)
	for _, r := range lv(m).rows {
		assert.Equal(t, contract.PhaseAwaitingApproval, r.Phase, "only the new tab's rows")
	}
}

func TestFilterAndRawQuery(t *testing.T) {
	fk := demoFake()
	fk.BadQuery = "Bogus"
	m, _ := newTestModel(t, fk, nil)
	press(m, "shift+tab") // all
	press(m, "/", "sales")
	assert.Len(t, lv(m).visible, 2)
	assert.Contains(t, m.View(), "/sales")
	press(m, "enter")
	assert.Equal(t, "sales", lv(m).filter)
	press(m, "esc")
	assert.Len(t, lv(m).visible, 4, "esc clears the filter")

	press(m, ":", "Bogus = 1", "enter")
	assert.Contains(t, lv(m).queryErr, "unknown field")
	assert.Len(t, lv(m).rows, 4, "rows kept after a malformed query")
	assert.Contains(t, m.View(), "query refused")
	assert.Equal(t, "", lv(m).rawQuery)

	press(m, ":", "WorkflowType = 'DataPipelineWorkflow'", "enter")
	assert.Equal(t, "", lv(m).queryErr)
	assert.Equal(t, "WorkflowType = 'DataPipelineWorkflow'", lv(m).rawQuery)
	assert.NotEmpty(t, fk.CallsWith(`count "ExecutionStatus = 'Running'`))
}

func TestApproveNeedsReasonAndRecordsIdentity(t *testing.T) {
	fk := demoFake()
	m, auditPath := newTestModel(t, fk, nil)
	press(m, "a")
	require.NotNil(t, m.dialog)
	assert.Contains(t, m.View(), "Approve this run")
	press(m, "enter")
	assert.Equal(t, "a reason is required", m.dialog.err)
	assert.Empty(t, fk.CallsWith("approve"))
	press(m, "known gap in region", "enter")
	assert.Nil(t, m.dialog)
	assert.Equal(t, []string{"approve " + waitingID + " approved=true approver=ana@bastion (ssh 10.0.0.5) reason=known gap in region"}, fk.CallsWith("approve"))
	assert.Contains(t, m.flash, "approved "+waitingID)
	assert.False(t, m.flashErr)
	b, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"action":"approve","workflow":"`+waitingID+`","reason":"known gap in region","outcome":"ok"`)
}

func TestRejectRefusedByValidatorIsShown(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	press(m, "down", "r")
	assert.Contains(t, m.View(), "not waiting for approval; the workflow will likely refuse")
	press(m, "bad data", "enter")
	assert.Len(t, fk.CallsWith("approve pipeline-orders"), 1)
	assert.True(t, m.flashErr)
	assert.Contains(t, m.flash, "not awaiting approval")
	assert.Contains(t, m.View(), "not awaiting approval")
}

func TestEscDismissesDialogWithoutCall(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	press(m, "a", "maybe", "esc")
	assert.Nil(t, m.dialog)
	assert.Empty(t, fk.CallsWith("approve"))
	assert.Contains(t, m.flash, "dismissed")
}

func TestCancelNeedsTheIDTypedBack(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	press(m, "c")
	require.NotNil(t, m.dialog)
	assert.Contains(t, m.View(), "last 6 characters: 000000")
	press(m, "12345", "enter")
	assert.Contains(t, m.dialog.err, "last 6 characters")
	assert.Empty(t, fk.CallsWith("cancel"))
	for range 5 {
		press(m, "backspace")
	}
	m.dialog.confirm.SetValue("000000")
	press(m, "enter")
	assert.Nil(t, m.dialog)
	assert.Equal(t, []string{"cancel " + waitingID + " by=ana@bastion (ssh 10.0.0.5) reason=" + DefaultCancelReason}, fk.CallsWith("cancel"))
}

func TestTerminateNeedsIDAndReason(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	press(m, "T", waitingID, "enter")
	require.NotNil(t, m.dialog, "enter on the id field moves to the reason")
	assert.Equal(t, 1, m.dialog.focus)
	press(m, "enter")
	assert.Equal(t, "a reason is required", m.dialog.err)
	press(m, "stuck for hours", "enter")
	assert.Equal(t, []string{"terminate " + waitingID + " reason=stuck for hours"}, fk.CallsWith("terminate"))
}

func TestReadOnlyRefusesEveryActionWithoutCalling(t *testing.T) {
	fk := demoFake()
	m, auditPath := newTestModel(t, fk, func(o *Options) { o.ReadOnly = true })
	for _, k := range []string{"a", "r", "c", "T"} {
		press(m, k)
		assert.Nil(t, m.dialog, k)
		assert.True(t, m.flashErr)
		assert.Contains(t, m.flash, "read-only console")
	}
	for _, p := range []string{"approve", "cancel", "terminate"} {
		assert.Empty(t, fk.CallsWith(p))
	}
	assert.Contains(t, m.View(), "[read-only]")
	b, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(b), "read-only mode"))
}

func TestDisconnectedBannerKeepsDataAndRecovers(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	fk.SetDown(true)
	press(m, "ctrl+r")
	v := m.View()
	assert.Contains(t, v, "DISCONNECTED")
	assert.Contains(t, v, "fetched 09:00:00"[0:8])
	assert.Len(t, lv(m).rows, 2, "last data stays on screen")
	assert.Equal(t, 1, m.e.conn.failures)
	assert.Equal(t, 10*time.Second, backoff(m.e.opts.Refresh, m.e.conn.failures))
	fk.SetDown(false)
	press(m, "ctrl+r")
	assert.NotContains(t, m.View(), "DISCONNECTED")
	assert.Equal(t, 5*time.Second, backoff(m.e.opts.Refresh, m.e.conn.failures))
}

func TestDetailShowsEvidenceAndFollows(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, nil)
	press(m, "enter")
	require.Equal(t, viewDetail, topName(m))
	v := m.View()
	for _, want := range []string{waitingID, "AWAITING_APPROVAL", "from the worker's status query", "min score 0.90", "3h 30m left",
		"FAIL not_null_region 600/1200 rows failed", "       row 7: region is null", "PASS unique_id", "validate_quality", "last failure: staging file locked",
		"press a to approve"} {
		assert.Contains(t, v, want)
	}
	assert.NotEmpty(t, fk.CallsWith("wait "+waitingID), "live follow long-polls while running")
	press(m, "a", "ok", "enter")
	assert.Len(t, fk.CallsWith("approve "+waitingID), 1)
	assert.Contains(t, m.View(), "approved by ana@bastion")
	press(m, "esc")
	assert.Equal(t, viewList, topName(m))
}

func TestHelpListsEveryKeyAndCopyUsesClipboard(t *testing.T) {
	fk := demoFake()
	var copied string
	m, _ := newTestModel(t, fk, func(o *Options) { o.Clipboard = func(s string) error { copied = s; return nil } })
	assert.Contains(t, m.View(), "enter open")
	assert.Contains(t, m.View(), "a approve")
	press(m, "?")
	v := m.View()
	for _, want := range []string{"terminate", "cancel run", "copy id", "query", "filter", "previous tab"} {
		assert.Contains(t, v, want)
	}
	press(m, "?")
	assert.False(t, m.showHelp)
	press(m, "y")
	assert.Equal(t, waitingID, copied)
	assert.Contains(t, m.flash, "copied")
}

func TestHostileServerTextIsNeutralised(t *testing.T) {
	hostile := []string{"evil-\x1b[2J-clear", "evil-\x1b]52;c;cm0gLXJmIC8=\x07-osc", "evil-\r-cr", "evil-\u009b31m-c1", "evil-\u202egnp.exe"}
	fk := &datafake.Fake{Docs: map[string]status.Document{}}
	for _, id := range hostile {
		fk.Rows = append(fk.Rows, data.Row{WorkflowID: id, Type: "T\x1b[31m", Status: status.WorkflowRunning, Phase: "P\u202e", StartedAt: fixedNow})
		fk.Docs[id] = status.Document{WorkflowID: id, Status: status.WorkflowRunning, Failure: "boom\x1b[2J", Activities: []status.Activity{{Name: "x\x1b]52;c;AA==\x07", Heartbeat: "\u009b2J"}}}
	}
	m, _ := newTestModel(t, fk, nil)
	check := func(v string) {
		for _, bad := range []string{"\x1b[2J", "\x1b]52", "\r", "\u009b", "\u202e", "\x07"} {
			assert.NotContains(t, v, bad)
		}
	}
	check(m.View())
	press(m, "enter")
	check(m.View())
	press(m, "a")
	check(m.View())
}

func TestNoTypeColumnAt80ButAtWideTerminals(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	assert.NotContains(t, m.View(), "TYPE")
	assert.NotContains(t, m.View(), "SCORE")
	m.Update(teaSize(100, 30))
	assert.Contains(t, m.View(), "SCORE", "the quality score where it fits")
	assert.Contains(t, m.View(), " 0.50 ")
	m.Update(teaSize(120, 30))
	assert.Contains(t, m.View(), "TYPE")
	assert.Contains(t, m.View(), "Pipeline")
	_ = contract.PhaseLoading
}

func TestSlowServerStretchesTheRefresh(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	m.Update(listMsg{gen: lv(m).gen, page: data.Page{Rows: lv(m).rows}, at: fixedNow, took: 2 * time.Second})
	assert.Equal(t, 20*time.Second, lv(m).interval(m.e))
	m.Update(listMsg{gen: lv(m).gen, page: data.Page{Rows: lv(m).rows}, at: fixedNow, took: 10 * time.Millisecond})
	assert.Equal(t, 5*time.Second, lv(m).interval(m.e))
}

// manyRows is n running pipelines, newest first.
func manyRows(n int) []data.Row {
	rows := make([]data.Row, n)
	for i := range rows {
		rows[i] = data.Row{WorkflowID: fmt.Sprintf("pipeline-p%06d-2026-02-12T08:30:00.000000", i), RunID: fmt.Sprint(i),
			Status: status.WorkflowRunning, Phase: contract.PhaseLoading, Progress: f(0.3), StartedAt: fixedNow.Add(-time.Duration(i) * time.Second)}
	}
	return rows
}

// Speed is measured in BenchmarkKeyAndView; this checks what 100,000 rows do.
func TestHundredThousandRowsAreHeldAndFiltered(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	m.Update(listMsg{gen: lv(m).gen, page: data.Page{Rows: manyRows(100_000), NextToken: []byte("x")}, at: fixedNow})
	require.Len(t, lv(m).rows, 100_000)
	press(m, "G")
	for range 3 {
		m.Update(teaKey("k"))
	}
	assert.Equal(t, 100_000-4, lv(m).cursor)
	assert.Contains(t, m.View(), "pipeline-p099996")
	press(m, "/", "p0999")
	assert.Len(t, lv(m).visible, 100)
}

func TestClosedRunShowsResultFields(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	closed := fixedNow
	doc.Status, doc.Phase, doc.ClosedAt, doc.PendingSignals = status.WorkflowCompleted, contract.PhaseCompleted, &closed, []string{}
	doc.Result = []byte(`{"status":"COMPLETED","rows_processed":1200,"approver":"ana@bastion"}`)
	fk.Docs[waitingID] = doc
	m, _ := newTestModel(t, fk, nil)
	press(m, "enter")
	v := m.View()
	assert.Contains(t, v, "  approver: ana@bastion")
	assert.Contains(t, v, "  rows_processed: 1200")
	assert.Contains(t, v, "  status: COMPLETED")
	assert.Empty(t, fk.CallsWith("wait "), "a closed run is not followed")
}

func TestCtrlCQuitsEvenWhileTyping(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	press(m, "a", "half a reas")
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	require.NotNil(t, cmd)
	assert.IsType(t, tea.QuitMsg{}, cmd())
	m2, _ := newTestModel(t, demoFake(), nil)
	press(m2, "/", "q")
	assert.Equal(t, "q", lv(m2).filter, "q is text while filtering")
}

func TestCompactIDKeepsThePipelineName(t *testing.T) {
	assert.Equal(t, "pipeline-orders-clean", compactID("pipeline-orders-clean-2026-11-26T11:47:01.482887", 22))
	assert.Equal(t, "pipeline-o…low-quality", compactID("pipeline-orders-low-quality-2026-11-26T11:47:01.191595", 22))
	assert.Equal(t, "migration-add_region", compactID("migration-add_region", 22))
	assert.Equal(t, "2026-11-26T11:47:01", compactID("2026-11-26T11:47:01", 22), "nothing left to show: kept as is")
}

func TestStuckRunSaysWhyAndPausedBackfillDoesNotOfferApproval(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	doc.Stuck = "workflow task failing, attempt 12: unable to find workflow type: X"
	doc.PendingSignals = []string{contract.SignalResume}
	doc.Partitions = &status.PartitionSummary{Total: 60, Done: 20, Failed: 1, PartitionsPerSecond: 2.5, ETASeconds: 16}
	fk.Docs[waitingID] = doc
	m, _ := newTestModel(t, fk, nil)
	press(m, "enter")
	v := m.View()
	assert.Contains(t, v, "STUCK: workflow task failing, attempt 12")
	assert.Contains(t, v, "partitions 20/60 done · 1 failed")
	assert.Contains(t, v, "waiting for resume")
	assert.NotContains(t, v, "press a to approve")
	assert.NotContains(t, v, "a approve · r reject", "the hint line does not offer approval either")
}

func TestFinishedBackfillFoldsItsTasksAndOffersNoDecision(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	closed := fixedNow
	doc.Status, doc.Phase, doc.ClosedAt, doc.PendingSignals, doc.Approval, doc.Quality = status.WorkflowCompleted, contract.PhaseCompleted, &closed, []string{}, nil, nil
	doc.Activities = nil
	for i := 0; i < 12; i++ {
		doc.Activities = append(doc.Activities, status.Activity{Name: contract.ActivityProcessPartition, Status: status.ActivityCompleted, Attempts: 1})
	}
	doc.Activities = append(doc.Activities, status.Activity{Name: contract.ActivityProcessPartition, Status: status.ActivityCompleted, Attempts: 2, LastFailure: "db busy"})
	fk.Docs[waitingID] = doc
	m, _ := newTestModel(t, fk, nil)
	press(m, "enter")
	v := m.View()
	assert.Contains(t, v, "12 tasks")
	assert.Contains(t, v, "last failure: db busy", "a retried task keeps its own line")
	assert.NotContains(t, v, "a approve", "a finished run offers no decision")
	assert.NotContains(t, v, "c cancel", "nor a cancel")
}

func TestAQueueWithoutWorkersIsCalledOut(t *testing.T) {
	fk := demoFake()
	fk.QueueList = []data.Queue{{Name: contract.PipelineQueue}, {Name: contract.NotifyQueue, ActivityPollers: []data.Poller{{Identity: "w1"}}}}
	m, _ := newTestModel(t, fk, nil)
	assert.Contains(t, m.View(), "NO WORKER polling pipeline-workers")
	assert.NotContains(t, m.View(), "notify-workers", "a polled queue is not listed")
	press(m, "enter")
	assert.Contains(t, m.View(), "NO WORKER polling pipeline-workers: this run waits until one starts")
}

func TestARefusedSignalIsShownOnTheRun(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	at := time.Date(2026, 12, 1, 3, 4, 5, 0, time.Local)
	doc.RefusedSignals = &contract.SignalRefusals{Count: 2, Last: &contract.RefusedSignal{Name: contract.SignalApproval, Reason: "approver is required", At: at}}
	fk.Docs[waitingID] = doc
	m, _ := newTestModel(t, fk, nil)
	press(m, "enter")
	assert.Contains(t, m.View(), "REFUSED 2 signals, last approval at 03:04:05: approver is required")
}

func TestReadOnlyOffersNoActions(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, func(o *Options) { o.ReadOnly = true })
	v := m.View()
	assert.NotContains(t, v, "a approve", "the help bar offers no decision")
	assert.Contains(t, v, "this console is read-only")
	press(m, "enter")
	v = m.View()
	assert.NotContains(t, v, "press a to approve")
	assert.NotContains(t, v, "a approve")
	assert.NotContains(t, v, "c cancel")
	assert.Contains(t, v, "read-only")

	m, _ = newTestModel(t, demoFake(), nil)
	press(m, "enter")
	assert.NotContains(t, m.View(), "enter details", "the detail view's hint does not offer what it shows")
	assert.Contains(t, m.View(), "a approve • r reject")
}

func TestReadOnlyActionKeySaysWhyAndHelpOffersNoAction(t *testing.T) {
	fk := demoFake()
	m, _ := newTestModel(t, fk, func(o *Options) { o.ReadOnly = true })
	press(m, "a")
	assert.Contains(t, m.flash, "read-only console (started with --read-only): approve is not offered")
	assert.Empty(t, fk.CallsWith("approve"))
	m.flash = ""
	press(m, "?")
	v := m.View()
	for _, action := range []string{"approve", "reject", "cancel run", "terminate"} {
		assert.NotContains(t, v, action, "read-only help lists no action")
	}
	assert.Contains(t, v, "offers no action")
}

func TestTabsFitEightyColumnsWithSixDigitCounts(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	m.Update(countsMsg{gen: lv(m).gen, counts: []int64{123_456, 100_000, 999_999, 500_001, 654_321}})
	line := strings.Split(m.View(), "\n")[1]
	assert.LessOrEqual(t, lipgloss.Width(line), 80, line)
	assert.Contains(t, line, "all 654k")
}

func TestCountErrorsMarkTheCountsStale(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	m.Update(countsMsg{gen: lv(m).gen, err: fmt.Errorf("%w: slow down", data.ErrRateLimited), at: fixedNow})
	v := m.View()
	assert.Contains(t, v, "[running ~2]")
	assert.Contains(t, v, "counts stale")
	assert.Contains(t, v, "RATE LIMITED")
}

// TestTabsFitEightyColumnsWithFiveDigitCounts: with 10,000 runs per tab every tab,
// "all" included, stays on an 80-column line.
func TestTabsFitEightyColumnsWithFiveDigitCounts(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	m.Update(countsMsg{gen: lv(m).gen, counts: []int64{10_012, 10_000, 12, 5, 20_029}})
	line := strings.Split(m.View(), "\n")[1]
	assert.LessOrEqual(t, lipgloss.Width(line), 80, line)
	assert.Contains(t, line, "all 20k")
	assert.Contains(t, line, "[running 10k]")
	assert.Equal(t, "999", compactCount(999))
	assert.Equal(t, "1.2k", compactCount(1234))
	assert.Equal(t, "123k", compactCount(123_456))
	assert.Equal(t, "1.5M", compactCount(1_500_000))
}

func TestFailuresViewOpensTheExampleRun(t *testing.T) {
	fk := demoFake()
	fk.Failed = []data.Failure{{WorkflowID: waitingID, ErrorType: "X", Message: "boom 1", ClosedAt: fixedNow}}
	m, _ := newTestModel(t, fk, nil)
	press(m, "f")
	require.Equal(t, "*console.failuresView", fmt.Sprintf("%T", m.top()))
	assert.Contains(t, m.View(), "boom N")
	assert.NotEmpty(t, fk.CallsWith("failures 2026-02-11T09:00:00Z"), "the last 24 hours")
	press(m, "enter")
	assert.Equal(t, viewDetail, topName(m))
	press(m, "esc", "esc")
	assert.Equal(t, viewList, topName(m))
}

// Deep in the list, the rows on screen are read again on each refresh: one that
// changed shows it, one that left the tab goes, and the cursor stays on its run.
func TestRefreshReadsTheRowsOnScreenAgain(t *testing.T) {
	fk := &datafake.Fake{Docs: map[string]status.Document{}}
	for i := 0; i < 3000; i++ {
		fk.Rows = append(fk.Rows, data.Row{WorkflowID: fmt.Sprintf("wf-%04d", i), RunID: fmt.Sprint(i), Status: status.WorkflowRunning,
			StartedAt: fixedNow.Add(-time.Duration(i) * time.Second)})
	}
	m, _ := newTestModel(t, fk, nil)
	press(m, "G")
	l := lv(m)
	require.Len(t, l.rows, 3000)
	l.cursor = 2500
	l.clamp()
	sel, _ := l.selection()
	require.Equal(t, "wf-2500", sel.id)
	fk.Rows[2501].Phase = contract.PhaseLoading
	fk.Rows[2502].Status = status.WorkflowCompleted // leaves the running tab
	_, cmd := m.Update(listTickMsg{gen: l.tickGen})
	drive(m, cmd)
	assert.NotEmpty(t, fk.CallsWith(`list "(ExecutionStatus = 'Running') AND (RunId IN ('`))
	assert.Len(t, l.rows, 2999)
	sel, _ = l.selection()
	assert.Equal(t, "wf-2500", sel.id)
	assert.Equal(t, contract.PhaseLoading, l.rows[2501].Phase)
	assert.Equal(t, "wf-2503", l.rows[2502].WorkflowID)
}

// A run that starts waiting after launch still opens the inbox, until a key is pressed.
func TestInboxOpensWhenARunStartsWaitingLater(t *testing.T) {
	fk := demoFake()
	waiting := fk.Rows[0]
	fk.Rows = fk.Rows[1:]
	m := New(fk, Options{Now: func() time.Time { return fixedNow }})
	drive(m, m.Init())
	require.Equal(t, viewList, topName(m))
	fk.Rows = append([]data.Row{waiting}, fk.Rows...)
	_, cmd := m.Update(probeAgainMsg{})
	drive(m, cmd)
	assert.Equal(t, viewInbox, topName(m))

	m = New(fk, Options{Now: func() time.Time { return fixedNow }})
	m.Update(teaKey("j"))
	_, cmd = m.Update(waitingMsg{n: 1})
	assert.Nil(t, cmd)
	assert.Equal(t, viewList, topName(m), "a console already in use is not pulled away")
}

// The detail says which worker version a run is on, and whether it is pinned there.
func TestDetailNamesTheVersionARunIsPinnedTo(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	doc.Version, doc.Pinned = "matih-worker-pipeline:2026-12-06.abc123", true
	fk.Docs[waitingID] = doc
	m, _ := newTestModel(t, fk, nil)
	press(m, "enter")
	assert.Contains(t, m.View(), "pinned to matih-worker-pipeline:2026-12-06.abc123")
}
