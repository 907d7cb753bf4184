// Package signals reads workflow signals without ever blocking on a bad one. A
// signal is received as a raw payload and decoded here, so an undecodable value is
// refused and counted instead of being dropped inside the SDK's Receive, which
// would then wait for the next good value and stall the workflow's loop.
package signals

import (
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// Refusals records the signals a workflow refused; the status document shows them.
type Refusals struct {
	count int
	last  *contract.RefusedSignal
}

// Refuse records one refused signal and logs it.
func (r *Refusals) Refuse(ctx workflow.Context, name, reason string) {
	r.count++
	r.last = &contract.RefusedSignal{Name: name, Reason: reason, At: workflow.Now(ctx)}
	workflow.GetLogger(ctx).Warn("signal refused", "signal", name, "reason", reason)
}

// Summary is the status document's view, nil when nothing was refused.
func (r *Refusals) Summary() *contract.SignalRefusals {
	if r.count == 0 {
		return nil
	}
	last := *r.last
	return &contract.SignalRefusals{Count: r.count, Last: &last}
}

// Restore carries refusals over continue-as-new.
func (r *Refusals) Restore(s *contract.SignalRefusals) {
	if s != nil {
		r.count = s.Count
		if s.Last != nil {
			last := *s.Last
			r.last = &last
		}
	}
}

// ReceiveAsync takes the next pending value of c into out without blocking. It
// reports false when nothing is pending, and true with a non-nil error when a value
// was taken but could not be decoded (it is consumed either way).
func ReceiveAsync(c workflow.ReceiveChannel, out any) (bool, error) {
	var raw converter.RawValue
	if !c.ReceiveAsync(&raw) {
		return false, nil
	}
	return true, decode(raw, out)
}

// decode converts a signal's payload with the plain JSON converter. That is right
// with encryption on too: the worker's configured converter (codec.DataConverter)
// has already decrypted the payload when it filled the RawValue, so what is left is
// JSON. TestSignalThroughCodec holds this.
func decode(raw converter.RawValue, out any) error {
	if raw.Payload() == nil {
		return nil // a signal sent without input: out keeps its zero value
	}
	if err := converter.GetDefaultDataConverter().FromPayload(raw.Payload(), out); err != nil {
		return fmt.Errorf("payload does not decode: %v", err)
	}
	return nil
}
