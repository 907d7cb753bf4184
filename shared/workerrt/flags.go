package workerrt

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// envName maps a flag to its environment variable: --http-addr -> MATIH_HTTP_ADDR.
func envName(flagName string) string {
	return "MATIH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag the command line did not set from its MATIH_* variable,
// so flags win over env and env wins over defaults. Connection flags are skipped:
// the Temporal client reads TEMPORAL_* itself.
func applyEnv(fs *flag.FlagSet, skip map[string]bool) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] || skip[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// installDefault makes the process logger, wrapped by spec.LogHandler, slog's
// default and so also the log package's: libraries that log through either
// (iceberg-go uses both) write where the worker does, at its level and format.
// The handler must not write through the log package itself: slog would hand the
// log package's output back to it, and the two would wait on one lock for ever.
func installDefault(spec Spec, h slog.Handler) *slog.Logger {
	if spec.LogHandler != nil {
		h = spec.LogHandler(h)
	}
	l := slog.New(h)
	slog.SetDefault(l)
	return l
}

// newLogger builds the process logger from --log-level and --log-format.
func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: expected debug, info, warn or error, got %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: expected text or json, got %q", format)
}
