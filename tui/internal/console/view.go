package console

import (
	"fmt"
	"sort"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/shared/contract"
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
	typ              string // the workflow type, where the view knows it
	waiting, running bool
}

// registration is how a view is opened: by name, through openMsg; from the
// workflows list by the view's own key (on the selected run when it shows one run);
// and by enter on a run of the workflow type it shows, instead of the detail view.
type registration struct {
	make func(arg string) view
	// key opens the view from the list; a view without one is opened by others.
	key *key.Binding
	// forType is the workflow type the view shows a run of ("" for any view that
	// shows no single run). Its key then needs such a run selected, and enter on one
	// opens it.
	forType string
}

// views registers every view by name: a new view is its own file plus one line here.
var views = map[string]registration{
	viewList:     {make: func(string) view { return newListView() }},
	viewDetail:   {make: func(id string) view { return newDetailView(id) }},
	viewInbox:    {make: func(string) view { return newInboxView() }},
	viewFailures: {make: func(string) view { return newFailuresView() }},
	viewBackfill: {make: func(id string) view { return newBackfillView(id) }, key: &backfillKey, forType: contract.DataBackfillWorkflow},
	viewFleet:    {make: func(string) view { return newFleetView() }, key: &fleetKey},
}

// viewKeys are the keys registered views bring to the list, in name order.
func viewKeys() []key.Binding {
	var out []key.Binding
	for _, name := range registeredNames() {
		if r := views[name]; r.key != nil {
			out = append(out, *r.key)
		}
	}
	return out
}

func registeredNames() []string {
	names := make([]string, 0, len(views))
	for name := range views {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// openByKey opens the registered view whose key msg is, on the selected run (id and
// type) when the view shows one. ok says a registered key matched.
func openByKey(msg tea.KeyMsg, id, typ string) (cmd tea.Cmd, ok bool) {
	for _, name := range registeredNames() {
		r := views[name]
		if r.key == nil || !key.Matches(msg, *r.key) {
			continue
		}
		if r.forType == "" {
			return open(name, ""), true
		}
		if typ != r.forType {
			what := r.key.Help().Desc
			text := fmt.Sprintf("%s: select a %s first", what, r.forType)
			return func() tea.Msg { return flashMsg{text: text, isErr: true} }, true
		}
		return open(name, id), true
	}
	return nil, false
}

// viewFor is the view enter opens on a run of type typ: the one registered for its
// type, else the detail view.
func viewFor(typ string) string {
	for _, name := range registeredNames() {
		if r := views[name]; r.forType != "" && r.forType == typ {
			return name
		}
	}
	return viewDetail
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
			return open(viewFor(sel.typ), sel.id)
		}
	}
	*cursor = max(0, min(*cursor, n-1))
	return nil
}
