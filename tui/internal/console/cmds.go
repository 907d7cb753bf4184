package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/rerun"
	"github.com/matih/ops/tui/internal/sanitize"
)

// Every Temporal call is one of these commands; each returns a typed message and never
// touches the model, so Update and View never block.

const (
	callTimeout = 10 * time.Second
	pollTimeout = 10 * time.Second
	// pageSize is the first page size asked for: Temporal's default maximum. A server
	// that allows fewer answers shorter pages, and the list follows.
	pageSize = 1000
)

// listMsg answers a list call: the newest page when token is nil, else the page
// after token.
type listMsg struct {
	gen   int
	token []byte
	size  int
	page  data.Page
	err   error
	at    time.Time
	took  time.Duration
}

func (m listMsg) result() (error, time.Time) { return m.err, m.at }

type countsMsg struct {
	gen    int
	counts []int64
	idleQs []string // queues with no poller; nil when unknown
	err    error
	at     time.Time
}

func (m countsMsg) result() (error, time.Time) { return m.err, m.at }
func (m countsMsg) idle() ([]string, bool)     { return m.idleQs, m.idleQs != nil }

type listTickMsg struct{ gen int }

type docMsg struct {
	gen int
	doc status.Document
	err error
	at  time.Time
}

func (m docMsg) result() (error, time.Time) { return m.err, m.at }

type changeMsg struct {
	gen int
	err error
}

type docTickMsg struct{ gen int }

type actionMsg struct {
	action, id string
	err        error
	started    string // the workflow an action started (a rerun)
}

type flashMsg struct {
	text  string
	isErr bool
}

func fetchList(src data.Source, now func() time.Time, gen int, query string, size int, token []byte) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		start := time.Now()
		p, err := src.List(ctx, query, size, token)
		return listMsg{gen: gen, token: token, size: size, page: p, err: err, at: now(), took: time.Since(start)}
	}
}

// fetchCounts counts every tab and checks our queues and the given ones for pollers.
func fetchCounts(src data.Source, now func() time.Time, gen int, extra string, queues []string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		out := make([]int64, len(data.Tabs))
		for i, t := range data.Tabs {
			n, err := src.Count(ctx, data.And(t.Query, extra))
			if err != nil {
				return countsMsg{gen: gen, err: err, at: now()}
			}
			out[i] = n
		}
		msg := countsMsg{gen: gen, counts: out, at: now()}
		if qs, err := src.Queues(ctx, queues...); err == nil {
			msg.idleQs = data.IdleQueues(qs, time.Now())
			if msg.idleQs == nil {
				msg.idleQs = []string{}
			}
		}
		return msg
	}
}

func listTick(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return listTickMsg{gen: gen} })
}

func fetchDoc(src data.Source, now func() time.Time, gen int, id string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		doc, err := src.Status(ctx, id, "")
		return docMsg{gen: gen, doc: doc, err: err, at: now()}
	}
}

// waitChange is the live follow: a long poll on history, re-armed after every answer.
func waitChange(src data.Source, gen int, id, run string, historyLength int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
		defer cancel()
		err := src.WaitChange(ctx, id, run, historyLength)
		if ctx.Err() != nil {
			err = nil // the poll window ended quietly; refresh anyway
		}
		return changeMsg{gen: gen, err: err}
	}
}

func docTick(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return docTickMsg{gen: gen} })
}

// runAction performs an action and records it in the audit log.
func runAction(src data.Source, opts Options, action, id, reason, reprocess string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), data.ActionTimeout+callTimeout)
		defer cancel()
		if opts.Audit != nil {
			if err := opts.Audit.Append(audit.Entry{Identity: opts.Identity, Action: action, Workflow: id, Reason: reason, Outcome: audit.Sending}); err != nil {
				return actionMsg{action: action, id: id, err: fmt.Errorf("not sent: it could not be recorded first: %w", err)}
			}
		}
		var err error
		var started string
		switch action {
		case actApprove, actReject:
			err = src.Approve(ctx, id, contract.ApprovalSignal{Approved: action == actApprove, Approver: opts.Identity, Reason: reason})
		case actCancel:
			err = src.Cancel(ctx, id, contract.CancelSignal{RequestedBy: opts.Identity, Reason: reason})
		case actTerminate:
			err = src.Terminate(ctx, id, reason)
		case actPause, actResume:
			err = src.Pause(ctx, id, contract.PauseSignal{RequestedBy: opts.Identity, Reason: reason}, action == actResume)
		case actRerun:
			started, err = rerun.Start(ctx, src, id, reprocess, opts.Now())
		default:
			err = fmt.Errorf("unknown action %q", action)
		}
		logAudit(opts, action, id, reason, err)
		return actionMsg{action: action, id: id, err: err, started: started}
	}
}

// readOnlyText says why an action key did nothing.
func readOnlyText(why, action string) string {
	return "read-only console (" + why + "): " + action + " is not offered, nothing was sent"
}

// refuseReadOnly records the refusal; no API call is made.
func refuseReadOnly(opts Options, action, id string) tea.Cmd {
	return func() tea.Msg {
		err := fmt.Errorf("%w: read-only mode: %s not sent", data.ErrRefused, action)
		logAudit(opts, action, id, "", err)
		return flashMsg{text: readOnlyText(opts.ReadOnlyWhy, action), isErr: true}
	}
}

func logAudit(opts Options, action, id, reason string, err error) {
	if opts.Audit == nil {
		return
	}
	_ = opts.Audit.Append(audit.Entry{Identity: opts.Identity, Action: action, Workflow: id, Reason: reason, Outcome: audit.Outcome(err)})
}

func copyID(opts Options, id string) tea.Cmd {
	return func() tea.Msg {
		if opts.Clipboard == nil {
			return flashMsg{text: "no clipboard available", isErr: true}
		}
		// The id as shown: a raw one could carry a newline that a paste would run.
		if err := opts.Clipboard(sanitize.Text(id)); err != nil {
			return flashMsg{text: "copy failed: " + err.Error(), isErr: true}
		}
		return flashMsg{text: "copied the workflow id to the clipboard (OSC 52)"}
	}
}

// backoff doubles the wait after each failure, up to a minute.
func backoff(base time.Duration, failures int) time.Duration {
	d := base
	for i := 0; i < failures && d < time.Minute; i++ {
		d *= 2
	}
	if d > time.Minute {
		d = time.Minute
	}
	return d
}

// inboxMsg answers fetchInbox.
type inboxMsg struct {
	runs      []data.Waiting
	truncated bool
	err       error
	at        time.Time
}

func (m inboxMsg) result() (error, time.Time) { return m.err, m.at }

type inboxTickMsg struct{ gen int }

func fetchInbox(src data.Source, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		runs, truncated, err := data.Inbox(ctx, src)
		return inboxMsg{runs: runs, truncated: truncated, err: err, at: now()}
	}
}

func inboxTick(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return inboxTickMsg{gen: gen} })
}

// waitingMsg says how many runs wait for a human, until the user presses a key.
type waitingMsg struct{ n int64 }

// probeAgainMsg asks for another look at the runs waiting.
type probeAgainMsg struct{}

// probeWaiting counts the runs awaiting approval, so the console can open on the inbox.
func probeWaiting(src data.Source) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		n, err := src.Count(ctx, data.Tabs[1].Query)
		if err != nil {
			return waitingMsg{}
		}
		return waitingMsg{n: n}
	}
}

// failuresMsg answers fetchFailures.
type failuresMsg struct {
	groups []data.FailureGroup
	runs   int
	err    error
	at     time.Time
}

func (m failuresMsg) result() (error, time.Time) { return m.err, m.at }

func fetchFailures(src data.Source, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		fs, err := src.Failures(ctx, now().Add(-failuresSince))
		return failuresMsg{groups: data.GroupFailures(fs), runs: len(fs), err: err, at: now()}
	}
}

// windowMsg answers fetchWindow: the rows asked for by run id that still match.
type windowMsg struct {
	gen   int
	asked []string // run ids
	page  data.Page
	err   error
	at    time.Time
}

func (m windowMsg) result() (error, time.Time) { return m.err, m.at }

// fetchWindow reads the rows on screen again, by run id, within the list's query.
func fetchWindow(src data.Source, now func() time.Time, gen int, query string, runIDs []string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		q := data.And(query, "RunId IN ('"+strings.Join(runIDs, "', '")+"')")
		p, err := src.List(ctx, q, len(runIDs), nil)
		return windowMsg{gen: gen, asked: runIDs, page: p, err: err, at: now()}
	}
}
