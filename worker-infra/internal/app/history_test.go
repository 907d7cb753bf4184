package app

import (
	"regexp"

	"go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

var identityRe = regexp.MustCompile(`"identity":"[^"]*"`)

// marshalEvent writes an event in the JSON form `temporal workflow show -o json` uses,
// which the replayer reads back. Worker identities (pid@host) are replaced, so the
// recorded files carry nothing of the machine they were recorded on.
func marshalEvent(ev *history.HistoryEvent) ([]byte, error) {
	b, err := protojson.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return identityRe.ReplaceAll(b, []byte(`"identity":"recorder"`)), nil
}
