// Package config holds the pipeline worker's own settings: where it stages data,
// which Iceberg catalog it writes to, and how it reaches Airflow.
package config

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/activities"
	"github.com/matih/ops/worker-pipeline/airflow"
	"github.com/matih/ops/worker-pipeline/extract"
	"github.com/matih/ops/worker-pipeline/lakehouse"
	"github.com/matih/ops/worker-pipeline/partition"
	"github.com/matih/ops/worker-pipeline/quality"
)

// Worker is the pipeline worker's configuration.
type Worker struct {
	StagingDir  string
	RowsPerFile int64
	Catalog     lakehouse.Config
	AirflowURL  string
	AirflowAPI  string
	AirflowPoll time.Duration
}

// RegisterFlags binds the flags; each is also read from MATIH_<FLAG>.
func (w *Worker) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&w.StagingDir, "staging-dir", ".data/staging", "folder for staged Parquet files (env MATIH_STAGING_DIR)")
	fs.Int64Var(&w.RowsPerFile, "rows-per-file", extract.DefaultRowsPerFile, "rows per staged Parquet file (env MATIH_ROWS_PER_FILE)")
	fs.StringVar(&w.Catalog.Type, "catalog-type", "sql", "Iceberg catalog: sql or rest (env MATIH_CATALOG_TYPE)")
	fs.StringVar(&w.Catalog.URI, "catalog-uri", ".data/iceberg/catalog.db", "SQLite file or postgres:// DSN (sql), or REST URL (env MATIH_CATALOG_URI)")
	fs.StringVar(&w.Catalog.Warehouse, "warehouse", ".data/iceberg/warehouse", "Iceberg warehouse folder or URL (env MATIH_WAREHOUSE)")
	fs.StringVar(&w.AirflowURL, "airflow-url", "", "Airflow base URL; empty means pipelines with a transform_dag are refused (env MATIH_AIRFLOW_URL)")
	fs.StringVar(&w.AirflowAPI, "airflow-api", "v1", "Airflow REST API: v1 (Airflow 2) or v2 (Airflow 3) (env MATIH_AIRFLOW_API)")
	fs.DurationVar(&w.AirflowPoll, "airflow-poll", 10*time.Second, "how often a running DAG run is polled (env MATIH_AIRFLOW_POLL)")
}

// Secret reads NAME from the environment, or the file named by NAME_FILE.
func Secret(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	if path := os.Getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// Validate checks the settings without touching anything.
func (w *Worker) Validate() error {
	if w.RowsPerFile < 1000 {
		return fmt.Errorf("--rows-per-file: expected at least 1000, got %d", w.RowsPerFile)
	}
	if w.AirflowPoll < 100*time.Millisecond {
		return fmt.Errorf("--airflow-poll: expected at least 100ms, got %s", w.AirflowPoll)
	}
	if w.Catalog.Type != "sql" && w.Catalog.Type != "rest" {
		return fmt.Errorf("--catalog-type: expected sql or rest, got %q", w.Catalog.Type)
	}
	if w.Catalog.Type == "sql" {
		if err := contract.ValidateCatalogURI(w.Catalog.URI); err != nil {
			return err
		}
	} else if !strings.HasPrefix(w.Catalog.URI, "http://") && !strings.HasPrefix(w.Catalog.URI, "https://") {
		return fmt.Errorf("--catalog-uri: a REST catalog needs an http(s) URL, got %q", w.Catalog.URI)
	}
	if w.AirflowPoll > 20*time.Second {
		return fmt.Errorf("--airflow-poll: expected at most 20s (the activity heartbeats on each poll, within its 30s heartbeat timeout), got %s", w.AirflowPoll)
	}
	if w.AirflowURL != "" {
		if _, err := w.airflowClient(); err != nil {
			return err
		}
	}
	return nil
}

// Build checks the settings and builds the activities; close releases the catalog.
func (w *Worker) Build(ctx context.Context) (*activities.Activities, func(), error) {
	if err := w.Validate(); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(w.StagingDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("--staging-dir: %w", err)
	}
	acts := &activities.Activities{
		Extractor:   &extract.Extractor{StagingRoot: w.StagingDir, RowsPerFile: w.RowsPerFile},
		Checker:     &quality.Checker{},
		AirflowPoll: w.AirflowPoll,
	}
	if w.AirflowURL != "" {
		c, err := w.airflowClient()
		if err != nil {
			return nil, nil, err
		}
		acts.Airflow = c
	}
	token, err := Secret("MATIH_ICEBERG_REST_TOKEN")
	if err != nil {
		return nil, nil, err
	}
	w.Catalog.RESTToken = token
	cat, closeCat, err := lakehouse.Open(ctx, w.Catalog)
	if err != nil {
		return nil, nil, err
	}
	acts.Loader = &lakehouse.Loader{Catalog: cat}
	acts.Partitions = &partition.Processor{Extractor: acts.Extractor, Writer: &lakehouse.PartitionWriter{Catalog: cat}}
	return acts, closeCat, nil
}

func (w *Worker) airflowClient() (*airflow.Client, error) {
	user := os.Getenv("MATIH_AIRFLOW_USERNAME")
	pass, err := Secret("MATIH_AIRFLOW_PASSWORD")
	if err != nil {
		return nil, err
	}
	token, err := Secret("MATIH_AIRFLOW_TOKEN")
	if err != nil {
		return nil, err
	}
	return airflow.New(airflow.Config{BaseURL: w.AirflowURL, APIVersion: w.AirflowAPI, Username: user, Password: pass, Token: token})
}
