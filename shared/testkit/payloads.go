package testkit

import (
	"context"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DecodedHistory is everything a workflow's history holds, as text: every event as
// protojson, and the data of every payload in it (inputs, results, heartbeats,
// failures, signals, memo, search attributes, headers) decoded. protojson alone
// shows payload data base64-encoded, where a secret would hide from a search. The
// pending activities' last heartbeats are added too.
func DecodedHistory(t testing.TB, c client.Client, workflowID string) string {
	t.Helper()
	var b strings.Builder
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("testkit: history of %s: %v", workflowID, err)
		}
		writeMessage(&b, ev)
	}
	if d, err := c.DescribeWorkflowExecution(context.Background(), workflowID, ""); err == nil {
		writeMessage(&b, d)
	}
	return b.String()
}

func writeMessage(b *strings.Builder, m proto.Message) {
	if raw, err := protojson.Marshal(m); err == nil {
		b.Write(raw)
		b.WriteByte('\n')
	}
	collectPayloads(m.ProtoReflect(), b)
}

// collectPayloads walks a message and writes the data and metadata of every
// Payload in it, at any depth.
func collectPayloads(m protoreflect.Message, b *strings.Builder) {
	if p, ok := m.Interface().(*commonpb.Payload); ok {
		b.Write(p.GetData())
		b.WriteByte('\n')
		for k, v := range p.GetMetadata() {
			b.WriteString(k + "=" + string(v) + "\n")
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				collectPayloads(l.Get(i).Message(), b)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				collectPayloads(mv.Message(), b)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			collectPayloads(v.Message(), b)
		}
		return true
	})
}

// NoSecretIn fails the test when any secret appears in text.
func NoSecretIn(t testing.TB, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("a secret (%.4s...) appears in %s", s, what)
		}
	}
}

// PlainPayloads lists the payloads in m, at any depth, that are not encrypted by
// shared/codec, as "field: encoding". Left out: search attributes, meant to stay
// readable and never seen by the codec, and what the server writes itself (the
// details "ACTIVITY_ID_NOT_STARTED" of an activity cancelled before it started).
func PlainPayloads(m proto.Message) []string {
	var out []string
	plainPayloads(m.ProtoReflect(), "", &out)
	return out
}

func plainPayloads(m protoreflect.Message, path string, out *[]string) {
	switch v := m.Interface().(type) {
	case *commonpb.SearchAttributes:
		return
	case *historypb.ActivityTaskCanceledEventAttributes:
		if v.GetStartedEventId() == 0 {
			return
		}
	case *commonpb.Payload:
		if enc := string(v.GetMetadata()["encoding"]); enc != "binary/encrypted" {
			*out = append(*out, path+": "+enc)
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := path + "." + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i, l := 0, v.List(); i < l.Len(); i++ {
				plainPayloads(l.Get(i).Message(), name, out)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				plainPayloads(mv.Message(), name, out)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			plainPayloads(v.Message(), name, out)
		}
		return true
	})
}
