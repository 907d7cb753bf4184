// Package config holds the pipeline worker's own settings: the staging store every
// process of the queue shares, which Iceberg catalog it writes to, and how it
// reaches Airflow. Relative paths are inside the data directory (--data-dir).
package config

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/datadir"
	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/worker-pipeline/internal/activities"
	"github.com/matih/ops/worker-pipeline/internal/airflow"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
	"github.com/matih/ops/worker-pipeline/internal/partition"
	"github.com/matih/ops/worker-pipeline/internal/quality"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// DefaultStaging is the staging store when none is set: a folder in the data
// directory, right for one machine only. Production names a shared s3:// location.
const DefaultStaging = "staging"

// Worker is the pipeline worker's configuration.
type Worker struct {
	Connections string
	StagingURL  string
	S3          objstore.Settings
	RowsPerFile int64
	Catalog     lakehouse.Config
	AirflowURL  string
	AirflowAPI  string
	AirflowPoll time.Duration
	// AirflowDAGs and IcebergNamespaces are what workflow input may name: the DAGs
	// it may trigger, the namespaces it may write.
	AirflowDAGs       string
	IcebergNamespaces string
	// UniqueMemoryMiB bounds one unique quality check's memory before it spills.
	UniqueMemoryMiB  int64
	dags, namespaces contract.AllowList
	// conns is the connections file as Validate read it; Build uses that, so what
	// was checked is what runs.
	conns *connections.Registry
	// staging is the store's URL once Build opened it, for the start-up log.
	staging string
}

// RegisterFlags binds the flags; each is also read from MATIH_<FLAG>.
func (w *Worker) RegisterFlags(fs *flag.FlagSet) {
	connections.Flags(fs, &w.Connections)
	fs.StringVar(&w.StagingURL, "staging-url", DefaultStaging, "staging store every process of this queue shares: s3://bucket/prefix, file:///shared/folder, or a folder (relative: inside --data-dir) (env MATIH_STAGING_URL)")
	w.S3.RegisterFlags(fs)
	fs.Int64Var(&w.RowsPerFile, "rows-per-file", extract.DefaultRowsPerFile, "rows per staged Parquet file (env MATIH_ROWS_PER_FILE)")
	fs.StringVar(&w.Catalog.Type, "catalog-type", "sql", "Iceberg catalog: sql or rest (env MATIH_CATALOG_TYPE)")
	fs.StringVar(&w.Catalog.URI, "catalog-uri", "iceberg/catalog.db", "SQLite file (relative: inside --data-dir) or postgres:// DSN (sql), or REST URL (env MATIH_CATALOG_URI)")
	fs.StringVar(&w.Catalog.Warehouse, "warehouse", "iceberg/warehouse", "Iceberg warehouse: a folder (relative: inside --data-dir), file:// or s3:// URL (env MATIH_WAREHOUSE)")
	fs.StringVar(&w.AirflowURL, "airflow-url", "", "Airflow base URL; empty means pipelines with a transform_dag are refused (env MATIH_AIRFLOW_URL)")
	fs.StringVar(&w.AirflowAPI, "airflow-api", "v1", "Airflow REST API: v1 (Airflow 2) or v2 (Airflow 3) (env MATIH_AIRFLOW_API)")
	fs.DurationVar(&w.AirflowPoll, "airflow-poll", 10*time.Second, "how often a running DAG run is polled (env MATIH_AIRFLOW_POLL)")
	fs.StringVar(&w.AirflowDAGs, "airflow-dags", "", "the DAGs a pipeline's transform_dag may name, comma-separated, a trailing * for a prefix; required with --airflow-url (env MATIH_AIRFLOW_DAGS)")
	fs.Int64Var(&w.UniqueMemoryMiB, "unique-memory-mib", quality.DefaultUniqueMemory>>20, "memory one unique quality check may use before it spills its keys to files in the data directory; --concurrency checks may run at once (env MATIH_UNIQUE_MEMORY_MIB)")
	fs.StringVar(&w.IcebergNamespaces, "iceberg-namespaces", "", "the Iceberg namespaces pipelines and backfills may write, comma-separated, a trailing * for a prefix; empty: any the catalog has (env MATIH_ICEBERG_NAMESPACES)")
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
	if w.UniqueMemoryMiB < 16 || w.UniqueMemoryMiB > 64<<10 {
		return fmt.Errorf("--unique-memory-mib: expected 16 to 65536, got %d", w.UniqueMemoryMiB)
	}
	if w.AirflowPoll > 20*time.Second {
		return fmt.Errorf("--airflow-poll: expected at most 20s (the activity heartbeats on each poll, within its 30s heartbeat timeout), got %s", w.AirflowPoll)
	}
	if w.AirflowURL != "" {
		if _, err := w.airflowClient(); err != nil {
			return err
		}
	}
	var err error
	if w.dags, err = contract.ParseAllowList("--airflow-dags", w.AirflowDAGs); err != nil {
		return err
	}
	if w.AirflowURL != "" && w.dags.Empty() {
		return fmt.Errorf("--airflow-dags: with --airflow-url, name the DAGs pipelines may trigger (e.g. enrich,matih_*): otherwise input could trigger, and cancel, any DAG the token reaches")
	}
	if w.namespaces, err = contract.ParseAllowList("--iceberg-namespaces", w.IcebergNamespaces); err != nil {
		return err
	}
	conns, err := connections.Load(w.Connections)
	if err != nil {
		return err
	}
	w.conns = conns
	if strings.TrimSpace(w.StagingURL) == "" {
		return fmt.Errorf("--staging-url: expected an s3:// or file:// URL or a folder, got nothing")
	}
	return w.S3.Validate()
}

// Build checks the settings and builds the activities; close releases the catalog.
func (w *Worker) Build(ctx context.Context) (*activities.Activities, func(), error) {
	if err := w.Validate(); err != nil {
		return nil, nil, err
	}
	loc, err := w.S3.Open(ctx, "--staging-url", w.StagingURL)
	if err != nil {
		return nil, nil, err
	}
	store := staging.NewStore(loc)
	w.staging = store.URL()
	acts := &activities.Activities{
		Extractor:   &extract.Extractor{Store: store, Connections: w.conns, RowsPerFile: w.RowsPerFile},
		Checker:     &quality.Checker{Store: store, UniqueMemory: w.UniqueMemoryMiB << 20, SpillDir: datadir.Resolve("quality-spill")},
		AirflowPoll: w.AirflowPoll,
		Store:       store,
		DAGs:        w.dags,
		Namespaces:  w.namespaces,
	}
	if w.AirflowURL != "" {
		c, err := w.airflowClient()
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		acts.Airflow = c
	}
	token, err := Secret("MATIH_ICEBERG_REST_TOKEN")
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	w.Catalog.RESTToken = token
	w.Catalog.IOProps = w.S3.IcebergProps()
	cat, closeCat, err := lakehouse.Open(ctx, w.Catalog)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	acts.Loader = &lakehouse.Loader{Catalog: cat, Store: store}
	acts.Partitions = &partition.Processor{Extractor: acts.Extractor, Writer: &lakehouse.PartitionWriter{Catalog: cat, Store: store}, Namespaces: w.namespaces}
	return acts, func() { closeCat(); _ = store.Close() }, nil
}

// StagingLocation is the staging store's URL, once Build opened it.
func (w *Worker) StagingLocation() string { return w.staging }

// ConnectionNames are the connections workflows may name, once Validate read them.
func (w *Worker) ConnectionNames() []string { return w.conns.Names() }

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
