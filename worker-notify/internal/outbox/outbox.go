// Package outbox is the embedded notification channel: it appends one JSON object per
// notification to a local file, so notifications work on one machine with nothing
// else configured.
package outbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/matih/ops/worker-notify/internal/channel"
)

// Line is one notification in the outbox file.
type Line struct {
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	Severity   string    `json:"severity"`
	WorkflowID string    `json:"workflow_id"`
	PipelineID string    `json:"pipeline_id"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	// Channels are the other channels the notification was routed to.
	Channels []string `json:"channels"`
	Command  string   `json:"command"`
	Payload  any      `json:"payload"`
}

// Outbox appends lines to one file; it is safe for concurrent activities.
type Outbox struct {
	path string
	mu   sync.Mutex
}

// Open checks that the file can be created and appended to, creating its folder.
func Open(path string) (*Outbox, error) {
	if path == "" {
		return nil, fmt.Errorf("--outbox: a file path expected")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("--outbox: %w", err)
	}
	// Notifications carry quality evidence, which may be personal data: the file is
	// the worker's alone, and one an older build created readable is closed down.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--outbox: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("--outbox: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("--outbox: %w", err)
	}
	return &Outbox{path: path}, nil
}

// Path is the outbox file.
func (o *Outbox) Path() string { return o.path }

// Send appends the message as one line, written with a single write so concurrent
// readers never see half a line.
func (o *Outbox) Send(m channel.Message, routed []string) error {
	if routed == nil {
		routed = []string{}
	}
	b, err := json.Marshal(Line{
		Time: m.Time.UTC(), Kind: m.Kind, Severity: m.Severity,
		WorkflowID: m.WorkflowID, PipelineID: m.PipelineID,
		Title: m.Title, Summary: m.Summary, Channels: routed,
		Command: m.ConsoleCommand(), Payload: m.Payload,
	})
	if err != nil {
		return channel.Permanent(channel.Outbox, "encode line: %v", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := os.OpenFile(o.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return channel.Temporary(channel.Outbox, 0, "open %s: %v", o.path, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return channel.Temporary(channel.Outbox, 0, "append to %s: %v", o.path, err)
	}
	if err := f.Close(); err != nil {
		return channel.Temporary(channel.Outbox, 0, "close %s: %v", o.path, err)
	}
	return nil
}

// ReadAll parses every line of an outbox file, for tests and tools.
func ReadAll(path string) ([]Line, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []Line
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var l Line
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, len(lines)+1, err)
		}
		lines = append(lines, l)
	}
	return lines, nil
}
