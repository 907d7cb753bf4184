package contract

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func f(v float64) *float64 { return &v }

func validPipeline() PipelineConfig {
	return PipelineConfig{
		PipelineID:      "daily-sales-etl",
		Source:          SourceConfig{Connection: "orders", Table: "orders"},
		MinQualityScore: 0.9,
		QualityChecks:   []QualityCheck{{Type: CheckNotNull, Columns: []string{"amount"}}},
		Destination:     DestinationConfig{Table: "analytics.orders"},
	}
}

func TestPipelineConfigJSONUsesSeedFieldNames(t *testing.T) {
	cfg := validPipeline()
	cfg.TransformDAG = "sales_transform"
	cfg.ApprovalTimeout = Duration(4 * time.Hour)
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, field := range []string{`"source"`, `"min_quality_score"`, `"transform_dag"`, `"destination"`, `"approval_timeout":"4h0m0s"`, `"pipeline_id"`} {
		assert.Contains(t, string(b), field)
	}
	var back PipelineConfig
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, cfg, back)
}

func TestResultsRoundTrip(t *testing.T) {
	cases := []any{
		&ExtractionResult{OutputPath: "/s/x", Files: []string{"a.parquet"}, Rows: 3, Schema: []ColumnSchema{{Name: "id", Type: "int64"}}},
		&QualityResult{Score: 0.5, Rows: 10, Checks: []CheckResult{{Name: "not_null(amount)", Type: CheckNotNull, FailedRows: 5, Samples: []string{"id=3"}}}},
		&LoadResult{Table: "a.b", Rows: 3, SnapshotID: 42, IdempotencyKey: "k"},
		&PipelineResult{Status: StatusCompleted, RowsProcessed: 3, Duration: Duration(time.Minute), HistoryLength: 30},
		&BackfillResult{PartitionsProcessed: 2, TotalRows: 9, Elapsed: Duration(time.Second)},
		&MigrationResult{Status: StatusRolledBack, MigrationID: "m1"},
		&ApprovalSignal{Approved: true, Approver: "ana@bastion", Reason: "known gap"},
		&CancelSignal{RequestedBy: "ana", Reason: "wrong day"},
		&FailureNotification{NotificationHeader: NotificationHeader{WorkflowID: "w", PipelineID: "p", Summary: "s"}, Error: "boom", Activity: "extract_data", Attempts: 3},
	}
	wantFields := [][]string{
		{`"output_path"`, `"rows"`, `"schema"`},
		{`"score"`, `"checks"`, `"failed_rows"`, `"samples"`},
		{`"rows"`, `"snapshot_id"`, `"idempotency_key"`},
		{`"status"`, `"rows_processed"`, `"duration":"1m0s"`, `"history_length"`},
		{`"partitions_processed"`, `"total_rows"`},
		{`"status":"ROLLED_BACK"`, `"migration_id"`},
		{`"approved"`, `"approver"`, `"reason"`},
		{`"requested_by"`, `"reason"`},
		{`"workflow_id"`, `"pipeline_id"`, `"error"`, `"activity"`, `"attempts"`},
	}
	for i, v := range cases {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		for _, fld := range wantFields[i] {
			assert.Contains(t, string(b), fld, "%T", v)
		}
	}
	var qr QualityResult
	require.NoError(t, json.Unmarshal([]byte(`{"score":0.25,"rows":4,"checks":[{"name":"n","type":"unique","passed":false,"failed_rows":3}]}`), &qr))
	assert.Equal(t, 0.25, qr.Score)
	assert.Equal(t, int64(3), qr.Checks[0].FailedRows)
}

func TestDurationAcceptsStringsAndSeconds(t *testing.T) {
	var d Duration
	require.NoError(t, json.Unmarshal([]byte(`"90s"`), &d))
	assert.Equal(t, 90*time.Second, d.D())
	require.NoError(t, json.Unmarshal([]byte(`30`), &d))
	assert.Equal(t, 30*time.Second, d.D())
	err := json.Unmarshal([]byte(`"soon"`), &d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expected a duration")
}

func TestPipelineValidationNamesTheField(t *testing.T) {
	require.NoError(t, validPipeline().Validate())
	cases := map[string]func(*PipelineConfig){
		"source.connection":      func(c *PipelineConfig) { c.Source = SourceConfig{Table: "orders"} },
		"min_quality_score":      func(c *PipelineConfig) { c.MinQualityScore = 1.5 },
		"source.dsn":             func(c *PipelineConfig) { c.Source.DSN = "/etc/passwd" },
		"destination.table":      func(c *PipelineConfig) { c.Destination.Table = "orders" },
		"pipeline_id":            func(c *PipelineConfig) { c.PipelineID = "bad id!" },
		"source.query":           func(c *PipelineConfig) { c.Source.Table = ""; c.Source.Query = "DELETE FROM orders" },
		"quality_checks[0].type": func(c *PipelineConfig) { c.QualityChecks[0].Type = "vibes" },
	}
	for field, mutate := range cases {
		cfg := validPipeline()
		mutate(&cfg)
		err := cfg.Validate()
		var ve *ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", field, err)
		assert.Equal(t, field, ve.Field)
		assert.NotEmpty(t, ve.Expected)
	}
	cfg := validPipeline()
	cfg.Source.Kind = "oracle"
	assert.Contains(t, cfg.Validate().Error(), `got "oracle"`)
}

func TestWorkersTakeConnectionsNeverDSNs(t *testing.T) {
	legacy := SourceConfig{Kind: SourceSQLite, DSN: "/var/lib/other/secrets.db", Table: "orders"}
	require.NoError(t, legacy.Validate("source"), "runs started before connections still validate")
	err := legacy.RequireConnection("source")
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "source.dsn", ve.Field)
	assert.Contains(t, ve.Expected, "name a connection the worker defines")
	named := SourceConfig{Connection: "orders", Table: "orders"}
	require.NoError(t, named.Validate("source"))
	require.NoError(t, named.RequireConnection("source"))
	bad := SourceConfig{Connection: "../db", Table: "orders"}
	require.True(t, errors.As(bad.Validate("source"), &ve))
	assert.Equal(t, "source.connection", ve.Field)
}

func TestPasswordsInAnyDSNFormAreFound(t *testing.T) {
	for _, dsn := range []string{"postgres://u:pw@h/db", "postgres://u@h/db?sslmode=disable&password=pw", "host=h user=u password = pw", "password=pw host=h"} {
		assert.True(t, DSNHasPassword(dsn), dsn)
	}
	for _, dsn := range []string{"postgres://u@h/db?sslmode=disable", "host=h user=u dbname=passwords", "/data/orders.db"} {
		assert.False(t, DSNHasPassword(dsn), dsn)
	}
}

func TestPostgresDSNWithPasswordIsRefused(t *testing.T) {
	s := SourceConfig{Kind: SourcePostgres, DSN: "postgres://u:hunter2canary@db/x", Table: "t"}
	err := s.Validate("source")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PGPASSWORD")
	assert.NotContains(t, err.Error(), "hunter2canary")
}

func TestBackfillValidation(t *testing.T) {
	ok := BackfillConfig{PipelineID: "p", Source: SourceConfig{Kind: SourceSQLite, DSN: "x.db", Table: "orders"},
		PartitionColumn: "order_date", StartDate: "2026-01-01", EndDate: "2026-03-01", PartitionSize: PartitionDay,
		Destination: DestinationConfig{Table: "a.orders"}}
	require.NoError(t, ok.Validate())
	bad := ok
	bad.EndDate = "2025-12-01"
	assert.Contains(t, bad.Validate().Error(), "end_date")
	bad = ok
	bad.PartitionSize = "fortnight"
	assert.Contains(t, bad.Validate().Error(), "partition_size")
	bad = ok
	bad.MaxParallel = 5000
	assert.Contains(t, bad.Validate().Error(), "max_parallel")
	bad = ok
	bad.HistoryLimit = 10
	assert.Contains(t, bad.Validate().Error(), "history_limit")
}

func TestMigrationValidation(t *testing.T) {
	ok := MigrationConfig{MigrationID: "m_001", Target: TargetPostgres, DSN: "postgres://u@h/db", Table: "orders", Statements: []string{"ALTER TABLE orders ADD COLUMN x int"}}
	require.NoError(t, ok.Validate())
	empty := ok
	empty.Statements = nil
	assert.Contains(t, empty.Validate().Error(), "empty")
	bad := ok
	bad.MigrationID = "1-bad"
	assert.Contains(t, bad.Validate().Error(), "migration_id")
	qualified := ok
	qualified.Table = "public.orders"
	require.NoError(t, qualified.Validate())
	for _, table := range []string{"orders; DROP TABLE x", "a.b.c", "public.", "\"orders\""} {
		bad = ok
		bad.Table = table
		assert.ErrorContains(t, bad.Validate(), "invalid table: a table such as", table)
	}
}

func TestWorkflowIDs(t *testing.T) {
	at := time.Date(2026, 2, 12, 6, 0, 0, 123456000, time.FixedZone("x", 3600))
	assert.Equal(t, "pipeline-daily-sales-etl-2026-02-12T05:00:00.123456", PipelineWorkflowID("daily-sales-etl", at))
	assert.True(t, strings.HasPrefix(BackfillWorkflowID("p", at), "backfill-p-2026-02-12T05"))
	assert.Equal(t, "migration-m_001", MigrationWorkflowID("m_001"))
}

func TestCatalogURIs(t *testing.T) {
	assert.NoError(t, ValidateCatalogURI(".data/iceberg/catalog.db"))
	assert.NoError(t, ValidateCatalogURI("postgres://iceberg@db:5432/iceberg?sslmode=require"))
	assert.ErrorContains(t, ValidateCatalogURI("postgres://iceberg:pw@db/iceberg"), "no password")
	assert.ErrorContains(t, ValidateCatalogURI("host=db user=iceberg"), "key=value")
	assert.ErrorContains(t, ValidateCatalogURI(""), "--catalog-uri")
}
