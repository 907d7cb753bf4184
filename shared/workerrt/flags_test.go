package workerrt

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

var testSpec = Spec{Name: "worker-x", TaskQueue: "q", DefaultHTTPAddr: "127.0.0.1:9100",
	Setup: func(context.Context, Env, worker.Registry) (func(), error) { return nil, nil }}

func TestDefaultsAndEnv(t *testing.T) {
	o, err := Parse(testSpec, nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 10, o.Concurrency)
	assert.Equal(t, "127.0.0.1:9100", o.HTTPAddr)

	t.Setenv("MATIH_CONCURRENCY", "4")
	o, err = Parse(testSpec, nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 4, o.Concurrency)

	o, err = Parse(testSpec, []string{"--concurrency", "7"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 7, o.Concurrency, "flags win over env")
}

func TestBadInputNamesTheProblem(t *testing.T) {
	cases := map[string][]string{
		"--concurrency":  {"--concurrency", "0"},
		"--http-addr":    {"--http-addr", "nope"},
		"--log-level":    {"--log-level", "loud"},
		"address":        {"--address", "localhost"},
		"not defined":    {"--bogus"},
		"unexpected arg": {"extra"},
	}
	for want, args := range cases {
		_, err := Parse(testSpec, args, io.Discard)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), map[string]string{"unexpected arg": "unexpected argument"}[want]+func() string {
			if want == "unexpected arg" {
				return ""
			}
			return want
		}())
	}
	t.Setenv("MATIH_CONCURRENCY", "many")
	_, err := Parse(testSpec, nil, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MATIH_CONCURRENCY")
}
