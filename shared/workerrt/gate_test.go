package workerrt

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

func TestGateFlagsAndTheSmokeFile(t *testing.T) {
	pipeline := Spec{Name: "worker-pipeline", TaskQueue: contract.PipelineQueue}
	_, err := parseGate(pipeline, nil, io.Discard)
	assert.ErrorContains(t, err, "--build-id is required")
	o, err := parseGate(pipeline, []string{"--build-id", "b2"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "matih-worker-pipeline", o.Deployment)
	assert.Nil(t, o.Smoke)

	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := write("smoke.yaml", "pipeline_id: rollout-smoke\nsource: {connection: canary, table: orders}\nmin_quality_score: 0\ndestination: {table: demo.smoke}\n")
	o, err = parseGate(pipeline, []string{"--build-id", "b2", "--smoke", good}, io.Discard)
	require.NoError(t, err)
	require.NotNil(t, o.Smoke)
	assert.Equal(t, "canary", o.Smoke.Source.Connection)

	for body, want := range map[string]string{
		"pipeline_id: x\nsource: {connection: canary, table: orders}\ndestination: {table: d.t}\ncolour: red\n": `unknown field "colour"`,
		"pipeline_id: x\nsource: {dsn: /etc/passwd, kind: sqlite, table: t}\ndestination: {table: d.t}\n":       "source.dsn",
		"pipeline_id: x\nsource: {connection: canary, table: orders}\n":                                         "destination",
		"{not yaml": "not valid YAML",
	} {
		_, err := parseGate(pipeline, []string{"--build-id", "b2", "--smoke", write("bad.yaml", body)}, io.Discard)
		assert.ErrorContains(t, err, want)
	}
	_, err = parseGate(Spec{Name: "worker-infra", TaskQueue: contract.InfraQueue}, []string{"--build-id", "b2", "--smoke", good}, io.Discard)
	assert.ErrorContains(t, err, "--smoke: a smoke pipeline runs on "+contract.PipelineQueue)
}
