// Package keys is the console's one keymap. Every view reads its bindings from here,
// and the help bar and help view are generated from the same bindings, so what the
// help says is what the keys do.
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding of the console.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom  key.Binding
	Open, Back, Quit, Help, Refresh          key.Binding
	NextTab, PrevTab, Filter, Query, Inbox   key.Binding
	Failures                                 key.Binding
	Approve, Reject, Cancel, Terminate, Copy key.Binding
	Pause, Resume, Rerun                     key.Binding
	Submit, Dismiss, NextField               key.Binding
}

// Default is the keymap: arrows or vi keys to move, single letters for actions.
func Default() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:        b("↑/k", "up", "up", "k"),
		Down:      b("↓/j", "down", "down", "j"),
		PageUp:    b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown:  b("pgdn", "page down", "pgdown", "ctrl+d", " "),
		Top:       b("g", "top", "home", "g"),
		Bottom:    b("G", "bottom", "end", "G"),
		Open:      b("enter", "open", "enter"),
		Back:      b("esc", "back", "esc", "backspace"),
		Quit:      b("q", "quit", "q", "ctrl+c"),
		Help:      b("?", "help", "?"),
		Refresh:   b("ctrl+r", "refresh", "ctrl+r"),
		NextTab:   b("tab", "status", "tab", "right", "l"),
		PrevTab:   b("shift+tab", "previous tab", "shift+tab", "left", "h"),
		Filter:    b("/", "filter", "/"),
		Query:     b(":", "query", ":"),
		Inbox:     b("i", "approvals inbox", "i"),
		Failures:  b("f", "failures", "f"),
		Approve:   b("a", "approve", "a"),
		Reject:    b("r", "reject", "r"),
		Cancel:    b("c", "cancel run", "c"),
		Terminate: b("T", "terminate", "T"),
		Pause:     b("p", "pause", "p"),
		Resume:    b("u", "resume", "u"),
		Rerun:     b("R", "rerun failed", "R"),
		Copy:      b("y", "copy id", "y"),
		Submit:    b("enter", "submit", "enter"),
		Dismiss:   b("esc", "close", "esc"),
		NextField: b("tab", "next field", "tab", "shift+tab"),
	}
}

// ListHelp is the workflows view's keymap for the help bar and the help view.
// Waiting and Running describe the selected run, so the bar offers only what applies;
// without Acts (a read-only console) no action is offered at all.
type ListHelp struct {
	K                      KeyMap
	Acts, Waiting, Running bool
	// Views are the keys the registered views bring (each view declares its own).
	Views []key.Binding
}

// ShortHelp leads with what a newcomer needs: open a run, approve or reject it.
func (h ListHelp) ShortHelp() []key.Binding {
	k := h.K
	switch {
	case h.Acts && h.Waiting:
		return []key.Binding{k.Open, k.Approve, k.Reject, k.NextTab, k.Filter, k.Help, k.Quit}
	case h.Acts && h.Running:
		return []key.Binding{k.Open, k.Cancel, k.NextTab, k.Filter, k.Help, k.Quit}
	}
	return []key.Binding{k.Open, k.NextTab, k.Filter, k.Query, k.Inbox, k.Help, k.Quit}
}

// FullHelp lists every key of the view.
func (h ListHelp) FullHelp() [][]key.Binding {
	k := h.K
	return withActions(h.Acts, [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		append([]key.Binding{k.Open, k.NextTab, k.PrevTab, k.Filter, k.Query, k.Refresh, k.Inbox, k.Failures}, h.Views...),
	}, []key.Binding{k.Approve, k.Reject, k.Cancel, k.Terminate}, []key.Binding{k.Copy, k.Help, k.Quit})
}

// withActions adds the action column only to a console that may act.
func withActions(acts bool, head [][]key.Binding, actions, tail []key.Binding) [][]key.Binding {
	if acts {
		head = append(head, actions)
	}
	return append(head, tail)
}

// DetailHelp is the detail view's keymap; Waiting and Running describe the open run.
type DetailHelp struct {
	K                      KeyMap
	Acts, Waiting, Running bool
}

// ShortHelp leads with the decision keys when there is a decision to take.
func (h DetailHelp) ShortHelp() []key.Binding {
	k := h.K
	switch {
	case h.Acts && h.Waiting:
		return []key.Binding{k.Approve, k.Reject, k.Cancel, k.Copy, k.Back, k.Help, k.Quit}
	case h.Acts && h.Running:
		return []key.Binding{k.Cancel, k.Terminate, k.Copy, k.Back, k.Help, k.Quit}
	}
	return []key.Binding{k.Copy, k.Back, k.Down, k.Help, k.Quit}
}

// FullHelp lists every key of the view.
func (h DetailHelp) FullHelp() [][]key.Binding {
	k := h.K
	return withActions(h.Acts, [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Refresh},
	}, []key.Binding{k.Approve, k.Reject, k.Cancel, k.Terminate}, []key.Binding{k.Copy, k.Back, k.Help, k.Quit})
}

// InboxHelp is the approvals inbox's keymap.
type InboxHelp struct {
	K          KeyMap
	Acts, Some bool
}

// ShortHelp leads with the decision: the inbox exists to take it.
func (h InboxHelp) ShortHelp() []key.Binding {
	k := h.K
	if h.Acts && h.Some {
		return []key.Binding{k.Approve, k.Reject, k.Down, k.Open, k.Back, k.Help, k.Quit}
	}
	return []key.Binding{k.Open, k.Back, k.Refresh, k.Help, k.Quit}
}

// FullHelp lists every key of the view.
func (h InboxHelp) FullHelp() [][]key.Binding {
	k := h.K
	return withActions(h.Acts, [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.Open, k.Refresh}},
		[]key.Binding{k.Approve, k.Reject, k.Cancel}, []key.Binding{k.Copy, k.Back, k.Help, k.Quit})
}

// DialogHelp is the keymap of the action dialogs.
type DialogHelp struct {
	K          KeyMap
	MultiField bool
}

// ShortHelp: submit, switch field, close.
func (h DialogHelp) ShortHelp() []key.Binding {
	if h.MultiField {
		return []key.Binding{h.K.Submit, h.K.NextField, h.K.Dismiss}
	}
	return []key.Binding{h.K.Submit, h.K.Dismiss}
}

// FullHelp is the short help in one column.
func (h DialogHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }

// FailuresHelp is the failures view's keymap.
type FailuresHelp struct{ K KeyMap }

// ShortHelp: move, open the example run, go back.
func (h FailuresHelp) ShortHelp() []key.Binding {
	k := h.K
	return []key.Binding{k.Down, k.Open, k.Refresh, k.Back, k.Help, k.Quit}
}

// FullHelp lists every key of the view.
func (h FailuresHelp) FullHelp() [][]key.Binding {
	k := h.K
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Open, k.Refresh, k.Copy, k.Back, k.Help, k.Quit}}
}
