package console

import (
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/console/styles"
	"github.com/matih/ops/tui/internal/data"
)

// view is one screen of the console. The root routes keys to the view on top of its
// stack and every other message to all views, which ignore what is not theirs. A view
// never changes the root: it returns commands, and messages such as openMsg and
// backMsg ask the root to navigate. Update and View do no I/O; Temporal is reached
// only from the commands in cmds.go.
type view interface {
	// init starts what the view needs when it is opened.
	init(e *env) tea.Cmd
	update(e *env, msg tea.Msg) tea.Cmd
	view(e *env) string
	setSize(w, h int)
	// help is the view's keymap for the help bar and the help screen; title heads it.
	help(e *env) help.KeyMap
	title() string
	// refresh reloads what the view shows, after an action or on request.
	refresh(e *env) tea.Cmd
	// selection is the run an action would apply to, if any.
	selection() (selection, bool)
	// typing says the view owns every key (a text field has focus).
	typing() bool
	// hint is the line shown under the body when nothing else is said.
	hint(e *env) string
}

// selection is what the root needs to know about the selected run to offer actions.
type selection struct {
	id               string
	waiting, running bool
}

// views registers every view by name: a new view is its own file plus one line here.
var views = map[string]func(arg string) view{
	viewList:     func(string) view { return newListView() },
	viewDetail:   func(id string) view { return newDetailView(id) },
	viewInbox:    func(string) view { return newInboxView() },
	viewFailures: func(string) view { return newFailuresView() },
}

const (
	viewList     = "list"
	viewDetail   = "detail"
	viewInbox    = "inbox"
	viewFailures = "failures"
)

// env is what every view shares. Views read it; only the root writes it.
type env struct {
	src  data.Source
	opts Options
	k    keys.KeyMap
	st   styles.Styles
	// idleQueues are the task queues with running workflows and no poller.
	idleQueues []string
	conn       connState
}

// acts tells whether this console may act on runs; a read-only one offers no action.
func (e *env) acts() bool { return !e.opts.ReadOnly }

// openMsg asks the root to open a view on top of the current one.
type openMsg struct{ name, arg string }

// backMsg asks the root to close the top view.
type backMsg struct{}

func open(name, arg string) tea.Cmd { return func() tea.Msg { return openMsg{name, arg} } }

func back() tea.Msg { return backMsg{} }

// outcome is implemented by the answers of Temporal calls, so that the root can keep
// the connection banner without knowing which view asked.
type outcome interface{ result() (error, time.Time) }

// idleReport is implemented by answers that say which queues no worker polls.
type idleReport interface{ idle() ([]string, bool) }

// pickKey handles the keys of a view that lists runs to pick one from (the inbox, the
// failures): move, refresh, open the selected run, back. n is the list's length.
func pickKey(e *env, v view, msg tea.KeyMsg, cursor *int, n int) tea.Cmd {
	k := e.k
	switch {
	case key.Matches(msg, k.Back):
		return back
	case key.Matches(msg, k.Up):
		*cursor--
	case key.Matches(msg, k.Down):
		*cursor++
	case key.Matches(msg, k.Top):
		*cursor = 0
	case key.Matches(msg, k.Bottom):
		*cursor = n - 1
	case key.Matches(msg, k.Refresh):
		return v.refresh(e)
	case key.Matches(msg, k.Open):
		if sel, ok := v.selection(); ok {
			return open(viewDetail, sel.id)
		}
	}
	*cursor = max(0, min(*cursor, n-1))
	return nil
}
