package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/sanitize"
)

// inboxView is the approvals inbox: every run waiting for a human, soonest deadline
// first, with the selected run's evidence below the list, so a decision needs no
// navigation. The console opens on it when a run waits.
type inboxView struct {
	width, height int
	runs          []data.Waiting
	truncated     bool
	loaded        bool
	err           error
	cursor        int
	fetchedAt     time.Time
	tickGen       int
}

func newInboxView() *inboxView { return &inboxView{} }

func (v *inboxView) init(e *env) tea.Cmd { return v.refresh(e) }

func (v *inboxView) title() string { return "Keys for the approvals inbox" }

func (v *inboxView) setSize(w, h int) { v.width, v.height = w, h }

func (v *inboxView) typing() bool { return false }

func (v *inboxView) refresh(e *env) tea.Cmd { return fetchInbox(e.src, e.opts.Now) }

func (v *inboxView) selection() (selection, bool) {
	if v.cursor < 0 || v.cursor >= len(v.runs) {
		return selection{}, false
	}
	return selection{id: v.runs[v.cursor].WorkflowID, waiting: true, running: true}, true
}

func (v *inboxView) help(e *env) help.KeyMap {
	return keys.InboxHelp{K: e.k, Acts: e.acts(), Some: len(v.runs) > 0}
}

func (v *inboxView) hint(e *env) string {
	switch {
	case len(v.runs) == 0:
		return ""
	case !e.acts():
		return "read-only console (" + e.opts.ReadOnlyWhy + "): decide from one that may act"
	}
	return "a approve · r reject the selected run · esc all workflows"
}

func (v *inboxView) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.key(e, msg)
	case inboxMsg:
		v.tickGen++
		next := inboxTick(backoff(e.opts.Refresh, e.conn.failures), v.tickGen)
		if msg.err != nil {
			v.err = msg.err
			return next
		}
		keep := ""
		if sel, ok := v.selection(); ok {
			keep = sel.id
		}
		v.runs, v.truncated, v.err, v.loaded, v.fetchedAt = msg.runs, msg.truncated, nil, true, msg.at
		for i, r := range v.runs {
			if r.WorkflowID == keep {
				v.cursor = i
			}
		}
		v.cursor = max(0, min(v.cursor, len(v.runs)-1))
		return next
	case inboxTickMsg:
		if msg.gen == v.tickGen {
			return v.refresh(e)
		}
	}
	return nil
}

func (v *inboxView) key(e *env, msg tea.KeyMsg) tea.Cmd {
	return pickKey(e, v, msg, &v.cursor, len(v.runs))
}

// listRows is how many runs the list part shows; the evidence gets the rest.
func (v *inboxView) listRows() int { return max(1, min(len(v.runs), v.height/3)) }

func (v *inboxView) view(e *env) string {
	st := e.st
	head := fmt.Sprintf("APPROVALS · %d waiting · soonest deadline first", len(v.runs))
	if v.truncated {
		head += fmt.Sprintf(" · first %d shown", data.MaxInbox)
	}
	if !v.fetchedAt.IsZero() {
		head += " · fetched " + v.fetchedAt.Local().Format("15:04:05")
	}
	out := []string{st.Header.Render(fit(head, v.width))}
	switch {
	case v.err != nil && !v.loaded:
		return strings.Join(append(out, st.Bad.Render(fit("cannot read the inbox: "+sanitize.Text(v.err.Error()), v.width))), "\n")
	case !v.loaded:
		return strings.Join(append(out, st.Dim.Render("loading…")), "\n")
	case len(v.runs) == 0:
		return strings.Join(append(out, st.Dim.Render("nothing waits for a human · esc or i toggles the workflows list")), "\n")
	}
	now := e.opts.Now()
	out = append(out, st.Header.Render(pad("  LEFT     SCORE/MIN  FIRST FAILING CHECK          AGE    RUN", v.width)))
	n := v.listRows()
	first := max(0, min(v.cursor-n+1, len(v.runs)-n))
	for i := first; i < first+n && i < len(v.runs); i++ {
		line := inboxLine(v.runs[i], now, i == v.cursor, v.width)
		if i == v.cursor {
			line = st.Selected.Render(pad(line, v.width))
		}
		out = append(out, line)
	}
	sel := v.runs[v.cursor]
	out = append(out, st.Dim.Render(strings.Repeat("─", v.width)))
	out = append(out, st.Title.Render(fit(sanitize.Text(sel.WorkflowID), v.width)))
	out = append(out, evidence(e, &sel.Doc, v.width, now)...)
	return strings.Join(out, "\n")
}

// inboxLine is one waiting run: time left, score against the minimum, the first
// failing check with its failed-row ratio, age and the run.
func inboxLine(w data.Waiting, now time.Time, selected bool, width int) string {
	mark := "  "
	if selected {
		mark = "> "
	}
	left, minScore := w.GateText(now)
	score := "-"
	if w.QualityScore != nil {
		score = fmt.Sprintf("%.2f", *w.QualityScore)
	}
	score += "/" + minScore
	check := "-"
	if c := w.FirstFailing; c != nil {
		check = fmt.Sprintf("%s %.0f%%", sanitize.Text(c.Name), c.Ratio*100)
	}
	age := coarse(now.Sub(w.StartedAt))
	s := mark + pad(left, 8) + " " + pad(score, 10) + " " + pad(check, 28) + " " + pad(age, 6) + " "
	return fit(s+compactID(sanitize.Text(w.WorkflowID), max(8, width-len([]rune(s)))), width)
}
