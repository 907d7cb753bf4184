package outbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih/ops/worker-notify/internal/channel"
)

func TestSendAppendsOneLinePerNotification(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "outbox.jsonl")
	o, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := channel.Message{Time: time.Unix(1700000000, 0), Kind: "failure", Severity: "critical",
				WorkflowID: fmt.Sprintf("wf-%d", i), PipelineID: "orders", Title: "t", Summary: "s",
				Payload: map[string]any{"error": strings.Repeat("x", 5000)}}
			if err := o.Send(m, []string{"pagerduty", "slack"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	lines, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 20 {
		t.Fatalf("%d lines, want 20", len(lines))
	}
	raw, _ := os.ReadFile(path)
	first := strings.SplitN(string(raw), "\n", 2)[0]
	var obj map[string]any
	if err := json.Unmarshal([]byte(first), &obj); err != nil {
		t.Fatalf("first line is not one JSON object: %v", err)
	}
	for _, k := range []string{"time", "kind", "severity", "workflow_id", "pipeline_id", "title", "summary", "channels", "command", "payload"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("line lacks %q: %s", k, first[:200])
		}
	}
	if lines[0].Command != "matih status "+lines[0].WorkflowID || lines[0].Time.Location() != time.UTC {
		t.Errorf("line %+v", lines[0])
	}
}

func TestOpenRefusesUnwritablePath(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(blocker, "outbox.jsonl")); err == nil || !strings.Contains(err.Error(), "--outbox") {
		t.Fatalf("got %v", err)
	}
}
