package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/spark"
)

// ErrTypeSparkJobFailed is the error type of a Spark job that ended dead, killed or
// in error, or that succeeded without writing output: not retried as transient.
const ErrTypeSparkJobFailed = "SparkJobFailed"

// livyHTTP is shared by every Livy client, so connections are pooled.
var livyHTTP = &http.Client{Timeout: 30 * time.Second}

// submitter is the Spark service of a connection: Livy, or what SparkFor gives.
func (e *Extractor) submitter(conn connections.Connection) (spark.Submitter, error) {
	if e.SparkFor != nil {
		return e.SparkFor(conn)
	}
	user, pw, token, err := conn.Credentials()
	if err != nil {
		return nil, err
	}
	return spark.NewLivy(spark.LivyConfig{URL: conn.URL, Username: user, Password: pw, Token: token, HTTP: livyHTTP})
}

// extractSpark runs the source's Spark job, which writes Parquet under dir, and
// describes what it wrote. The job is named after the workflow run and the step, so
// a retry re-attaches to it; only a cancel asked for by the workflow deletes it.
func (e *Extractor) extractSpark(ctx context.Context, in contract.ExtractInput, conn connections.Connection, dir string, beat func(Progress)) (contract.ExtractionResult, error) {
	req, err := e.sparkRequest(ctx, in, conn, dir)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	sub, err := e.submitter(conn)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	every, _ := conn.SparkPoll() // checked when the connections were loaded
	run := spark.Run{Request: req, Every: every,
		Beat:      func(string) { beatIf(beat) },
		Cancelled: func() bool { return temporal.IsCanceledError(context.Cause(ctx)) },
		Fresh: func(ctx context.Context) error {
			_, err := e.Store.Delete(ctx, dir) // a dead attempt's partial output
			return err
		}}
	b, err := spark.RunToEnd(ctx, sub, run)
	var failed *spark.JobFailedError
	if errors.As(err, &failed) {
		return contract.ExtractionResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeSparkJobFailed, err)
	}
	if err != nil {
		return contract.ExtractionResult{}, fmt.Errorf("spark job %s on %s: %w", req.Name, conn, err)
	}
	files, err := e.Store.Files(ctx, dir)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	if len(files) == 0 {
		lines, _ := sub.LogTail(ctx, b.ID, 20)
		err := fmt.Errorf("spark job %s (batch %d) succeeded but wrote no part-*.parquet files to %s; last lines of its log:\n%s",
			req.Name, b.ID, e.Store.URLOf(dir), strings.Join(lines, "\n"))
		return contract.ExtractionResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeSparkJobFailed, err)
	}
	rows, schema, err := e.Store.Describe(ctx, files)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	desc := make([]contract.ColumnSchema, len(schema.Fields()))
	for i, f := range schema.Fields() {
		desc[i] = contract.ColumnSchema{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable}
	}
	return contract.ExtractionResult{OutputPath: e.Store.URLOf(dir), Files: files, Rows: rows, Schema: desc}, nil
}

func beatIf(beat func(Progress)) {
	if beat != nil {
		beat(Progress{})
	}
}

// sparkRequest is the batch to submit: the source's job file (one the connection
// allows) or the connection's SQL job, the caller's arguments, then the worker's
// --matih-* arguments, and the connection's job settings.
func (e *Extractor) sparkRequest(ctx context.Context, in contract.ExtractInput, conn connections.Connection, dir string) (spark.BatchRequest, error) {
	file, err := SparkFile(conn, in.Source)
	if err != nil {
		return spark.BatchRequest{}, err
	}
	job := contract.SparkJob{}
	if in.Source.Spark != nil {
		job = *in.Source.Spark
	}
	set := conn.Spark
	args := append([]string{}, job.Args...)
	args = append(args, "--matih-output", e.sparkURL(conn, dir))
	if q := strings.TrimSpace(in.Source.Query); q != "" {
		args = append(args, "--matih-query", strings.TrimRight(q, ";"))
	}
	if in.Source.Table != "" {
		args = append(args, "--matih-table", in.Source.Table)
	}
	if len(in.Source.Columns) > 0 {
		args = append(args, "--matih-columns", strings.Join(in.Source.Columns, ","))
	}
	step := "extract"
	if p := in.Partition; p != nil {
		step = "p-" + p.Key
		args = append(args, "--matih-partition-column", p.Column,
			"--matih-partition-start", p.Start.UTC().Format(time.RFC3339), "--matih-partition-end", p.End.UTC().Format(time.RFC3339))
	}
	wf, run := in.PipelineID, in.RunID
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		wf, run = info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	}
	return spark.BatchRequest{File: file, ClassName: job.ClassName, Args: args, Name: spark.JobName(wf, run, step),
		Conf: set.Conf, Queue: set.Queue, ProxyUser: set.ProxyUser, DriverMemory: set.DriverMemory,
		ExecutorMemory: set.ExecutorMemory, ExecutorCores: set.ExecutorCores, NumExecutors: set.NumExecutors}, nil
}

// SparkFile is the application a spark source runs on conn: its own file, which
// must lie under the connection's spark.files, or the connection's SQL job for a
// query, which the connection must allow (spark.allow_queries) and which may not
// call JVM code or read paths (spark.RefusedInQuery). Anything else is a ValidationError naming the field, before any submission.
func SparkFile(conn connections.Connection, src contract.SourceConfig) (string, error) {
	file := ""
	if src.Spark != nil {
		file = src.Spark.File
	}
	if q := strings.TrimSpace(src.Query); q != "" {
		if !conn.Spark.AllowQueries {
			return "", contract.Invalid("source.query", "a table or a job file: connection %s takes no queries (spark.allow_queries is off)", conn.Name)
		}
		if what := spark.RefusedInQuery(q); what != "" {
			return "", contract.Invalid("source.query", "a query without %s: it runs code or reads paths outside the connection's allow-lists", what)
		}
	}
	switch {
	case file != "" && !conn.AllowsFile(file):
		return "", contract.Invalid("source.spark.file", "a file under the spark.files of connection %s (%s), got %q",
			conn.Name, strings.Join(conn.Spark.Files, ", "), contract.Trunc(file, 120))
	case file == "" && conn.Spark.SQLFile == "":
		return "", contract.Invalid("source.query", "a spark.file: connection %s has no spark.sql_file to run a query with", conn.Name)
	case file == "":
		return conn.Spark.SQLFile, nil
	}
	return file, nil
}

// sparkURL is where the job writes dir, as the cluster addresses the staging store.
func (e *Extractor) sparkURL(conn connections.Connection, dir string) string {
	if root := conn.Spark.StagingURL; root != "" {
		return strings.TrimRight(root, "/") + "/" + dir
	}
	return e.Store.URLOf(dir)
}
