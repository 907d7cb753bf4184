package console

import (
	"bytes"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
)

// How the workflows list loads: answers to the newest page and to next pages, the
// re-read of the rows on screen, and the refresh chain.

func (l *listView) gotList(e *env, msg listMsg) tea.Cmd {
	l.lastTook = msg.took
	if msg.gen != l.gen {
		return nil
	}
	if msg.token != nil {
		return l.gotPage(e, msg)
	}
	if msg.err != nil && l.pending != nil && data.IsInvalidQuery(msg.err) {
		l.queryErr = "query refused: " + present.OneLine(msg.err.Error())
		l.pending = nil
		l.gen++
		return l.armTick(e)
	}
	if msg.err != nil {
		return l.armTick(e)
	}
	if l.pending != nil {
		l.rawQuery, l.pending, l.queryErr = *l.pending, nil, ""
		l.reset()
	}
	l.adoptPageSize(msg)
	keep := l.selectedKey()
	l.next = l.nextAfterMerge(msg.page)
	if l.next == nil {
		l.paging = nil // the newest page is the whole list: a page still in flight is moot
	}
	l.rows = mergeNewest(l.rows, msg.page)
	l.loaded, l.fetchedAt = true, msg.at
	l.applyFilter(keep)
	return tea.Batch(l.armTick(e), fetchCounts(e.src, e.opts.Now, l.gen, l.rawQuery, l.runningQueues()))
}

// gotPage appends a next page, unless the list moved on since it was asked for.
func (l *listView) gotPage(e *env, msg listMsg) tea.Cmd {
	if !bytes.Equal(msg.token, l.paging) {
		return nil
	}
	l.paging = nil
	if msg.err != nil {
		l.toEnd = false
		return nil
	}
	l.adoptPageSize(msg)
	keep := l.selectedKey()
	l.rows = appendNew(l.rows, msg.page.Rows)
	l.next = msg.page.NextToken
	l.applyFilter(keep)
	if l.toEnd {
		if l.next == nil {
			l.toEnd = false
			l.cursor = len(l.visible) - 1
			l.clamp()
			return nil
		}
		return l.nextPage(e)
	}
	return nil
}

// refreshWindow reads again the rows on screen when they lie past the newest page,
// which the refresh covers: deep in the list they would otherwise keep the state they
// were paged in with.
func (l *listView) refreshWindow(e *env) tea.Cmd {
	if l.offset < l.pageSize || l.filter != "" {
		return nil
	}
	var ids []string
	for i := l.offset; i < len(l.visible) && i < l.offset+l.rowsShown(); i++ {
		id := l.rows[l.visible[i]].RunID
		if id != "" && !strings.ContainsAny(id, `'"\`) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return fetchWindow(e.src, e.opts.Now, l.gen, l.query(), ids)
}

// gotWindow lays the re-read rows over the loaded ones; a row asked for and not
// answered left the tab (it closed, or no longer matches) and goes.
func (l *listView) gotWindow(msg windowMsg) {
	fresh := make(map[string]data.Row, len(msg.page.Rows))
	for _, r := range msg.page.Rows {
		fresh[r.RunID] = r
	}
	asked := make(map[string]bool, len(msg.asked))
	for _, id := range msg.asked {
		asked[id] = true
	}
	keep := l.selectedKey()
	out := l.rows[:0:0]
	for _, r := range l.rows {
		if !asked[r.RunID] {
			out = append(out, r)
		} else if f, ok := fresh[r.RunID]; ok {
			out = append(out, f)
		}
	}
	l.rows = out
	l.applyFilter(keep)
}

// adoptPageSize follows the server's maximum: a page shorter than asked for that
// still has a next page shows the most the server gives at once.
func (l *listView) adoptPageSize(msg listMsg) {
	if n := len(msg.page.Rows); n > 0 && n < msg.size && msg.page.NextToken != nil {
		l.pageSize = n
	}
}

// nextAfterMerge keeps the token of the deepest page loaded; only when the newest
// page is all there is does the list end with it.
func (l *listView) nextAfterMerge(p data.Page) []byte {
	if !l.loaded || p.NextToken == nil {
		return p.NextToken
	}
	return l.next
}

// runningQueues are the task queues of running rows loaded, so that a queue nobody
// polls is called out whichever it is, not only ours (bounded).
func (l *listView) runningQueues() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range l.rows {
		if r.Status == status.WorkflowRunning && r.TaskQueue != "" && !seen[r.TaskQueue] && len(out) < maxQueuesChecked {
			seen[r.TaskQueue] = true
			out = append(out, r.TaskQueue)
		}
	}
	return out
}

const maxQueuesChecked = 20

// armTick schedules the next refresh, backing off while the server fails; any older
// tick is invalidated so only one refresh chain runs.
func (l *listView) armTick(e *env) tea.Cmd {
	l.tickGen++
	return listTick(l.interval(e), l.tickGen)
}

// interval is the refresh period: the configured one, doubled per consecutive failure,
// and never shorter than ten times the last list call, so a slow server is not hammered.
func (l *listView) interval(e *env) time.Duration {
	return max(backoff(e.opts.Refresh, e.conn.failures), min(10*l.lastTook, time.Minute))
}

// maybeMore loads the next page when the cursor nears the end of what is loaded.
func (l *listView) maybeMore(e *env) tea.Cmd {
	if l.filter != "" || l.cursor < len(l.visible)-l.rowsShown() {
		return nil
	}
	return l.nextPage(e)
}

func (l *listView) nextPage(e *env) tea.Cmd {
	if l.next == nil || l.paging != nil {
		return nil
	}
	l.paging = l.next
	return fetchList(e.src, e.opts.Now, l.gen, l.query(), l.pageSize, l.next)
}
