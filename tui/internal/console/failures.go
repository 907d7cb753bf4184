package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// failuresSince is how far back the failures view looks.
const failuresSince = 24 * time.Hour

// failuresView groups the last day's failed runs by error type and masked message,
// then by build, so one cause shows once with its count, and a bad build stands out.
type failuresView struct {
	width, height int
	groups        []data.FailureGroup
	runs          int
	loaded        bool
	err           error
	cursor        int
	offset        int
}

func newFailuresView() *failuresView { return &failuresView{} }

func (v *failuresView) init(e *env) tea.Cmd { return v.refresh(e) }

func (v *failuresView) title() string { return "Keys for the failures view" }

func (v *failuresView) setSize(w, h int) { v.width, v.height = w, h }

func (v *failuresView) typing() bool { return false }

func (v *failuresView) refresh(e *env) tea.Cmd { return fetchFailures(e.src, e.opts.Now) }

// selection is the example run of the selected group, which actions would apply to.
func (v *failuresView) selection() (selection, bool) {
	if v.cursor < 0 || v.cursor >= len(v.groups) {
		return selection{}, false
	}
	return selection{id: v.groups[v.cursor].ExampleWorkflowID}, true
}

func (v *failuresView) help(e *env) help.KeyMap { return keys.FailuresHelp{K: e.k} }

func (v *failuresView) hint(*env) string {
	if len(v.groups) == 0 {
		return ""
	}
	return "enter opens the group's most recent run · matih failures -o json for scripts"
}

func (v *failuresView) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.key(e, msg)
	case failuresMsg:
		v.err = msg.err
		if msg.err == nil {
			v.groups, v.runs, v.loaded = msg.groups, msg.runs, true
			v.cursor = max(0, min(v.cursor, len(v.groups)-1))
		}
	}
	return nil
}

func (v *failuresView) key(e *env, msg tea.KeyMsg) tea.Cmd {
	return pickKey(e, v, msg, &v.cursor, len(v.groups))
}

// Each group takes two lines: its numbers, then its message.
func (v *failuresView) shown() int { return max(1, (v.height-2)/2) }

func (v *failuresView) view(e *env) string {
	st := e.st
	head := fmt.Sprintf("FAILURES · last %s · %d failed runs in %d groups", present.Dash(shortDuration(failuresSince)), v.runs, len(v.groups))
	out := []string{st.Header.Render(fit(head, v.width))}
	switch {
	case v.err != nil && !v.loaded:
		return strings.Join(append(out, st.Bad.Render(fit("cannot read failures: "+present.OneLine(v.err.Error()), v.width))), "\n")
	case !v.loaded:
		return strings.Join(append(out, st.Dim.Render("loading…")), "\n")
	case len(v.groups) == 0:
		return strings.Join(append(out, st.Dim.Render("no run failed in that time · esc goes back")), "\n")
	}
	out = append(out, st.Header.Render(pad("  COUNT  TYPE                 ACTIVITY          BUILD         FIRST  LAST", v.width)))
	n := v.shown()
	v.offset = max(0, min(v.offset, v.cursor))
	if v.cursor >= v.offset+n {
		v.offset = v.cursor - n + 1
	}
	for i := v.offset; i < len(v.groups) && i < v.offset+n; i++ {
		g := v.groups[i]
		mark := "  "
		if i == v.cursor {
			mark = "> "
		}
		line := mark + pad(fmt.Sprint(g.Count), 6) + " " + pad(sanitize.Text(g.ErrorType), 20) + " " +
			pad(present.Dash(sanitize.Text(g.Activity)), 17) + " " + pad(present.Dash(sanitize.Text(shortBuild(g.BuildID))), 13) + " " +
			g.FirstSeen.Local().Format("15:04") + "  " + g.LastSeen.Local().Format("15:04")
		msgLine := "    " + present.OneLine(g.Message) + " · e.g. " + compactID(sanitize.Text(g.ExampleWorkflowID), 30)
		if i == v.cursor {
			line = st.Selected.Render(pad(line, v.width))
		}
		out = append(out, fit(line, v.width), st.Dim.Render(fit(msgLine, v.width)))
	}
	return strings.Join(out, "\n")
}

// shortBuild drops our deployment's name from a deployment version: the workflow type
// already says which worker it is, the build ID is what tells builds apart.
func shortBuild(v string) string {
	if i := strings.Index(v, "."); i >= 0 && strings.HasPrefix(v, "matih-") {
		return v[i+1:]
	}
	return v
}

func shortDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return d.String()
}
