// Package console is the full-screen operations console: a small root model holding a
// stack of views (the approvals inbox, the workflows list, a run's detail), the
// connection banner, the help and the action dialogs. All Temporal access goes through
// data.Source as tea.Cmds.
package console

import (
	"os"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/console/styles"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// Options configure the console.
type Options struct {
	ReadOnly bool
	// ReadOnlyWhy says why the console is read-only (default "started with
	// --read-only"); over SSH, that the key may only look.
	ReadOnlyWhy string
	// Renderer draws for this console's terminal (one per SSH session); nil is the
	// process's own.
	Renderer  *lipgloss.Renderer
	Identity  string
	Audit     *audit.Log
	Clipboard func(string) error
	// Refresh is the list's auto-refresh interval (default 5 s); it backs off on errors.
	Refresh time.Duration
	NoColor bool
	// Server names where we are connected, for the title line.
	Server string
	// Now is the clock (tests pin it).
	Now func() time.Time
}

// Model is the root model.
type Model struct {
	e      *env
	help   help.Model
	width  int
	height int

	stack    []view
	showHelp bool
	dialog   *dialog
	flash    string
	flashErr bool
	// touched is set by the first key: the inbox opens by itself only before it.
	touched bool
}

// New builds the console over a data source; it opens on the workflows list, and
// on the approvals inbox as soon as it finds a run waiting.
func New(src data.Source, opts Options) *Model {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if os.Getenv("NO_COLOR") != "" { // https://no-color.org
		opts.NoColor = true
	}
	if opts.ReadOnlyWhy == "" {
		opts.ReadOnlyWhy = "started with --read-only"
	}
	e := &env{src: src, opts: opts, k: keys.Default(), st: styles.NewWith(opts.Renderer, opts.NoColor)}
	m := &Model{e: e, help: help.New(), width: 80, height: 24}
	m.stack = []view{views[viewList].make("")}
	m.resize()
	return m
}

// Init loads the list's first page and looks for runs waiting for a human.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.top().init(m.e), probeWaiting(m.e.src))
}

func (m *Model) top() view { return m.stack[len(m.stack)-1] }

// Update routes keys to the dialog, the help or the top view, navigation to the stack,
// and every other message to all views.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.KeyMsg:
		m.touched = true
		return m, m.key(msg)
	case openMsg:
		return m, m.push(msg)
	case backMsg:
		if len(m.stack) > 1 {
			m.stack = m.stack[:len(m.stack)-1]
			m.resize()
		}
		return m, nil
	case waitingMsg:
		switch {
		case m.touched || len(m.stack) > 1:
			return m, nil // the user has moved on: never pull them away
		case msg.n > 0:
			return m, m.push(openMsg{name: viewInbox})
		}
		// Nothing waits yet: look again, so a run that starts waiting while the console
		// sits untouched still opens the inbox.
		return m, tea.Tick(m.e.opts.Refresh, func(time.Time) tea.Msg { return probeAgainMsg{} })
	case probeAgainMsg:
		if m.touched || len(m.stack) > 1 {
			return m, nil
		}
		return m, probeWaiting(m.e.src)
	case actionMsg:
		return m, m.actionDone(msg)
	case flashMsg:
		m.flash, m.flashErr = msg.text, msg.isErr
		return m, nil
	}
	if o, ok := msg.(outcome); ok {
		m.noteResult(o.result())
	}
	if r, ok := msg.(idleReport); ok {
		if qs, known := r.idle(); known {
			m.e.idleQueues = qs
		}
	}
	cmds := make([]tea.Cmd, 0, len(m.stack))
	for _, v := range m.stack {
		cmds = append(cmds, v.update(m.e, msg))
	}
	return m, tea.Batch(cmds...)
}

// push opens a view on top; opening the view already on top replaces it.
func (m *Model) push(o openMsg) tea.Cmd {
	r, ok := views[o.name]
	if !ok {
		return nil
	}
	v := r.make(o.arg)
	if len(m.stack) > 1 && m.top().title() == v.title() {
		m.stack = m.stack[:len(m.stack)-1]
	}
	m.stack = append(m.stack, v)
	m.resize()
	return v.init(m.e)
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := m.e.k
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit // from anywhere, even while typing
	}
	if m.dialog != nil {
		return m.dialogKey(msg)
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back, k.Quit) {
			m.showHelp = false
		}
		return nil
	}
	if m.top().typing() {
		return m.top().update(m.e, msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, k.Approve):
		return m.startAction(actApprove)
	case key.Matches(msg, k.Reject):
		return m.startAction(actReject)
	case key.Matches(msg, k.Cancel):
		return m.startAction(actCancel)
	case key.Matches(msg, k.Terminate):
		return m.startAction(actTerminate)
	case key.Matches(msg, k.Pause, k.Resume):
		if sel, ok := m.top().selection(); ok && sel.typ == contract.DataBackfillWorkflow {
			if key.Matches(msg, k.Pause) {
				return m.startAction(actPause)
			}
			return m.startAction(actResume)
		}
	case key.Matches(msg, k.Rerun):
		if v, ok := m.top().(*backfillView); ok {
			return m.startRerun(v)
		}
	case key.Matches(msg, k.Copy):
		if sel, ok := m.top().selection(); ok {
			return copyID(m.e.opts, sel.id)
		}
		return nil
	}
	return m.top().update(m.e, msg)
}

func (m *Model) startAction(action string) tea.Cmd {
	sel, ok := m.top().selection()
	if !ok {
		m.flash, m.flashErr = "no workflow selected", true
		return nil
	}
	if m.e.opts.ReadOnly {
		m.flash, m.flashErr = readOnlyText(m.e.opts.ReadOnlyWhy, action), true
		return refuseReadOnly(m.e.opts, action, sel.id)
	}
	m.dialog = newDialog(action, sel.id)
	if (action == actApprove || action == actReject) && !sel.waiting {
		m.dialog.note = "this run is not waiting for approval; the workflow will likely refuse"
	}
	return nil
}

// startRerun opens the rerun dialog with its preview, or says why there is none.
func (m *Model) startRerun(v *backfillView) tea.Cmd {
	plan, ok := v.rerunPlan()
	if !ok {
		m.flash, m.flashErr = "nothing to rerun: every partition is done or skipped", true
		if v.doc != nil && v.doc.Status == status.WorkflowRunning {
			m.flash = "still running: R reruns what a backfill left undone once it has ended"
		}
		return nil
	}
	cmd := m.startAction(actRerun)
	if m.dialog != nil {
		m.dialog.note, m.dialog.reprocess = plan.Preview(), plan.Reprocess
	}
	return cmd
}

func (m *Model) dialogKey(msg tea.KeyMsg) tea.Cmd {
	done, cmd := m.dialog.update(m.e, msg)
	if !done {
		return cmd
	}
	d := m.dialog
	m.dialog = nil
	if !d.submitted {
		m.flash, m.flashErr = d.action+" dismissed, nothing was sent", false
		return nil
	}
	m.flash, m.flashErr = "sending "+d.action+" for "+sanitize.Text(d.id)+" …", false
	return runAction(m.e.src, m.e.opts, d.action, d.id, d.reasonText(), d.reprocess)
}

// actionDone says what happened and refreshes every open view.
func (m *Model) actionDone(msg actionMsg) tea.Cmd {
	id := sanitize.Text(msg.id)
	if msg.err != nil {
		// the reason first: the id may be long and the line is cut at the screen's edge
		m.flash, m.flashErr = msg.action+" failed: "+present.OneLine(msg.err.Error())+" ("+middle(id, 24)+")", true
	} else {
		m.flash, m.flashErr = doneText(msg.action)+" "+id+" as "+m.e.opts.Identity, false
		if msg.started != "" { // the new run is what to look for next
			m.flash = msg.action + " started: " + sanitize.Text(msg.started) + " as " + m.e.opts.Identity
		}
	}
	cmds := make([]tea.Cmd, 0, len(m.stack))
	for _, v := range m.stack {
		cmds = append(cmds, v.refresh(m.e))
	}
	return tea.Batch(cmds...)
}

// doneText is the flash line's verb: a cancel is only requested, the run cleans up.
func doneText(action string) string {
	if action == actCancel {
		return "cancellation requested for"
	}
	return present.PastTense(action)
}

func (m *Model) resize() {
	bodyH := m.bodyHeight()
	for _, v := range m.stack {
		v.setSize(m.width, bodyH)
	}
	m.help.Width = m.width
}

func (m *Model) bodyHeight() int { return max(3, m.height-3-m.bannerLines()) }

// currentHelp is the keymap the help bar shows: the dialog's or the top view's.
func (m *Model) currentHelp() help.KeyMap {
	if m.dialog != nil {
		return keys.DialogHelp{K: m.e.k, MultiField: m.dialog.multi()}
	}
	return m.top().help(m.e)
}

// hint guides a newcomer when nothing else is said.
func (m *Model) hint() string {
	if m.dialog != nil || m.showHelp {
		return ""
	}
	return m.top().hint(m.e)
}
