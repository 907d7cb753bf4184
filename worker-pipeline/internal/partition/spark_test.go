package partition

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/spark"
	"github.com/matih/ops/worker-pipeline/internal/spark/sparktest"
)

// TestPartitionsRunAsSparkJobs runs a batch of a spark source: one job per
// partition with its bounds as arguments, each job writing what the source holds
// in those bounds, and the batch still commits once with exactly the source's rows.
func TestPartitionsRunAsSparkJobs(t *testing.T) {
	f := newFixture(t)
	sqlite := f.proc.Extractor
	cluster := &extract.Extractor{Store: sqlite.Store, Connections: sqlite.Connections}
	livy := sparktest.New(func(ctx context.Context, req spark.BatchRequest) ([]string, error) {
		arg := func(name string) string {
			for i := 0; i+1 < len(req.Args); i++ {
				if req.Args[i] == name {
					return req.Args[i+1]
				}
			}
			return ""
		}
		start, err := time.Parse(time.RFC3339, arg("--matih-partition-start"))
		if err != nil {
			return nil, err
		}
		end, _ := time.Parse(time.RFC3339, arg("--matih-partition-end"))
		prefix, err := cluster.Store.Resolve("--matih-output", arg("--matih-output"))
		if err != nil {
			return nil, err
		}
		q := fmt.Sprintf("SELECT * FROM %s WHERE %s >= '%s' AND %s < '%s'", arg("--matih-table"), arg("--matih-partition-column"),
			start.Format("2006-01-02"), arg("--matih-partition-column"), end.Format("2006-01-02"))
		res, err := cluster.Extract(ctx, contract.ExtractInput{PipelineID: "job", RunID: "job", OutputPrefix: prefix,
			Source: contract.SourceConfig{Connection: "orders", Query: q}}, extract.Progress{}, nil)
		return []string{fmt.Sprintf("wrote %d rows", res.Rows)}, err
	}, "", "")
	t.Cleanup(livy.Close)
	lake := connections.Connection{Name: "lake", Kind: connections.Spark, URL: livy.URL,
		Spark: &connections.SparkSettings{Files: []string{"s3a://jobs/"}, Poll: "100ms"}}
	f.proc.Extractor = &extract.Extractor{Store: sqlite.Store, Connections: testkit.Connections(t, testkit.SQLiteConn("orders", f.src), lake)}

	b := f.batch(contract.ReprocessAll, 2, 3, 4)
	b.Source = contract.SourceConfig{Connection: "lake", Table: "orders", Spark: &contract.SparkJob{File: "s3a://jobs/orders.py"}}
	out, err := f.run(b, nil)
	require.NoError(t, err)
	require.Len(t, out.Results, 3)
	for k, i := range []int{2, 3, 4} {
		r := out.Results[k]
		assert.Equal(t, contract.PartitionDone, r.Status, r.Error)
		assert.Equal(t, f.sourceRows(i), r.Rows, "partition %d", i)
		assert.Equal(t, f.sourceRows(i), f.tableRows(i), "partition %d in the table", i)
	}
	assert.Len(t, f.snapshots(), 1, "three jobs, one commit")
	reqs := livy.Submitted()
	require.Len(t, reqs, 3)
	assert.Contains(t, reqs[0].Name, "p-2026-01-03")
	assert.Contains(t, reqs[0].Args, "2026-01-03T00:00:00Z")
	assert.Contains(t, reqs[0].Args, "2026-01-04T00:00:00Z")

	b.Source.Spark.File = "s3a://elsewhere/evil.py"
	_, err = f.run(b, nil)
	assert.ErrorContains(t, err, "source.spark.file", "a file outside the connection's spark.files is refused")
	assert.Len(t, livy.Submitted(), 3, "and nothing was submitted")
}
