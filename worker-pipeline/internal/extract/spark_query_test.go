package extract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
)

// TestSparkQueriesOnlyWhereTheConnectionAllows: a query on a spark source reaches
// the cluster's SQL with the job's grants, so it needs the connection's
// allow_queries, and even then may not call JVM code or read a path.
func TestSparkQueriesOnlyWhereTheConnectionAllows(t *testing.T) {
	closed := connections.Connection{Name: "lake", Kind: connections.Spark,
		Spark: &connections.SparkSettings{Files: []string{"s3a://jobs/extract/"}}}
	open := connections.Connection{Name: "lake", Kind: connections.Spark,
		Spark: &connections.SparkSettings{Files: []string{"s3a://jobs/extract/"}, SQLFile: "s3a://jobs/extract/sql.py", AllowQueries: true}}
	src := func(q string) contract.SourceConfig { return contract.SourceConfig{Connection: "lake", Query: q} }

	_, err := SparkFile(closed, src("SELECT id FROM orders"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "source.query")
	assert.Contains(t, err.Error(), "allow_queries")
	withJob := src("SELECT id FROM orders")
	withJob.Spark = &contract.SparkJob{File: "s3a://jobs/extract/orders.py"}
	_, err = SparkFile(closed, withJob)
	assert.ErrorContains(t, err, "allow_queries", "a job file does not carry a query past the connection")

	file, err := SparkFile(open, src("SELECT id FROM orders"))
	require.NoError(t, err)
	assert.Equal(t, "s3a://jobs/extract/sql.py", file)
	for q, what := range map[string]string{
		"SELECT java_method('java.lang.System', 'getenv', 'AWS_SECRET_ACCESS_KEY')": "java_method()",
		"SELECT * FROM parquet.`s3a://another-team/`":                               "parquet.`path`",
	} {
		_, err := SparkFile(open, src(q))
		require.Error(t, err, q)
		assert.Contains(t, err.Error(), what)
		var v *contract.ValidationError
		assert.ErrorAs(t, err, &v, "a refusal is final, not retried")
	}
}
