// Package audit appends one JSON line per console or CLI action to a local file, so an
// operator can answer "who approved this, when and why" from the bastion itself.
// Each line carries the SHA-256 of the line before it, so a line changed, removed or
// inserted later breaks the chain at that point, which Verify finds.
package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
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
	// Session and Client describe an SSH session's lines: the key's fingerprint
	// and where the client connected from.
	Session string `json:"session,omitempty"`
	Client  string `json:"client,omitempty"`
	// Prev is the hex SHA-256 of the line before this one (of "" for the first).
	Prev string `json:"prev"`
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

// Append writes one entry as a JSON line chained to the line before it, creating
// the file (0600) and folder as needed. Processes appending to one file take turns
// (an exclusive flock), so the chain holds across them.
func (l *Log) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	f, err := os.OpenFile(l.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("audit log %s: lock: %w", l.Path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing unlocks too
	last, err := lastLine(f)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	e.Prev = digest(last)
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	return f.Sync()
}

// lastLine is the file's last line without its newline ("" for an empty file). It
// reads backwards from the end, so a long log costs no more than a short one.
func lastLine(f *os.File) ([]byte, error) {
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end == 0 {
		return nil, err
	}
	var line []byte
	buf := make([]byte, 4096)
	pos := end - 1 // the final newline
	for pos > 0 {
		n := int64(len(buf))
		if pos < n {
			n = pos
		}
		if _, err := f.ReadAt(buf[:n], pos-n); err != nil {
			return nil, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return append(append([]byte{}, buf[i+1:n]...), line...), nil
		}
		line = append(append([]byte{}, buf[:n]...), line...)
		pos -= n
	}
	return line, nil
}

func digest(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// Verify reads an audit log and reports the first line whose chain breaks: a line
// changed, removed or inserted before it. It returns the number of lines checked.
func Verify(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var prev []byte
	n := 0
	for sc.Scan() {
		n++
		var e struct {
			Prev *string `json:"prev"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return n, fmt.Errorf("line %d: not a JSON audit line: %w", n, err)
		}
		if e.Prev == nil {
			return n, fmt.Errorf("line %d: no prev: written before the log was chained, or altered", n)
		}
		if *e.Prev != digest(prev) {
			return n, fmt.Errorf("line %d: prev does not match the line before it: a line was changed, removed or inserted at or before line %d", n, n)
		}
		prev = append(prev[:0], sc.Bytes()...)
	}
	return n, sc.Err()
}

// Sending is the outcome of the line written before an action is sent: an action
// whose line cannot be written is not sent, so every action sent has a line.
const Sending = "sending"

// Outcome renders an action's error as the audit outcome: "ok" or "error: ...".
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return "error: " + err.Error()
}
