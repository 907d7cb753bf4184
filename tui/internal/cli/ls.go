package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/matih/ops/tui/internal/data"
)

// lsPageSize is what ls asks visibility for at a time: the server's usual maximum.
const lsPageSize = 1000

// page is one page of rows, or the error that ended the listing.
type page struct {
	rows []data.Row
	err  error
}

// pages lists q page by page, at most limit rows (0: all), asking for the next page
// while the caller writes the current one. The channel closes after the last page
// or an error; cancelling ctx stops it.
func pages(ctx context.Context, src data.Source, q string, limit int) <-chan page {
	out := make(chan page, 1) // one page ahead
	go func() {
		defer close(out)
		var token []byte
		n := 0
		for {
			size := lsPageSize
			if limit > 0 {
				size = min(size, limit-n)
			}
			p, err := src.List(ctx, q, size, token)
			if err != nil {
				out <- page{err: err}
				return
			}
			if limit > 0 && n+len(p.Rows) > limit {
				p.Rows = p.Rows[:limit-n]
			}
			n += len(p.Rows)
			select {
			case out <- page{rows: p.Rows}:
			case <-ctx.Done():
				return
			}
			if token = p.NextToken; token == nil || (limit > 0 && n >= limit) {
				return
			}
		}
	}()
	return out
}

// rowWriter writes rows as they arrive: a table aligned per page, a JSON array
// written incrementally (the same document `json` would write for all rows), or
// one compact JSON object per line.
type rowWriter interface {
	page(rows []data.Row) error
	end() error
}

func newRowWriter(w io.Writer, output string, now time.Time) rowWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch output {
	case "json":
		return &jsonArray{w: bw}
	case "jsonl":
		return &jsonLines{w: bw, enc: json.NewEncoder(bw)}
	}
	return &tablePages{w: bw, now: now}
}

type jsonArray struct {
	w *bufio.Writer
	n int
}

func (j *jsonArray) page(rows []data.Row) error {
	for _, r := range rows {
		b, err := json.MarshalIndent(r, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if j.n == 0 {
			sep = "[\n  "
		}
		j.n++
		if _, err := j.w.WriteString(sep); err != nil {
			return err
		}
		if _, err := j.w.Write(b); err != nil {
			return err
		}
	}
	return j.w.Flush()
}

func (j *jsonArray) end() error {
	closing := "\n]\n"
	if j.n == 0 {
		closing = "[]\n"
	}
	if _, err := j.w.WriteString(closing); err != nil {
		return err
	}
	return j.w.Flush()
}

type jsonLines struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func (j *jsonLines) page(rows []data.Row) error {
	for _, r := range rows {
		if err := j.enc.Encode(r); err != nil {
			return err
		}
	}
	return j.w.Flush()
}

func (j *jsonLines) end() error { return j.w.Flush() }

type tablePages struct {
	w      *bufio.Writer
	now    time.Time
	header bool
}

func (t *tablePages) page(rows []data.Row) error {
	rowTable(t.w, rows, t.now, !t.header)
	t.header = true
	return t.w.Flush()
}

func (t *tablePages) end() error {
	if !t.header {
		rowTable(t.w, nil, t.now, true)
	}
	return t.w.Flush()
}

// streamRows writes q's rows as the pages arrive, in flat memory whatever the count.
func (a *App) streamRows(ctx context.Context, src data.Source, q string, limit int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := newRowWriter(a.Out, a.Output, time.Now())
	for p := range pages(ctx, src, q, limit) {
		if p.err != nil {
			return p.err
		}
		if err := w.page(p.rows); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return w.end()
}
