package workerrt

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer the log package and slog may write to at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// levelShift is a LogHandler as a worker passes one: it changes a record and
// hands it on.
type levelShift struct{ next slog.Handler }

func (h levelShift) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }
func (h levelShift) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(slog.Bool("shifted", true))
	return h.next.Handle(ctx, r)
}
func (h levelShift) WithAttrs(as []slog.Attr) slog.Handler { return levelShift{h.next.WithAttrs(as)} }
func (h levelShift) WithGroup(n string) slog.Handler       { return levelShift{h.next.WithGroup(n)} }

// TestLibraryLogsReachTheWorkersHandler: a library's log.Printf and slog calls go
// through the wrapped process handler, and return. A wrapper around slog's own
// default handler deadlocked here: the log package's lock, taken again by the
// handler it had handed the line to, held an Iceberg commit for ever.
func TestLibraryLogsReachTheWorkersHandler(t *testing.T) {
	prevOut, prevFlags, prevDefault := log.Writer(), log.Flags(), slog.Default()
	var out syncBuffer
	spec := Spec{LogHandler: func(h slog.Handler) slog.Handler { return levelShift{h} }}
	installDefault(spec, slog.NewTextHandler(&out, nil))

	done := make(chan struct{})
	go func() {
		log.Printf("Warning: unable to delete old metadata file %s", "v3.metadata.json")
		slog.Warn("from slog's default")
		close(done)
	}()
	select {
	case <-done:
		// Restored only when the log package is free: on a deadlock, restoring would
		// wait on its lock too.
		t.Cleanup(func() { slog.SetDefault(prevDefault); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
	case <-time.After(5 * time.Second):
		t.Fatal("a log.Printf through the process handler never returned")
	}
	require.Contains(t, out.String(), "unable to delete old metadata file v3.metadata.json")
	assert.Contains(t, out.String(), "from slog's default")
	assert.Contains(t, out.String(), "shifted=true", "the worker's wrapper saw the library's line")
}
