// Package audit appends one JSON line per console or CLI action to a local file, so an
// operator can answer "who approved this, when and why" from the bastion itself.
package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// EnvPath overrides the default audit log path.
const EnvPath = "MATIH_AUDIT_LOG"

// Entry is one line of the audit log.
type Entry struct {
	Time     time.Time `json:"time"`
	Identity string    `json:"identity"`
	Action   string    `json:"action"`
	Workflow string    `json:"workflow"`
	Reason   string    `json:"reason,omitempty"`
	Outcome  string    `json:"outcome"`
}

// DefaultPath is $MATIH_AUDIT_LOG, else $XDG_STATE_HOME/matih/audit.log, else
// ~/.local/state/matih/audit.log.
func DefaultPath() string {
	if p := os.Getenv(EnvPath); p != "" {
		return p
	}
	if s := os.Getenv("XDG_STATE_HOME"); s != "" {
		return filepath.Join(s, "matih", "audit.log")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "matih-audit.log")
	}
	return filepath.Join(home, ".local", "state", "matih", "audit.log")
}

// Log appends entries to one file; safe for concurrent use.
type Log struct {
	Path string
	mu   sync.Mutex
}

// Append writes one entry as a JSON line, creating the file (0600) and folder as needed.
func (l *Log) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	f, err := os.OpenFile(l.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	return nil
}

// Outcome renders an action's error as the audit outcome: "ok" or "error: ...".
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return "error: " + err.Error()
}
