package console

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
)

// The fleet view: every queue with its pollers, backlog and running runs, a red
// line for a queue whose runs no live worker takes, and every worker deployment with
// its versions, drainage and pinned runs. It reads; rollouts stay in
// scripts/rollout.sh. It registers itself in view.go's views with its key.

const viewFleet = "fleet"

// fleetKey opens the fleet from the list.
var fleetKey = key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "fleet"))

// fleetEvery is how often the fleet refreshes: a rollout shows within one refresh.
const fleetEvery = 5 * time.Second

type fleetView struct {
	width, height int
	fleet         *data.Fleet
	at            time.Time
	err           error
	gen           int
	offset        int
}

type fleetMsg struct {
	gen   int
	fleet data.Fleet
	err   error
	at    time.Time
}

type fleetTickMsg struct{ gen int }

func newFleetView() *fleetView { return &fleetView{} }

func (v *fleetView) init(e *env) tea.Cmd          { return v.refresh(e) }
func (v *fleetView) title() string                { return "Keys for the fleet" }
func (v *fleetView) typing() bool                 { return false }
func (v *fleetView) setSize(w, h int)             { v.width, v.height = w, h }
func (v *fleetView) selection() (selection, bool) { return selection{}, false }
func (v *fleetView) help(e *env) help.KeyMap      { return fleetHelp{k: e.k} }
func (v *fleetView) hint(*env) string {
	return "read only: rollouts are scripts/rollout.sh · matih queues -o json"
}

func (v *fleetView) refresh(e *env) tea.Cmd {
	v.gen++
	gen, src, now := v.gen, e.src, e.opts.Now
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		f, err := data.LoadFleet(ctx, src)
		return fleetMsg{gen: gen, fleet: f, err: err, at: now()}
	}
}

func (v *fleetView) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.key(e, msg)
	case fleetTickMsg:
		if msg.gen == v.gen {
			return v.refresh(e)
		}
	case fleetMsg:
		if msg.gen != v.gen {
			return nil
		}
		v.err = msg.err
		if msg.err == nil {
			v.fleet, v.at = &msg.fleet, msg.at
		}
		gen := v.gen
		return tea.Tick(fleetEvery, func(time.Time) tea.Msg { return fleetTickMsg{gen: gen} })
	}
	return nil
}

func (v *fleetView) key(e *env, msg tea.KeyMsg) tea.Cmd {
	k := e.k
	switch {
	case key.Matches(msg, k.Back):
		return back
	case key.Matches(msg, k.Refresh):
		return v.refresh(e)
	case key.Matches(msg, k.Down):
		v.offset++
	case key.Matches(msg, k.Up):
		v.offset--
	case key.Matches(msg, k.Top):
		v.offset = 0
	}
	v.offset = max(0, v.offset)
	return nil
}

func (v *fleetView) view(e *env) string {
	st := e.st
	head := "FLEET"
	if !v.at.IsZero() {
		head += "  as of " + v.at.UTC().Format("15:04:05 UTC")
	}
	out := []string{st.Header.Render(fit(head, v.width))}
	switch {
	case v.fleet == nil && v.err != nil:
		return strings.Join(append(out, st.Bad.Render(fit("cannot read the fleet: "+present.OneLine(v.err.Error()), v.width))), "\n")
	case v.fleet == nil:
		return strings.Join(append(out, st.Dim.Render("loading…")), "\n")
	case v.err != nil:
		out = append(out, st.Bad.Render(fit("refresh failed, showing the last answer: "+present.OneLine(v.err.Error()), v.width)))
	}
	lines := present.Fleet(*v.fleet, v.at)
	rows := max(1, v.height-len(out))
	v.offset = min(v.offset, max(0, len(lines)-rows))
	for _, l := range lines[v.offset:min(len(lines), v.offset+rows)] {
		text := fit(l.Text, v.width)
		switch {
		case l.Alarm:
			text = st.Bad.Render(text)
		case l.Head:
			text = st.Dim.Render(text)
		}
		out = append(out, text)
	}
	return strings.Join(out, "\n")
}

// fleetHelp is the fleet's keymap.
type fleetHelp struct{ k keys.KeyMap }

func (h fleetHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Down, h.k.Refresh, h.k.Back, h.k.Help, h.k.Quit}
}

func (h fleetHelp) FullHelp() [][]key.Binding {
	return [][]key.Binding{{h.k.Up, h.k.Down, h.k.Top, h.k.Refresh}, {h.k.Back, h.k.Help, h.k.Quit}}
}
