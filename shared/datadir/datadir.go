// Package datadir is the one folder a MATIH process keeps its local files in. Every
// relative path in a setting is resolved against it, never against the working
// directory, so a process behaves the same wherever it is started.
package datadir

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Env names the environment variable that sets the data directory.
const Env = "MATIH_DATA_DIR"

var (
	mu  sync.RWMutex
	dir string
)

// Default is the data directory when neither --data-dir nor MATIH_DATA_DIR is
// given: $XDG_STATE_HOME/matih, else ~/.local/state/matih.
func Default() string {
	if v := os.Getenv(Env); v != "" {
		return v
	}
	if v := os.Getenv("XDG_STATE_HOME"); v != "" {
		return filepath.Join(v, "matih")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "matih")
	}
	return filepath.Join(os.TempDir(), "matih")
}

// Set fixes the process's data directory; a relative one is made absolute once, here.
func Set(d string) error {
	abs, err := filepath.Abs(d)
	if err != nil {
		return err
	}
	mu.Lock()
	dir = abs
	mu.Unlock()
	return nil
}

// Dir is the process's data directory (Default until Set is called).
func Dir() string {
	mu.RLock()
	d := dir
	mu.RUnlock()
	if d == "" {
		d, _ = filepath.Abs(Default())
	}
	return d
}

// Resolve returns p unchanged when it is absolute or a URL (it holds "://"), and
// otherwise p inside the data directory.
func Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(Dir(), p)
}
