package lakehouse

import (
	"context"
	"log/slog"
)

// rerunWarning is what iceberg-go logs, at warn level, whenever an overwrite writes
// fewer rows than its filter deleted.
const rerunWarning = "Overwrite produced fewer rows than deleted"

// QuietRerunWarning wraps a handler so that iceberg-go's rerunWarning is logged at
// debug level, with the reason, instead of as a warning. A partition rerun after its
// source lost rows is exactly that, and it is expected: every rerun of a partition
// whose source shrank would otherwise log a warning that looks like data loss.
func QuietRerunWarning(next slog.Handler) slog.Handler { return quietHandler{next} }

type quietHandler struct{ next slog.Handler }

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l <= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == rerunWarning && r.Level == slog.LevelWarn {
		q := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { q.AddAttrs(a); return true })
		q.AddAttrs(slog.String("why", "a partition overwrite replaced rows with fewer: expected when a rerun partition's source shrank"))
		r = q
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.next.WithAttrs(as)}
}
func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.next.WithGroup(name)}
}
