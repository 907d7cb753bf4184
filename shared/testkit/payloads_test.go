package testkit

import (
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestPayloadDataIsSearchedDecoded: a secret in a signal's input is base64 in
// protojson, so a plain search misses it; the decoded text has it.
func TestPayloadDataIsSearchedDecoded(t *testing.T) {
	ev := &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{
		WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
			SignalName: "approval",
			Input: &commonpb.Payloads{Payloads: []*commonpb.Payload{{
				Metadata: map[string][]byte{"encoding": []byte("json/plain")},
				Data:     []byte(`{"approver":"ana","reason":"password hunter2-canary"}`),
			}}},
		},
	}}
	raw, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "hunter2-canary") {
		t.Fatal("protojson was expected to hide payload data in base64")
	}
	var b strings.Builder
	writeMessage(&b, ev)
	if !strings.Contains(b.String(), "hunter2-canary") {
		t.Fatalf("the decoded history misses the payload's data: %s", b.String())
	}
}
