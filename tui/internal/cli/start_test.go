package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

var now = time.Date(2026, 2, 12, 6, 7, 8, 0, time.UTC)

func TestBuildStartReadsYAMLAndJSON(t *testing.T) {
	req, err := BuildStart("pipeline", "p.yaml", []byte(lowQuality), now)
	require.NoError(t, err)
	assert.Equal(t, "pipeline-sales-2026-02-12T06:07:08.000000", req.WorkflowID)
	assert.Equal(t, contract.DataPipelineWorkflow, req.WorkflowType)
	assert.Equal(t, contract.PipelineQueue, req.TaskQueue)
	cfg := req.Input.(contract.PipelineConfig)
	assert.Equal(t, time.Hour, cfg.ApprovalTimeout.D())
	assert.Equal(t, 0.9, cfg.MinQualityScore)

	req, err = BuildStart("migration", "m.json", []byte(`{"migration_id":"add_region","target":"postgres","connection":"sales","table":"public.sales",
		"statements":["ALTER TABLE public.sales ADD COLUMN region text"]}`), now)
	require.NoError(t, err)
	assert.Equal(t, "migration-add_region", req.WorkflowID)
	assert.Equal(t, contract.InfraQueue, req.TaskQueue)

	req, err = BuildStart("backfill", "b.yml", []byte(`pipeline_id: sales
source: {connection: sales, table: sales}
partition_column: sold_at
start_date: 2026-01-01
end_date: 2026-01-31
partition_size: day
destination: {table: analytics.sales}
`), now)
	require.NoError(t, err, "YAML dates stay strings")
	assert.Equal(t, "backfill-sales-2026-02-12T06:07:08.000000", req.WorkflowID)

	req, err = BuildStart("maintenance", "t.yaml", []byte("tables: [analytics.events, demo.orders]\nretain_last: 10\n"), now)
	require.NoError(t, err)
	assert.Equal(t, contract.TableMaintenanceWorkflow, req.WorkflowType)
	assert.Equal(t, contract.InfraQueue, req.TaskQueue)
	assert.Equal(t, "maintenance-2026-02-12T06:07:08.000000", req.WorkflowID)
	_, err = BuildStart("maintenance", "t.yaml", []byte("tables: []\n"), now)
	assert.Equal(t, ExitUsage, ExitCode(err), "a maintenance run needs tables")
}

func TestBuildStartRefusesBadConfigsNamingTheField(t *testing.T) {
	cases := map[string]string{
		"pipeline_id: s\nsource: {connection: sales, table: t}\ndestination: {table: a.b}\nmin_quality_score: 2\n": "min_quality_score",
		"pipeline_id: sales\nsourse: {}\n":          "sourse: unknown field",
		"pipeline_id: [unclosed\n":                  "not valid YAML",
		"pipeline_id: s\napproval_timeout: soon\n":  "approval_timeout: expected a duration",
		"pipeline_id: s\nmin_quality_score: high\n": "min_quality_score: expected float64, got string",
		"pipeline_id: s\nsource: {table: [a, b]}\n": "source.table: expected string, got array",
		"pipeline_id: s\nsource: {kind: sqlite, dsn: /etc/passwd, table: t}\ndestination: {table: a.b}\nmin_quality_score: 0.5\n": "invalid source.dsn: not accepted from workflow input",
	}
	for body, want := range cases {
		_, err := BuildStart("pipeline", "p.yaml", []byte(body), now)
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
		var ue usageError
		assert.True(t, errors.As(err, &ue), "bad config is a usage error (exit 2)")
	}
	_, err := BuildStart("nightly", "p.yaml", []byte("{}"), now)
	assert.Equal(t, ExitUsage, ExitCode(err))
}

func TestAConfigFileThatCannotBeReadOrIsTooLargeNamesTheFlag(t *testing.T) {
	dir := t.TempDir()
	_, err := readConfig(filepath.Join(dir, "missing.yaml"))
	assert.ErrorContains(t, err, "-f/--file: open ")
	assert.Equal(t, ExitUsage, ExitCode(err))

	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte("pipeline_id: s\nsource: {query: \"select '"+strings.Repeat("x", MaxConfigBytes)+"'\"}\n"), 0o600))
	_, err = readConfig(big)
	assert.ErrorContains(t, err, fmt.Sprintf("expected a config of at most %d bytes", MaxConfigBytes))
	assert.Equal(t, ExitUsage, ExitCode(err))
}
