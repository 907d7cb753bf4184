// Package app wires the infra worker: its flags, its backends and what it registers
// on the infra-workers queue.
package app

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/shared/workerrt"
	"github.com/matih/ops/worker-infra/internal/activities"
	"github.com/matih/ops/worker-infra/internal/icebergops"
	"github.com/matih/ops/worker-infra/internal/maintenance"
	"github.com/matih/ops/worker-infra/internal/migration"
)

// Defaults shared with worker-pipeline, so both workers see the same Iceberg tables.
// Relative paths are inside the data directory (--data-dir).
const (
	DefaultCatalogURI = "iceberg/catalog.db"
	DefaultWarehouse  = "iceberg/warehouse"
)

// Config is the worker's own configuration.
type Config struct {
	CatalogURI  string
	Warehouse   string
	S3          objstore.Settings
	Connections string
	// IcebergNamespaces are the namespaces maintenance and Iceberg migrations may
	// touch; empty: any the catalog has.
	IcebergNamespaces string
}

// Flags registers --catalog-uri, --warehouse and the S3 settings (env MATIH_CATALOG_URI,
// MATIH_WAREHOUSE, MATIH_S3_ENDPOINT, MATIH_S3_REGION, MATIH_S3_MAX_ATTEMPTS).
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.CatalogURI, "catalog-uri", DefaultCatalogURI, "Iceberg SQL catalog: a SQLite file path (relative: inside --data-dir) or a postgres:// URL, password from PGPASSWORD (env MATIH_CATALOG_URI)")
	fs.StringVar(&c.Warehouse, "warehouse", DefaultWarehouse, "Iceberg warehouse: a folder (relative: inside --data-dir), file:// or s3:// URL (env MATIH_WAREHOUSE)")
	c.S3.RegisterFlags(fs)
	connections.Flags(fs, &c.Connections)
	fs.StringVar(&c.IcebergNamespaces, "iceberg-namespaces", "", "the Iceberg namespaces maintenance and migrations may touch, comma-separated, a trailing * for a prefix; empty: any (env MATIH_ICEBERG_NAMESPACES)")
}

// Validate checks the settings before the worker connects.
func (c *Config) Validate() error {
	if err := contract.ValidateCatalogURI(c.CatalogURI); err != nil {
		return err
	}
	if strings.TrimSpace(c.Warehouse) == "" {
		return fmt.Errorf("--warehouse: expected a folder, a file:// or an s3:// URL")
	}
	if _, err := connections.Load(c.Connections); err != nil {
		return err
	}
	if _, err := contract.ParseAllowList("--iceberg-namespaces", c.IcebergNamespaces); err != nil {
		return err
	}
	return c.S3.Validate()
}

// Setup builds the backends and registers the activities (the runtime registers
// Workflows).
func (c *Config) Setup(ctx context.Context, env workerrt.Env, reg worker.Registry) (func(), error) {
	acts, cleanup, err := c.Activities(ctx)
	if err != nil {
		return nil, err
	}
	acts.Register(reg)
	env.Logger.Info("infra worker ready", "catalog_uri", c.CatalogURI, "warehouse", c.Warehouse)
	return cleanup, nil
}

// Register adds every workflow and activity of the infra worker.
func Register(reg worker.Registry, acts *activities.Activities) {
	Workflows(reg)
	acts.Register(reg)
}

// Workflows adds the infra worker's workflow types.
func Workflows(reg worker.WorkflowRegistry) {
	migration.Register(reg)
	maintenance.Register(reg)
}

// Activities builds the activity struct with its backends; the cleanup closes the
// Iceberg catalog.
func (c *Config) Activities(ctx context.Context) (*activities.Activities, func(), error) {
	conns, err := connections.Load(c.Connections)
	if err != nil {
		return nil, nil, err
	}
	namespaces, err := contract.ParseAllowList("--iceberg-namespaces", c.IcebergNamespaces)
	if err != nil {
		return nil, nil, err
	}
	cat, closeCat, err := icebergops.Open(c.CatalogURI, c.Warehouse, c.S3.IcebergProps())
	if err != nil {
		return nil, nil, err
	}
	return &activities.Activities{
		Postgres:   activities.NewPostgres(conns),
		Iceberg:    &icebergops.Backend{Catalog: cat},
		Tables:     &icebergops.Maintainer{Catalog: cat, Heartbeat: activity.RecordHeartbeat},
		Namespaces: namespaces,
	}, closeCat, nil
}
