// Package lakehouse loads staged data into Iceberg tables through iceberg-go: a SQL
// catalog (SQLite file by default, PostgreSQL in production) or a REST catalog, with
// the warehouse in a local folder by default.
package lakehouse

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/icebergcat"
)

// CatalogName is the catalog's name in every backend.
const CatalogName = icebergcat.Name

// Config selects the catalog. Secrets for a PostgreSQL catalog come from PGPASSWORD;
// a REST catalog's token from MATIH_ICEBERG_REST_TOKEN.
type Config struct {
	Type      string // "sql" or "rest"
	URI       string // SQLite file, postgres:// DSN, or REST base URL
	Warehouse string // folder (or URL) for table data
	RESTToken string
	// IOProps reach the warehouse's IO (objstore.Settings.IcebergProps for s3://).
	IOProps map[string]string
}

// Open connects to the catalog. The returned close function releases it.
func Open(ctx context.Context, cfg Config) (catalog.Catalog, func(), error) {
	switch cfg.Type {
	case "", "sql":
		return openSQL(cfg)
	case "rest":
		opts := []rest.Option{}
		if len(cfg.IOProps) > 0 {
			opts = append(opts, rest.WithAdditionalProps(iceberg.Properties(cfg.IOProps)))
		}
		if cfg.Warehouse != "" {
			opts = append(opts, rest.WithWarehouseLocation(cfg.Warehouse))
		}
		if cfg.RESTToken != "" {
			opts = append(opts, rest.WithOAuthToken(cfg.RESTToken))
		}
		cat, err := rest.NewCatalog(ctx, CatalogName, cfg.URI, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("catalog-uri: REST catalog %s: %w", cfg.URI, err)
		}
		return cat, func() {}, nil
	}
	return nil, nil, fmt.Errorf("catalog-type: expected sql or rest, got %q", cfg.Type)
}

func openSQL(cfg Config) (catalog.Catalog, func(), error) {
	return icebergcat.OpenSQL(cfg.URI, cfg.Warehouse, cfg.IOProps)
}

// Ident parses "namespace.table".
func Ident(name string) (table.Identifier, error) {
	if err := contract.ValidateIcebergTable("destination.table", name); err != nil {
		return nil, err
	}
	return catalog.ToIdentifier(strings.Split(name, ".")...), nil
}

// EnsureNamespace creates the table's namespace when it is missing.
func EnsureNamespace(ctx context.Context, cat catalog.Catalog, ident table.Identifier) error {
	ns := catalog.NamespaceFromIdent(ident)
	ok, err := cat.CheckNamespaceExists(ctx, ns)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if err := cat.CreateNamespace(ctx, ns, nil); err != nil {
		if ok, _ := cat.CheckNamespaceExists(ctx, ns); ok {
			return nil // created concurrently
		}
		return err
	}
	return nil
}
