// Package app wires the infra worker: its flags, its backends and what it registers
// on the infra-workers queue.
package app

import (
	"context"
	"flag"
	"fmt"
	"github.com/matih/ops/shared/contract"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/workerrt"
	"github.com/matih/ops/worker-infra/internal/activities"
	"github.com/matih/ops/worker-infra/internal/icebergops"
	"github.com/matih/ops/worker-infra/internal/maintenance"
	"github.com/matih/ops/worker-infra/internal/migration"
)

// Defaults shared with worker-pipeline, so both workers see the same Iceberg tables.
const (
	DefaultCatalogURI = ".data/iceberg/catalog.db"
	DefaultWarehouse  = ".data/iceberg/warehouse"
)

// Config is the worker's own configuration.
type Config struct {
	CatalogURI string
	Warehouse  string
}

// Flags registers --catalog-uri and --warehouse (env MATIH_CATALOG_URI, MATIH_WAREHOUSE).
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.CatalogURI, "catalog-uri", DefaultCatalogURI, "Iceberg SQL catalog: a SQLite file path or a postgres:// URL, password from PGPASSWORD (env MATIH_CATALOG_URI)")
	fs.StringVar(&c.Warehouse, "warehouse", DefaultWarehouse, "Iceberg warehouse folder or file:// URI for table data (env MATIH_WAREHOUSE)")
}

// Validate checks the settings before the worker connects.
func (c *Config) Validate() error {
	if err := contract.ValidateCatalogURI(c.CatalogURI); err != nil {
		return err
	}
	if strings.TrimSpace(c.Warehouse) == "" {
		return fmt.Errorf("--warehouse: expected a folder or a file:// URI")
	}
	return nil
}

// Setup builds the backends and registers workflows and activities.
func (c *Config) Setup(ctx context.Context, env workerrt.Env, reg worker.Registry) (func(), error) {
	acts, cleanup, err := c.Activities(ctx)
	if err != nil {
		return nil, err
	}
	Register(reg, acts)
	env.Logger.Info("infra worker ready", "catalog_uri", c.CatalogURI, "warehouse", c.Warehouse)
	return cleanup, nil
}

// Register adds every workflow and activity of the infra worker.
func Register(reg worker.Registry, acts *activities.Activities) {
	migration.Register(reg)
	maintenance.Register(reg)
	acts.Register(reg)
}

// Activities builds the activity struct with its backends; the cleanup closes the
// Iceberg catalog.
func (c *Config) Activities(ctx context.Context) (*activities.Activities, func(), error) {
	cat, closeCat, err := icebergops.Open(c.CatalogURI, c.Warehouse)
	if err != nil {
		return nil, nil, err
	}
	return &activities.Activities{
		Postgres: activities.NewPostgres(),
		Iceberg:  &icebergops.Backend{Catalog: cat},
		Tables:   &icebergops.Maintainer{Catalog: cat, Heartbeat: activity.RecordHeartbeat},
	}, closeCat, nil
}
