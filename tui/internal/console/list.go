package console

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/console/keys"
	"github.com/matih/ops/tui/internal/data"
)

type inputMode int

const (
	modeNone inputMode = iota
	modeFilter
	modeQuery
)

// listView is the workflows table: status tabs with counts, a filter over loaded rows,
// a raw visibility query, paging by next-page token and auto refresh. It holds every
// row paged in (100,000 and more); a refresh merges the newest page into them and
// never drops what was paged in.
type listView struct {
	width, height int

	tab         int
	counts      []int64
	countsStale bool
	rows        []data.Row
	visible     []int
	cursor      int
	offset      int
	next        []byte
	// paging is the token of the next-page request in flight, nil when none.
	paging   []byte
	toEnd    bool // keep paging until the last page (G)
	loaded   bool
	pageSize int
	rawQuery string
	pending  *string
	queryErr string
	filter   string
	mode     inputMode
	input    textinput.Model
	// gen changes when what the list shows changes (tab, query): answers asked for an
	// older gen are dropped. tickGen keeps one refresh chain alive.
	gen       int
	tickGen   int
	fetchedAt time.Time
	lastTook  time.Duration
	// warn is set while a queue with running workflows has no poller: the list gives
	// that a line of its own.
	warn bool
}

func newListView() *listView {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 500
	return &listView{input: in, pageSize: pageSize}
}

func (l *listView) init(e *env) tea.Cmd { return l.refresh(e) }

func (l *listView) title() string { return "Keys for the workflows list" }

func (l *listView) setSize(w, h int) { l.width, l.height = w, h; l.clamp() }

func (l *listView) typing() bool { return l.mode != modeNone }

func (l *listView) query() string { return data.And(data.Tabs[l.tab].Query, l.rawQuery) }

// reset forgets the rows, for a new tab or query.
func (l *listView) reset() {
	l.gen++
	l.rows, l.visible, l.next, l.paging, l.toEnd = nil, nil, nil, nil, false
	l.cursor, l.offset, l.loaded, l.counts = 0, 0, false, nil
}

// refresh asks for the newest page again; gotList merges it into the loaded rows.
func (l *listView) refresh(e *env) tea.Cmd {
	q := l.query()
	if l.pending != nil {
		q = data.And(data.Tabs[l.tab].Query, *l.pending)
	}
	return fetchList(e.src, e.opts.Now, l.gen, q, l.pageSize, nil)
}

func (l *listView) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return l.key(e, msg)
	case listTickMsg:
		if msg.gen != l.tickGen {
			return nil
		}
		return tea.Batch(l.refresh(e), l.refreshWindow(e))
	case windowMsg:
		if msg.gen == l.gen && msg.err == nil {
			l.gotWindow(msg)
		}
	case countsMsg:
		l.warn = len(e.idleQueues) > 0
		l.clamp()
		if msg.gen == l.gen {
			l.countsStale = msg.err != nil
			if msg.err == nil {
				l.counts = msg.counts
			}
		}
	case listMsg:
		return l.gotList(e, msg)
	}
	return nil
}

// selectedKey identifies the row under the cursor across refreshes.
func (l *listView) selectedKey() string {
	if r, ok := l.selectedRow(); ok {
		return rowKey(r)
	}
	return ""
}

func (l *listView) applyFilter(keep string) {
	f := strings.ToLower(l.filter)
	l.visible = l.visible[:0]
	for i, r := range l.rows {
		if f == "" || strings.Contains(strings.ToLower(r.WorkflowID+" "+r.Type+" "+r.Status+" "+r.Phase), f) {
			l.visible = append(l.visible, i)
			if keep != "" && rowKey(r) == keep {
				l.cursor = len(l.visible) - 1
			}
		}
	}
	l.clamp()
}

func (l *listView) selectedRow() (data.Row, bool) {
	if l.cursor < 0 || l.cursor >= len(l.visible) {
		return data.Row{}, false
	}
	return l.rows[l.visible[l.cursor]], true
}

func (l *listView) selection() (selection, bool) {
	r, ok := l.selectedRow()
	if !ok {
		return selection{}, false
	}
	running := r.Status == status.WorkflowRunning
	return selection{id: r.WorkflowID, typ: r.Type, running: running, waiting: running && r.Phase == contract.PhaseAwaitingApproval}, true
}

func (l *listView) help(e *env) help.KeyMap {
	sel, _ := l.selection()
	return keys.ListHelp{K: e.k, Acts: e.acts(), Waiting: sel.waiting, Running: sel.running, Views: viewKeys()}
}

func (l *listView) hint(e *env) string {
	sel, _ := l.selection()
	switch {
	case !sel.waiting:
		return ""
	case !e.acts():
		return "this run waits for a human; this console is read-only (" + e.opts.ReadOnlyWhy + ")"
	}
	return "this run waits for a human: a approve · r reject · enter details"
}

func (l *listView) rowsShown() int {
	if l.warn {
		return max(1, l.height-4)
	}
	return max(1, l.height-3)
}

func (l *listView) clamp() {
	l.cursor = max(0, min(l.cursor, len(l.visible)-1))
	n := l.rowsShown()
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+n {
		l.offset = l.cursor - n + 1
	}
	l.offset = max(0, min(l.offset, max(0, len(l.visible)-n)))
}

func (l *listView) key(e *env, msg tea.KeyMsg) tea.Cmd {
	if l.typing() {
		return l.typingKey(e, msg)
	}
	k := e.k
	sel, _ := l.selectedRow()
	if cmd, ok := openByKey(msg, sel.WorkflowID, sel.Type); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Up):
		l.cursor--
	case key.Matches(msg, k.Down):
		l.cursor++
	case key.Matches(msg, k.PageUp):
		l.cursor -= l.rowsShown()
	case key.Matches(msg, k.PageDown):
		l.cursor += l.rowsShown()
	case key.Matches(msg, k.Top):
		l.cursor = 0
	case key.Matches(msg, k.Bottom):
		l.cursor = len(l.visible) - 1
		l.clamp()
		if l.next != nil && l.filter == "" {
			l.toEnd = true // load every page left, then land on the last row
			return l.nextPage(e)
		}
		return nil
	case key.Matches(msg, k.NextTab):
		l.tab = (l.tab + 1) % len(data.Tabs)
		l.reset()
		return l.refresh(e)
	case key.Matches(msg, k.PrevTab):
		l.tab = (l.tab + len(data.Tabs) - 1) % len(data.Tabs)
		l.reset()
		return l.refresh(e)
	case key.Matches(msg, k.Refresh):
		return l.refresh(e)
	case key.Matches(msg, k.Filter):
		l.startInput(modeFilter, l.filter)
		return textinput.Blink
	case key.Matches(msg, k.Query):
		l.startInput(modeQuery, l.rawQuery)
		return textinput.Blink
	case key.Matches(msg, k.Inbox):
		return open(viewInbox, "")
	case key.Matches(msg, k.Failures):
		return open(viewFailures, "")
	case key.Matches(msg, k.Back):
		if l.filter != "" {
			l.filter = ""
			l.applyFilter(l.selectedKey())
		}
		return nil
	case key.Matches(msg, k.Open):
		if r, ok := l.selectedRow(); ok {
			return open(viewFor(r.Type), r.WorkflowID)
		}
		return nil
	default:
		return nil
	}
	l.clamp()
	return l.maybeMore(e)
}

func (l *listView) startInput(mode inputMode, value string) {
	l.mode = mode
	l.input.SetValue(value)
	l.input.CursorEnd()
	l.input.Focus()
}

func (l *listView) typingKey(e *env, msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, e.k.Submit):
		mode := l.mode
		l.mode = modeNone
		l.input.Blur()
		if mode == modeQuery {
			q := strings.TrimSpace(l.input.Value())
			l.pending = &q
			l.gen++
			l.queryErr = ""
			return l.refresh(e)
		}
		return nil
	case key.Matches(msg, e.k.Dismiss):
		if l.mode == modeFilter {
			l.filter = ""
			l.applyFilter(l.selectedKey())
		}
		l.mode = modeNone
		l.input.Blur()
		return nil
	}
	var cmd tea.Cmd
	l.input, cmd = l.input.Update(msg)
	if l.mode == modeFilter {
		l.filter = l.input.Value()
		l.applyFilter("")
	}
	return cmd
}
