package api

import (
	"errors"
	"testing"
)

// FuzzDecodeBodies feeds arbitrary bytes to every body decoder: each must answer
// a value or a 400 naming what is wrong, never panic or anything else.
func FuzzDecodeBodies(f *testing.F) {
	for _, seed := range []string{approveBody, `{"name":"cancel","data":{"reason":"x"}}`, backfillBody, migrationBody,
		`{"min_quality_score":0.5,"approval_timeout":"2h"}`, `{"approval_timeout":90}`, `{"source":{"x":[{"y":1}]}}`, "", "null", "[]", `{"a":`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(name string, err error) {
			var ae *apiError
			if err != nil && (!errors.As(toAPIError(err), &ae) || ae.status != 400 || ae.detail.Message == "") {
				t.Fatalf("%s: %q: want a 400, got %v", name, body, err)
			}
		}
		_, err := DecodeSignal(body, "fuzz")
		check("signal", err)
		_, err = DecodeExecutionParams(body)
		check("execute", err)
		_, err = DecodeBackfill(body)
		check("backfill", err)
		_, err = DecodeMigration(body)
		check("migration", err)
	})
}
