package notifications

import (
	"bytes"
	"encoding/json"

	"github.com/matih/ops/shared/contract"
)

// fit returns raw, or when it is over contract.MaxNotificationPayload, the same
// JSON with long strings and long lists cut, ever shorter until it fits: a huge
// error message or sample list still reaches the on-call engineer, shortened, not
// refused by the delivery's validation and lost. Every field keeps its type, and
// no string is cut below contract.MaxWorkflowIDLength, so the ids and dedup keys
// a channel routes on stay whole. It is a pure function of raw, so a replay
// computes the same payload.
func fit(raw json.RawMessage) json.RawMessage {
	if len(raw) <= contract.MaxNotificationPayload {
		return raw
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a row count above 2^53 stays exact
	if dec.Decode(&v) != nil {
		return raw
	}
	for step := 0; step < 8; step++ {
		text, items := max(8192>>step, contract.MaxWorkflowIDLength), max(256>>(2*step), 1)
		out, err := json.Marshal(shorten(v, text, items))
		if err == nil && len(out) <= contract.MaxNotificationPayload {
			return out
		}
	}
	return raw // still too large: the delivery refuses it, saying so
}

// shorten copies v with every string cut to text runes and every list to its
// first items elements.
func shorten(v any, text, items int) any {
	switch x := v.(type) {
	case string:
		return contract.Trunc(x, text)
	case []any:
		out := make([]any, 0, min(len(x), items))
		for _, e := range x[:min(len(x), items)] {
			out = append(out, shorten(e, text, items))
		}
		return out
	case map[string]any:
		// Each key's value is shortened on its own, so the copy is the same map
		// whatever the order keys are visited in.
		out := make(map[string]any, len(x))
		//workflowcheck:ignore
		for k, e := range x {
			out[k] = shorten(e, text, items)
		}
		return out
	}
	return v
}
