package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// The backfill view: one cell per partition (or per span of partitions, for large
// backfills), read from the run's compact status document, never from its history.
// It registers itself in view.go's views with its key and its workflow type.

const viewBackfill = "backfill"

// backfillKey opens the grid of the selected backfill from the list.
var backfillKey = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "backfill grid"))

// backfillEvery is how often the grid follows a running backfill.
const backfillEvery = 2 * time.Second

// backfillSource is what the view reads: a run's status document.
type backfillSource interface {
	Status(ctx context.Context, workflowID, runID string) (status.Document, error)
}

// Cell states, worst first: a cell spanning several partitions shows its worst.
const (
	cellFailed = iota
	cellRunning
	cellPending
	cellSkipped
	cellDone
	cellPartDone // a pending cell of several partitions, some of them done: drawn ':'
)

var cellLetter = [...]byte{cellFailed: 'F', cellRunning: 'R', cellPending: '.', cellSkipped: 'S', cellDone: 'D'}

type backfillView struct {
	id            string
	width, height int
	doc           *status.Document
	err           error
	gen           int
	failOffset    int
	attempts      bool         // the attempts panel of the selected failure group, in place of the grid
	samples       []rateSample // finished partitions over time, for the last minute's rate
	cells         []gridCell   // computed on load and resize, not in View
	span          int
	groups        []failureGroup // computed on load
}

type rateSample struct {
	at       time.Time
	finished int
}

type gridCell struct {
	state int
	done  float64 // share of the span done or skipped
}

type backfillMsg struct {
	id  string
	gen int
	doc status.Document
	err error
	at  time.Time
}

type backfillTickMsg struct{ id string }

func newBackfillView(id string) *backfillView { return &backfillView{id: id} }

func (v *backfillView) init(e *env) tea.Cmd { return v.refresh(e) }

func (v *backfillView) title() string { return "Keys for the backfill grid" }

func (v *backfillView) typing() bool { return false }

func (v *backfillView) setSize(w, h int) {
	v.width, v.height = w, h
	v.layout()
}

func (v *backfillView) selection() (selection, bool) {
	if v.doc == nil {
		return selection{id: v.id, typ: contract.DataBackfillWorkflow}, true
	}
	return selection{id: v.id, typ: contract.DataBackfillWorkflow, running: v.doc.Status == status.WorkflowRunning}, true
}

func (v *backfillView) refresh(e *env) tea.Cmd {
	v.gen++
	return fetchBackfill(e.src, e.opts.Now, v.id, v.gen)
}

func fetchBackfill(src backfillSource, now func() time.Time, id string, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		doc, err := src.Status(ctx, id, "")
		return backfillMsg{id: id, gen: gen, doc: doc, err: err, at: now()}
	}
}

func (v *backfillView) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.key(e, msg)
	case backfillTickMsg:
		if msg.id == v.id {
			return v.refresh(e)
		}
	case backfillMsg:
		if msg.id != v.id || msg.gen != v.gen {
			return nil
		}
		v.err = msg.err
		if msg.err == nil {
			v.loaded(msg.doc, msg.at)
		}
		if v.doc != nil && v.doc.Status != status.WorkflowRunning {
			return nil // a closed backfill changes no more
		}
		id := v.id
		return tea.Tick(backfillEvery, func(time.Time) tea.Msg { return backfillTickMsg{id: id} })
	}
	return nil
}

func (v *backfillView) key(e *env, msg tea.KeyMsg) tea.Cmd {
	k := e.k
	switch {
	case v.attempts && (key.Matches(msg, k.Back) || key.Matches(msg, attemptsKey)):
		v.attempts = false
	case key.Matches(msg, attemptsKey):
		v.attempts = len(v.failureGroups()) > 0
	case key.Matches(msg, k.Back):
		return back
	case key.Matches(msg, k.Refresh):
		return v.refresh(e)
	case key.Matches(msg, k.Down):
		v.failOffset++
	case key.Matches(msg, k.Up):
		v.failOffset--
	case key.Matches(msg, k.Open):
		return open(viewDetail, v.id)
	}
	v.failOffset = max(0, min(v.failOffset, len(v.failureGroups())-1))
	return nil
}

// loaded keeps the document, a rate sample, and recomputes the cells.
func (v *backfillView) loaded(doc status.Document, at time.Time) {
	v.doc = &doc
	v.groups = groupFailures(doc.Partitions)
	if p := doc.Partitions; p != nil {
		v.samples = append(v.samples, rateSample{at: at, finished: p.Done + p.Skipped + p.Failed})
		for len(v.samples) > 2 && at.Sub(v.samples[1].at) >= time.Minute {
			v.samples = v.samples[1:]
		}
	}
	v.layout()
}

// layout computes the cells for the current size: each spans enough partitions
// that the grid fits its rows. The cost is the cells and ranges, not the partitions.
func (v *backfillView) layout() {
	v.cells, v.span = nil, 1
	if v.doc == nil || v.doc.Partitions == nil || v.width < 4 {
		return
	}
	p := v.doc.Partitions
	cols, rows := v.width-2, max(1, v.gridRows())
	v.span = max(1, (p.Total+cols*rows-1)/(cols*rows))
	n := (p.Total + v.span - 1) / v.span
	v.cells = make([]gridCell, n)
	for i := range v.cells {
		v.cells[i].state = cellDone + 1 // nothing yet: the first state seen wins
	}
	counts := make([]int, n) // partitions done or skipped per cell
	mark := func(ranges []contract.PartitionRange, state int) {
		for _, r := range ranges {
			for c := max(r.From, 0) / v.span; c < n && c*v.span < r.To; c++ {
				from, to := max(r.From, c*v.span), min(r.To, (c+1)*v.span)
				if to <= from {
					continue
				}
				v.cells[c].state = min(v.cells[c].state, state)
				if state == cellDone || state == cellSkipped {
					counts[c] += to - from
				}
			}
		}
	}
	mark(p.Ranges.Done, cellDone)
	mark(p.Ranges.Skipped, cellSkipped)
	mark(p.Ranges.Failed, cellFailed)
	for _, r := range p.InFlight {
		if c := r.Index / v.span; c >= 0 && c < n {
			v.cells[c].state = min(v.cells[c].state, cellRunning)
		}
	}
	for c := range v.cells {
		size := min(v.span, p.Total-c*v.span)
		if counts[c] < size {
			v.cells[c].state = min(v.cells[c].state, cellPending)
		}
		v.cells[c].done = float64(counts[c]) / float64(size)
	}
}

// gridRows is the height left to the grid: header lines above, failures below.
func (v *backfillView) gridRows() int {
	rows := v.height - 4
	if len(v.failureGroups()) > 0 {
		rows -= min(4, len(v.failureGroups())) + 1
	}
	return rows
}

func (v *backfillView) view(e *env) string {
	st := e.st
	out := []string{st.Header.Render(fit("BACKFILL "+sanitize.Text(v.id)+v.runLine(), v.width))}
	switch {
	case v.doc == nil && v.err != nil:
		return strings.Join(append(out, st.Bad.Render(fit("cannot read the backfill: "+present.OneLine(v.err.Error()), v.width))), "\n")
	case v.doc == nil:
		return strings.Join(append(out, st.Dim.Render("loading…")), "\n")
	case v.doc.Partitions == nil:
		return strings.Join(append(out, st.Dim.Render(fit("no partition state in this run's status: not a backfill, or its workers are down · enter details", v.width))), "\n")
	}
	p := v.doc.Partitions
	out = append(out, fit(v.countsLine(p), v.width))
	if v.attempts {
		return strings.Join(append(out, v.attemptsView(e)...), "\n")
	}
	out = append(out, st.Dim.Render(fit(v.rateLine(p), v.width)), st.Dim.Render(fit(v.legend(), v.width)))
	cols := max(1, v.width-2)
	for i := 0; i < len(v.cells); i += cols {
		out = append(out, "  "+v.gridLine(e, v.cells[i:min(i+cols, len(v.cells))]))
	}
	return strings.Join(append(out, v.failuresBlock(e)...), "\n")
}

// gridLine renders cells, one style call per run of cells styled alike: a grid of
// mostly done cells costs a few calls a line, not one a cell.
func (v *backfillView) gridLine(e *env, cells []gridCell) string {
	var b, run strings.Builder
	style := -1
	flush := func() {
		if run.Len() > 0 {
			b.WriteString(v.cellStyle(e, style).Render(run.String()))
			run.Reset()
		}
	}
	for _, c := range cells {
		letter, s := cellLetter[c.state], c.state
		if c.state == cellPending && v.span > 1 && c.done > 0 {
			letter, s = ':', cellPartDone // pending, but some of it done
		}
		if s != style {
			flush()
			style = s
		}
		run.WriteByte(letter)
	}
	flush()
	return b.String()
}

func (v *backfillView) cellStyle(e *env, state int) lipgloss.Style {
	switch state {
	case cellFailed:
		return e.st.Bad
	case cellRunning:
		return e.st.Warn
	case cellDone, cellSkipped, cellPartDone:
		return e.st.OK
	}
	return e.st.Dim
}

func (v *backfillView) runLine() string {
	d := v.doc
	if d == nil {
		return ""
	}
	line := " · " + d.Status
	if p := d.Partitions; p != nil && p.Paused {
		line += " · PAUSED"
	}
	return line
}

func (v *backfillView) countsLine(p *status.PartitionSummary) string {
	return fmt.Sprintf("done %s · running %s · failed %s · skipped %s · pending %s of %s",
		present.Count(p.Done), present.Count(p.Running), present.Count(p.Failed), present.Count(p.Skipped), present.Count(p.Pending), present.Count(p.Total))
}

// rateLine is the pace over the last minute the view has watched, the pace overall,
// and the time left at the recent pace (the overall one until a minute is seen).
func (v *backfillView) rateLine(p *status.PartitionSummary) string {
	tail := fmt.Sprintf(" · %d/task × %d", p.BatchSize, p.MaxParallel)
	if p.Runs > 1 {
		tail += fmt.Sprintf(" · run %d of chain", p.Runs)
	}
	if v.doc.Status != status.WorkflowRunning {
		return fmt.Sprintf("%.1f/s overall", p.PartitionsPerSecond) + tail // closed: no pace now, no ETA
	}
	recent := p.PartitionsPerSecond
	if n := len(v.samples); n >= 2 {
		a, b := v.samples[0], v.samples[n-1]
		if secs := b.at.Sub(a.at).Seconds(); secs > 0 {
			recent = float64(b.finished-a.finished) / secs
		}
	}
	line := fmt.Sprintf("%.1f/s last min · %.1f/s overall", recent, p.PartitionsPerSecond)
	if left := p.Pending + p.Running; left > 0 && recent > 0 {
		line += " · ETA " + status.FormatDuration(time.Duration(float64(left)/recent*float64(time.Second)))
	}
	return line + tail
}

func (v *backfillView) legend() string {
	states := "D done R running F failed S skipped . pending"
	if v.span > 1 {
		return states + fmt.Sprintf(" · 1 cell = %s partitions (worst)", present.Count(v.span))
	}
	return states + " · 1 cell = 1 partition"
}

func (v *backfillView) hint(*env) string {
	if v.span > 1 {
		return ": a cell partly done · enter: run details · matih backfill ID -o json"
	}
	return "enter: run details · matih backfill ID -o json for scripts"
}

func (v *backfillView) help(e *env) help.KeyMap {
	running := v.doc != nil && v.doc.Status == status.WorkflowRunning
	_, rerun := v.rerunPlan()
	return backfillHelp{k: e.k, acts: e.acts() && running, rerun: e.acts() && rerun, failures: len(v.failureGroups()) > 0}
}

// backfillHelp is the grid's keymap; acts offers pause, resume and cancel on a
// running backfill in a console that may act, rerun the rerun of a closed one with
// partitions left to do.
type backfillHelp struct {
	k                     keys.KeyMap
	acts, rerun, failures bool
}

func (h backfillHelp) ShortHelp() []key.Binding {
	switch {
	case h.acts:
		return []key.Binding{h.k.Pause, h.k.Resume, h.k.Cancel, h.k.Open, h.k.Back, h.k.Help, h.k.Quit}
	case h.rerun:
		return []key.Binding{h.k.Rerun, attemptsKey, h.k.Down, h.k.Open, h.k.Back, h.k.Help, h.k.Quit}
	case h.failures:
		return []key.Binding{attemptsKey, h.k.Down, h.k.Open, h.k.Refresh, h.k.Back, h.k.Help, h.k.Quit}
	}
	return []key.Binding{h.k.Down, h.k.Open, h.k.Refresh, h.k.Back, h.k.Help, h.k.Quit}
}

func (h backfillHelp) FullHelp() [][]key.Binding {
	nav := [][]key.Binding{{h.k.Up, h.k.Down, h.k.Refresh}, {h.k.Open, h.k.Copy, h.k.Back, h.k.Help, h.k.Quit}}
	if h.acts {
		nav = append(nav, []key.Binding{h.k.Pause, h.k.Resume, h.k.Cancel, h.k.Terminate})
	}
	if h.failures {
		nav = append(nav, []key.Binding{attemptsKey})
	}
	if h.rerun {
		nav = append(nav, []key.Binding{h.k.Rerun})
	}
	return nav
}
