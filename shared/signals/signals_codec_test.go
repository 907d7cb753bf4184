package signals

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/codec"
	"github.com/matih/ops/shared/contract"
)

// TestSignalThroughCodec holds decode's premise: the worker's converter decrypts a
// signal's payload before the workflow's RawValue sees it, so the plain JSON
// converter reads it; the encrypted payload itself does not decode.
func TestSignalThroughCodec(t *testing.T) {
	ring, err := codec.NewRing(codec.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)})
	require.NoError(t, err)
	dc := codec.DataConverter(ring)
	sent := contract.ApprovalSignal{Approved: true, Approver: "ana", Reason: "checked the sample"}
	encrypted, err := dc.ToPayload(sent)
	require.NoError(t, err)
	require.NotContains(t, string(encrypted.GetData()), "checked the sample", "the payload is not encrypted")

	var raw converter.RawValue
	require.NoError(t, dc.FromPayload(encrypted, &raw))
	var got contract.ApprovalSignal
	require.NoError(t, decode(raw, &got))
	require.Equal(t, sent, got)

	require.Error(t, decode(converter.NewRawValue(encrypted), &got), "an encrypted payload decoded without its key")
}
