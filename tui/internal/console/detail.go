package console

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// detailView follows one workflow: it fetches the status document, then long-polls
// history and fetches again on every change (a re-armed command, no goroutine). The
// data source folds each change once, so following costs the new events only.
type detailView struct {
	width, height int
	id            string
	doc           *status.Document
	err           error
	fetchedAt     time.Time
	offset        int
	// gen tells this view's answers from those of an earlier one on the same run.
	gen      int
	failures int
}

// detailGen numbers detail views, so a closed view's long poll is never taken for
// the answer of one opened later.
var detailGen int

func newDetailView(id string) *detailView {
	detailGen++
	return &detailView{id: id, gen: detailGen}
}

// versionText is the worker version a run is on, and whether it stays there.
func versionText(doc *status.Document) string {
	if doc.Pinned {
		return "pinned to " + sanitize.Text(doc.Version)
	}
	return "on " + sanitize.Text(doc.Version) + " (moves to the current version)"
}

func (d *detailView) init(e *env) tea.Cmd { return d.refresh(e) }

func (d *detailView) title() string { return "Keys for the workflow detail" }

func (d *detailView) setSize(w, h int) { d.width, d.height = w, h }

func (d *detailView) typing() bool { return false }

func (d *detailView) refresh(e *env) tea.Cmd { return fetchDoc(e.src, e.opts.Now, d.gen, d.id) }

func (d *detailView) selection() (selection, bool) {
	sel := selection{id: d.id}
	if d.doc != nil {
		sel.running = d.doc.Status == status.WorkflowRunning
		sel.waiting = waitsForApproval(d.doc.PendingSignals)
	}
	return sel, true
}

func (d *detailView) help(e *env) help.KeyMap {
	sel, _ := d.selection()
	return keys.DetailHelp{K: e.k, Acts: e.acts(), Waiting: sel.waiting, Running: sel.running}
}

// hint is empty here: the body itself says what a waiting run needs.
func (d *detailView) hint(*env) string { return "" }

func (d *detailView) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return d.key(e, msg)
	case docMsg:
		if msg.gen != d.gen {
			return nil
		}
		if msg.err != nil {
			d.err = msg.err
			d.failures++
			return docTick(backoff(time.Second, d.failures), d.gen)
		}
		d.err, d.failures, d.fetchedAt = nil, 0, msg.at
		doc := msg.doc
		d.doc = &doc
		if doc.Status == status.WorkflowRunning {
			return waitChange(e.src, d.gen, doc.WorkflowID, doc.RunID, doc.HistoryLength)
		}
	case changeMsg:
		if msg.gen != d.gen {
			return nil
		}
		if msg.err != nil {
			d.failures++
			return docTick(backoff(time.Second, d.failures), d.gen)
		}
		return d.refresh(e)
	case docTickMsg:
		if msg.gen == d.gen {
			return d.refresh(e)
		}
	}
	return nil
}

func (d *detailView) key(e *env, msg tea.KeyMsg) tea.Cmd {
	k := e.k
	switch {
	case key.Matches(msg, k.Back):
		d.gen = -1 // stop following: later answers match no view
		return back
	case key.Matches(msg, k.Up):
		d.offset--
	case key.Matches(msg, k.Down):
		d.offset++
	case key.Matches(msg, k.PageUp):
		d.offset -= d.height
	case key.Matches(msg, k.PageDown):
		d.offset += d.height
	case key.Matches(msg, k.Top):
		d.offset = 0
	case key.Matches(msg, k.Bottom):
		d.offset = 1 << 20
	case key.Matches(msg, k.Refresh):
		return d.refresh(e)
	}
	return nil
}

func (d *detailView) view(e *env) string {
	lines := d.lines(e)
	d.offset = max(0, min(d.offset, len(lines)-d.height))
	end := min(len(lines), d.offset+d.height)
	return strings.Join(lines[d.offset:end], "\n")
}

func (d *detailView) lines(e *env) []string {
	st := e.st
	if d.doc == nil {
		if d.err != nil {
			return []string{st.Bad.Render("cannot load " + sanitize.Text(d.id) + ": " + present.OneLine(d.err.Error())), st.Dim.Render("retrying; esc goes back")}
		}
		return []string{"loading " + sanitize.Text(d.id) + " …"}
	}
	doc := d.doc
	now := e.opts.Now()
	end := now
	if doc.ClosedAt != nil {
		end = *doc.ClosedAt
	}
	out := []string{
		st.Title.Render(fit(sanitize.Text(doc.WorkflowID), d.width)),
		"run " + sanitize.Text(doc.RunID),
		fmt.Sprintf("type %s  queue %s", sanitize.Text(doc.WorkflowType), sanitize.Text(doc.TaskQueue)),
		st.Status(doc.Status).Render(sanitize.Text(doc.Status)) + "  phase " + st.Status(doc.Phase).Render(sanitize.Text(present.Dash(doc.Phase))) + fmt.Sprintf("  retries %d", doc.Retries),
		fmt.Sprintf("started %s  duration %s", doc.StartedAt.Local().Format("2006-01-02 15:04:05"), status.FormatDuration(end.Sub(doc.StartedAt))),
		"progress " + bar(doc.Progress, 20) + "  " + st.Dim.Render(sourceText(doc.ProgressSource)),
	}
	if doc.Version != "" {
		out = append(out, fit(versionText(doc), d.width))
	}
	if doc.Stuck != "" {
		out = append(out, st.Bad.Render("STUCK: "+sanitize.Text(doc.Stuck)))
	}
	if doc.Status == status.WorkflowRunning && slices.Contains(e.idleQueues, doc.TaskQueue) {
		out = append(out, st.Bad.Render(fit("NO WORKER polling "+sanitize.Text(doc.TaskQueue)+": this run waits until one starts", d.width)))
	}
	if doc.CurrentActivity != "" {
		out = append(out, "current  "+sanitize.Text(doc.CurrentActivity))
	}
	if ps := doc.Partitions; ps != nil {
		out = append(out, fmt.Sprintf("partitions %d/%d done · %d failed · %d running · %.1f/s · ETA %s",
			ps.Done+ps.Skipped, ps.Total, ps.Failed, ps.Running, ps.PartitionsPerSecond,
			status.FormatDuration(time.Duration(ps.ETASeconds*float64(time.Second)))))
	}
	if waitsForApproval(doc.PendingSignals) && e.opts.ReadOnly {
		out = append(out, st.Warn.Render("waiting for approval (read-only: decide from a console that may act)"))
	} else if waitsForApproval(doc.PendingSignals) {
		out = append(out, st.Warn.Render("waiting for approval: press a to approve or r to reject"))
	} else if len(doc.PendingSignals) > 0 {
		out = append(out, st.Warn.Render("waiting for "+sanitize.Text(strings.Join(doc.PendingSignals, ", "))))
	}
	if line := status.RefusalLine(doc.RefusedSignals); line != "" {
		out = append(out, st.Warn.Render(fit("REFUSED "+sanitize.Text(line), d.width)))
	}
	out = append(out, evidence(e, d.doc, d.width, now)...)
	out = append(out, d.timeline(e)...)
	if len(doc.Result) > 0 {
		out = append(out, st.Header.Render("result"))
		out = append(out, resultLines(doc.Result, d.width)...)
	}
	if doc.Failure != "" {
		out = append(out, st.Bad.Render("failure: "+sanitize.Text(doc.Failure)))
	}
	if d.err != nil {
		out = append(out, st.Bad.Render("refresh failed: "+present.OneLine(d.err.Error())))
	}
	return out
}

func sourceText(src string) string {
	if src == status.SourceQuery {
		return "(from the worker's status query)"
	}
	return "(from history: no worker answered)"
}

func (d *detailView) timeline(e *env) []string {
	st := e.st
	out := []string{st.Header.Render("activities")}
	if len(d.doc.Activities) == 0 {
		return append(out, st.Dim.Render("  none yet"))
	}
	for i := 0; i < len(d.doc.Activities); i++ {
		a := d.doc.Activities[i]
		// A backfill runs one activity per batch: fold runs of the same step that
		// completed cleanly into one line, so the timeline stays readable.
		if n := sameCompleted(d.doc.Activities[i:]); n > 2 {
			line := fmt.Sprintf("  %-24s %s %d tasks", fit(sanitize.Text(a.Name), 24), st.Status(a.Status).Render(pad(sanitize.Text(a.Status), 9)), n)
			out = append(out, fit(line, d.width))
			i += n - 1
			continue
		}
		attempts := ""
		if a.Attempts > 0 {
			attempts = fmt.Sprintf("x%d", a.Attempts)
		}
		line := fmt.Sprintf("  %-24s %s %-7s %s", fit(sanitize.Text(a.Name), 24), st.Status(a.Status).Render(pad(sanitize.Text(a.Status), 9)), fit(sanitize.Text(a.Duration), 12), attempts)
		out = append(out, fit(line, d.width))
		if a.Heartbeat != "" {
			out = append(out, fit("      heartbeat: "+sanitize.Text(a.Heartbeat), d.width))
		}
		switch {
		case a.LastFailure != "" && a.Status == status.ActivitySkipped:
			out = append(out, st.Dim.Render(fit("      why: "+sanitize.Text(a.LastFailure), d.width)))
		case a.LastFailure != "":
			out = append(out, st.Bad.Render(fit("      last failure: "+sanitize.Text(a.LastFailure), d.width)))
		}
	}
	return out
}

// sameCompleted counts the leading activities with the first one's name that
// completed on their first attempt.
func sameCompleted(acts []status.Activity) int {
	n := 0
	for _, a := range acts {
		if a.Name != acts[0].Name || a.Status != status.ActivityCompleted || a.Attempts > 1 || a.LastFailure != "" {
			break
		}
		n++
	}
	return n
}

// resultLines shows a JSON object result as "key: value" lines, in key order.
func resultLines(raw json.RawMessage, width int) []string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return []string{fit("  "+sanitize.Text(string(raw)), width)}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		v := string(obj[k])
		var s string
		if json.Unmarshal(obj[k], &s) == nil {
			v = s
		}
		out = append(out, fit("  "+sanitize.Text(k+": "+v), width))
	}
	return out
}

// waitsForApproval tells whether the run's gate is the human approval.
func waitsForApproval(signals []string) bool {
	for _, s := range signals {
		if s == contract.SignalApproval {
			return true
		}
	}
	return false
}
