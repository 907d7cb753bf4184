// Package console is the full-screen operations console: a small root model that
// routes messages to the workflows list, the detail view, the help view and the action
// dialogs. All Temporal access goes through data.Source as tea.Cmds.
package console

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/console/styles"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/sanitize"
)

// Options configure the console.
type Options struct {
	ReadOnly  bool
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

type viewID int

const (
	viewList viewID = iota
	viewDetail
)

// connState is what the banner says about the server.
type connState struct {
	lastOK   time.Time
	err      error
	failures int
}

// Model is the root model.
type Model struct {
	// idleQueues are the task queues no worker polls, from the last refresh.
	idleQueues []string
	src        data.Source
	opts       Options
	k          keys.KeyMap
	st         styles.Styles
	help       help.Model
	width      int
	height     int

	view     viewID
	showHelp bool
	list     *listView
	detail   *detailView
	dialog   *dialog
	conn     connState
	flash    string
	flashErr bool
}

// New builds the console over a data source.
func New(src data.Source, opts Options) *Model {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Model{src: src, opts: opts, k: keys.Default(), st: styles.New(opts.NoColor), help: help.New(), width: 80, height: 24}
	m.list = newListView(m)
	m.detail = newDetailView(m)
	m.resize()
	return m
}

// Init loads the first page before anything else.
func (m *Model) Init() tea.Cmd { return m.list.load(false) }

// Update routes messages: keys to the dialog, help or active view; data to its owner.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.KeyMsg:
		return m, m.key(msg)
	case listMsg, countsMsg, listTickMsg:
		return m, m.list.update(msg)
	case docMsg, changeMsg, docTickMsg:
		return m, m.detail.update(msg)
	case actionMsg:
		return m, m.actionDone(msg)
	case flashMsg:
		m.flash, m.flashErr = msg.text, msg.isErr
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit // from anywhere, even while typing
	}
	if m.dialog != nil {
		return m.dialogKey(msg)
	}
	if m.showHelp {
		if key.Matches(msg, m.k.Help, m.k.Back, m.k.Quit) {
			m.showHelp = false
		}
		return nil
	}
	if m.view == viewList && m.list.typing() {
		return m.list.key(msg)
	}
	switch {
	case key.Matches(msg, m.k.Quit):
		return tea.Quit
	case key.Matches(msg, m.k.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, m.k.Approve):
		return m.startAction(actApprove)
	case key.Matches(msg, m.k.Reject):
		return m.startAction(actReject)
	case key.Matches(msg, m.k.Cancel):
		return m.startAction(actCancel)
	case key.Matches(msg, m.k.Terminate):
		return m.startAction(actTerminate)
	case key.Matches(msg, m.k.Copy):
		if id := m.selectedID(); id != "" {
			return copyID(m.opts, id)
		}
		return nil
	}
	if m.view == viewDetail {
		return m.detail.key(msg)
	}
	return m.list.key(msg)
}

// selectedID is the workflow an action applies to: the open one, or the list's cursor.
func (m *Model) selectedID() string {
	if m.view == viewDetail {
		return m.detail.id
	}
	if r, ok := m.list.selected(); ok {
		return r.WorkflowID
	}
	return ""
}

func (m *Model) startAction(action string) tea.Cmd {
	id := m.selectedID()
	if id == "" {
		m.flash, m.flashErr = "no workflow selected", true
		return nil
	}
	if m.opts.ReadOnly {
		m.flash, m.flashErr = "read-only mode: "+action+" refused, nothing was sent", true
		return refuseReadOnly(m.opts, action, id)
	}
	m.dialog = newDialog(m, action, id)
	if (action == actApprove || action == actReject) && !m.waiting() {
		m.dialog.note = "this run is not waiting for approval; the workflow will likely refuse"
	}
	return nil
}

func (m *Model) dialogKey(msg tea.KeyMsg) tea.Cmd {
	done, cmd := m.dialog.update(msg)
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
	return runAction(m.src, m.opts, d.action, d.id, d.reasonText())
}

func (m *Model) actionDone(msg actionMsg) tea.Cmd {
	id := sanitize.Text(msg.id)
	if msg.err != nil {
		// the reason first: the id may be long and the line is cut at the screen's edge
		m.flash, m.flashErr = msg.action+" failed: "+oneLine(msg.err.Error())+" ("+middle(id, 24)+")", true
	} else {
		m.flash, m.flashErr = pastTense(msg.action)+" "+id+" as "+m.opts.Identity, false
	}
	cmds := []tea.Cmd{m.list.load(false)}
	if m.view == viewDetail {
		cmds = append(cmds, m.detail.refetch())
	}
	return tea.Batch(cmds...)
}

// noteResult updates the connection banner from any call's outcome.
func (m *Model) noteResult(err error, at time.Time) {
	if err == nil {
		m.conn = connState{lastOK: at}
		return
	}
	if errors.Is(err, data.ErrUnreachable) || isTransport(err) {
		m.conn.err = err
		m.conn.failures++
	}
}

func isTransport(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "Unavailable") || strings.Contains(s, "deadline")
}

func (m *Model) resize() {
	bodyH := m.height - 3 - m.bannerLines()
	if bodyH < 3 {
		bodyH = 3
	}
	m.list.setSize(m.width, bodyH)
	m.detail.setSize(m.width, bodyH)
	m.help.Width = m.width
}

func (m *Model) bannerLines() int {
	if m.conn.err != nil {
		return 1
	}
	return 0
}

// View draws title, banner, body, flash line and help bar.
func (m *Model) View() string {
	m.resize()
	var b strings.Builder
	b.WriteString(m.titleLine() + "\n")
	if m.conn.err != nil {
		b.WriteString(m.st.Banner.Render(fit(m.banner(), m.width)) + "\n")
	}
	body := ""
	switch {
	case m.showHelp:
		body = m.helpView()
	case m.view == viewDetail:
		body = m.detail.view()
	default:
		body = m.list.view()
	}
	if m.dialog != nil {
		body = lipgloss.Place(m.width, m.list.height, lipgloss.Center, lipgloss.Center, m.dialog.view())
	}
	b.WriteString(padLines(body, m.list.height, m.width) + "\n")
	flash := m.flash
	style := m.st.Flash
	if m.flashErr {
		style = m.st.FlashErr
	}
	if flash == "" {
		flash, style = m.hint(), m.st.Warn
	}
	b.WriteString(style.Render(fit(flash, m.width)) + "\n")
	b.WriteString(fit(m.help.ShortHelpView(m.currentHelp().ShortHelp()), m.width))
	return b.String()
}

func (m *Model) titleLine() string {
	t := m.st.Title.Render("MATIH console")
	if m.opts.Server != "" {
		t += " " + m.st.Dim.Render(sanitize.Text(m.opts.Server))
	}
	if m.opts.ReadOnly {
		t += " " + m.st.Warn.Render("[read-only]")
	}
	return t
}

func (m *Model) banner() string {
	s := fmt.Sprintf("DISCONNECTED · no data yet · retry in %s · %s", status.FormatDuration(m.list.interval()), oneLine(m.conn.err.Error()))
	if !m.conn.lastOK.IsZero() {
		ago := m.opts.Now().Sub(m.conn.lastOK)
		s = fmt.Sprintf("DISCONNECTED · data from %s (%s ago) · retry in %s · %s",
			m.conn.lastOK.Local().Format("15:04:05"), status.FormatDuration(ago),
			status.FormatDuration(m.list.interval()), oneLine(m.conn.err.Error()))
	}
	return s
}

func (m *Model) currentHelp() help.KeyMap {
	switch {
	case m.dialog != nil:
		return keys.DialogHelp{K: m.k, MultiField: m.dialog.multi()}
	case m.view == viewDetail:
		return keys.DetailHelp{K: m.k, Waiting: m.waiting() && m.acts(), Running: m.running() && m.acts()}
	}
	return keys.ListHelp{K: m.k, Waiting: m.waiting() && m.acts(), Running: m.running() && m.acts()}
}

// acts tells whether this console may act on runs; a read-only one offers no action.
func (m *Model) acts() bool { return !m.opts.ReadOnly }

// running reports whether the selected or open run is still running.
func (m *Model) running() bool {
	if m.view == viewDetail {
		return m.detail.doc != nil && m.detail.doc.Status == status.WorkflowRunning
	}
	r, ok := m.list.selected()
	return ok && r.Status == status.WorkflowRunning
}

func (m *Model) helpView() string {
	h := m.help
	h.ShowAll = true
	title := "Keys for the workflows list"
	if m.view == viewDetail {
		title = "Keys for the workflow detail"
	}
	return m.st.Header.Render(title) + "\n\n" + h.View(m.currentHelp()) + "\n\n" +
		m.st.Dim.Render("Approve a waiting run: select it, press a, type a reason, press enter.\nPress ? or esc to close this help.")
}

func oneLine(s string) string { return strings.Join(strings.Fields(sanitize.Text(s)), " ") }

func pastTense(action string) string {
	switch action {
	case actApprove:
		return "approved"
	case actReject:
		return "rejected"
	case actCancel:
		return "cancellation requested for"
	case actTerminate:
		return "terminated"
	}
	return action
}

// hint guides a newcomer when nothing else is said: a run waiting for approval says
// which keys decide it.
func (m *Model) hint() string {
	if m.dialog != nil || m.showHelp {
		return ""
	}
	switch {
	case !m.waiting():
		return ""
	case !m.acts():
		return "this run waits for a human; this console is read-only (started with --read-only)"
	case m.view == viewDetail:
		return "this run waits for a human: a approve · r reject"
	}
	return "this run waits for a human: a approve · r reject · enter details"
}

// waiting reports whether the selected or open run waits for an approval decision.
func (m *Model) waiting() bool {
	if m.view == viewDetail {
		return m.detail.doc != nil && waitsForApproval(m.detail.doc.PendingSignals)
	}
	r, ok := m.list.selected()
	return ok && r.Status == status.WorkflowRunning && r.Phase == contract.PhaseAwaitingApproval
}
