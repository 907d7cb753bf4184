package testkit

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

var identityRe = regexp.MustCompile(`"identity":\s*"[^"]*"`)

// WriteHistory records a workflow's history (runID "" for the latest run) as JSON at
// path, in the form `temporal workflow show -o json` writes and the replayer reads.
// Worker identities (pid@host) are replaced, so fixtures carry nothing of the machine
// they were recorded on.
func WriteHistory(t testing.TB, c client.Client, workflowID, runID, path string) {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("testkit: history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	b = identityRe.ReplaceAll(b, []byte(`"identity": "recorder"`))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s: %d events", path, len(h.Events))
}
