package signals

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/contract"
)

// FuzzDecode feeds arbitrary payloads, of every encoding a sender can choose, to
// the decoder of the workflows' signals: it refuses them or decodes them, never
// panics.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{`{"approved":true,"approver":"ana","reason":"ok"}`, `"x"`, `12345`, `null`, `{"approved":"yes"}`, ``, "\xff"} {
		f.Add("json/plain", []byte(seed))
	}
	f.Add("binary/plain", []byte("raw"))
	f.Add("binary/null", []byte(nil))
	f.Add("json/protobuf", []byte(`{}`))
	f.Fuzz(func(t *testing.T, encoding string, data []byte) {
		p := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(encoding)}, Data: data}
		var a contract.ApprovalSignal
		_ = decode(converter.NewRawValue(p), &a)
		var c contract.CancelSignal
		_ = decode(converter.NewRawValue(p), &c)
		var s contract.PauseSignal
		_ = decode(converter.NewRawValue(p), &s)
	})
}
