package app

import (
	"go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// marshalEvent writes an event in the JSON form `temporal workflow show -o json` uses,
// which the replayer reads back.
func marshalEvent(ev *history.HistoryEvent) ([]byte, error) {
	return protojson.Marshal(ev)
}
