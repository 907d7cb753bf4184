package console

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/data"
)

type inputMode int

const (
	modeNone inputMode = iota
	modeFilter
	modeQuery
)

// listView is the workflows table: status tabs with counts, a filter over loaded rows,
// a raw visibility query, paging by next-page token and auto refresh.
type listView struct {
	m             *Model
	width, height int

	tab       int
	counts    []int64
	rows      []data.Row
	visible   []int
	cursor    int
	offset    int
	next      []byte
	loading   bool
	loaded    bool
	rawQuery  string
	pending   *string
	queryErr  string
	filter    string
	mode      inputMode
	input     textinput.Model
	gen       int
	tickGen   int
	fetchedAt time.Time
	lastTook  time.Duration
}

func newListView(m *Model) *listView {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 500
	return &listView{m: m, input: in}
}

func (l *listView) setSize(w, h int) { l.width, l.height = w, h; l.clamp() }

func (l *listView) typing() bool { return l.mode != modeNone }

func (l *listView) query() string { return data.And(data.Tabs[l.tab].Query, l.rawQuery) }

// load fetches the first page again (refresh), as large as what is already loaded.
func (l *listView) load(reset bool) tea.Cmd {
	if reset {
		l.gen++
		l.rows, l.visible, l.next, l.cursor, l.offset, l.loaded, l.counts = nil, nil, nil, 0, 0, false, nil
	}
	size := pageSize
	if n := len(l.rows); n > size {
		size = min(n, 1000)
	}
	q := l.query()
	if l.pending != nil {
		q = data.And(data.Tabs[l.tab].Query, *l.pending)
	}
	return fetchList(l.m.src, l.m.opts.Now, l.gen, q, size, nil, false)
}

func (l *listView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listTickMsg:
		if msg.gen != l.tickGen {
			return nil
		}
		return l.load(false)
	case countsMsg:
		if msg.gen == l.gen && msg.err == nil {
			l.counts = msg.counts
			if msg.idle != nil {
				l.m.idleQueues = msg.idle
			}
		}
	case listMsg:
		return l.gotList(msg)
	}
	return nil
}

func (l *listView) gotList(msg listMsg) tea.Cmd {
	l.loading = false
	l.lastTook = msg.took
	if msg.gen != l.gen {
		return nil
	}
	if msg.err != nil && l.pending != nil && !isConnErr(msg.err) {
		l.queryErr = "query refused: " + oneLine(msg.err.Error())
		l.pending = nil
		l.gen++
		return l.armTick()
	}
	l.m.noteResult(msg.err, msg.at)
	if msg.err != nil {
		return l.armTick()
	}
	if l.pending != nil {
		l.rawQuery, l.pending, l.queryErr = *l.pending, nil, ""
	}
	keep := ""
	if r, ok := l.selected(); ok && !msg.append {
		keep = r.WorkflowID
	}
	if msg.append {
		l.rows = append(l.rows, msg.page.Rows...)
	} else {
		l.rows = msg.page.Rows
	}
	l.next, l.loaded, l.fetchedAt = msg.page.NextToken, true, msg.at
	l.applyFilter(keep)
	cmds := []tea.Cmd{l.armTick()}
	if !msg.append {
		cmds = append(cmds, fetchCounts(l.m.src, l.gen, l.rawQuery))
	}
	return tea.Batch(cmds...)
}

// armTick schedules the next refresh, backing off while the server fails; any older
// tick is invalidated so only one refresh chain runs.
func (l *listView) armTick() tea.Cmd {
	l.tickGen++
	return listTick(l.interval(), l.tickGen)
}

// interval is the refresh period: the configured one, doubled per consecutive failure,
// and never shorter than ten times the last list call, so a slow server is not hammered.
func (l *listView) interval() time.Duration {
	return max(backoff(l.m.opts.Refresh, l.m.conn.failures), min(10*l.lastTook, time.Minute))
}

func isConnErr(err error) bool {
	return isTransport(err) || strings.Contains(err.Error(), data.ErrUnreachable.Error())
}

func (l *listView) applyFilter(keepID string) {
	f := strings.ToLower(l.filter)
	l.visible = l.visible[:0]
	for i, r := range l.rows {
		if f == "" || strings.Contains(strings.ToLower(r.WorkflowID+" "+r.Type+" "+r.Status+" "+r.Phase), f) {
			l.visible = append(l.visible, i)
			if keepID != "" && r.WorkflowID == keepID {
				l.cursor = len(l.visible) - 1
			}
		}
	}
	l.clamp()
}

func (l *listView) selected() (data.Row, bool) {
	if l.cursor < 0 || l.cursor >= len(l.visible) {
		return data.Row{}, false
	}
	return l.rows[l.visible[l.cursor]], true
}

func (l *listView) rowsShown() int { return max(1, l.height-3) }

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

func (l *listView) key(msg tea.KeyMsg) tea.Cmd {
	if l.typing() {
		return l.typingKey(msg)
	}
	k := l.m.k
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
	case key.Matches(msg, k.NextTab):
		l.tab = (l.tab + 1) % len(data.Tabs)
		return l.load(true)
	case key.Matches(msg, k.PrevTab):
		l.tab = (l.tab + len(data.Tabs) - 1) % len(data.Tabs)
		return l.load(true)
	case key.Matches(msg, k.Refresh):
		return l.load(false)
	case key.Matches(msg, k.Filter):
		l.startInput(modeFilter, l.filter)
		return textinput.Blink
	case key.Matches(msg, k.Query):
		l.startInput(modeQuery, l.rawQuery)
		return textinput.Blink
	case key.Matches(msg, k.Back):
		if l.filter != "" {
			l.filter = ""
			l.applyFilter("")
		}
		return nil
	case key.Matches(msg, k.Open):
		if r, ok := l.selected(); ok {
			return l.m.openDetail(r.WorkflowID)
		}
		return nil
	default:
		return nil
	}
	l.clamp()
	return l.maybeMore()
}

// maybeMore loads the next page when the cursor nears the end of what is loaded.
func (l *listView) maybeMore() tea.Cmd {
	if l.next == nil || l.loading || l.filter != "" || l.cursor < len(l.visible)-l.rowsShown() {
		return nil
	}
	l.loading = true
	return fetchList(l.m.src, l.m.opts.Now, l.gen, l.query(), pageSize, l.next, true)
}

func (l *listView) startInput(mode inputMode, value string) {
	l.mode = mode
	l.input.SetValue(value)
	l.input.CursorEnd()
	l.input.Focus()
}

func (l *listView) typingKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		mode := l.mode
		l.mode = modeNone
		l.input.Blur()
		if mode == modeQuery {
			q := strings.TrimSpace(l.input.Value())
			l.pending = &q
			l.gen++
			l.queryErr = ""
			return l.load(false)
		}
		return nil
	case tea.KeyEsc:
		if l.mode == modeFilter {
			l.filter = ""
			l.applyFilter("")
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
