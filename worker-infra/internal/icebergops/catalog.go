// Package icebergops migrates and maintains Iceberg tables through iceberg-go: schema
// evolution with a snapshot tag as the backup, compaction and snapshot expiry.
package icebergops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/icebergcat"
)

// CatalogName is the catalog's name; worker-pipeline uses the same.
const CatalogName = icebergcat.Name

// Open opens the SQL catalog: a SQLite file by default, or a postgres:// DSN (its
// password from PGPASSWORD). The warehouse is a folder or a URI; props reach its IO.
func Open(uri, warehouse string, props map[string]string) (catalog.Catalog, func(), error) {
	return icebergcat.OpenSQL(uri, warehouse, props)
}

// loadTable loads "namespace.table"; a missing table is a ValidationError on field.
func loadTable(ctx context.Context, cat catalog.Catalog, field, name string) (*table.Table, table.Identifier, error) {
	if err := contract.ValidateIcebergTable(field, name); err != nil {
		return nil, nil, err
	}
	ident := catalog.ToIdentifier(strings.Split(name, ".")...)
	tbl, err := cat.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return nil, nil, contract.Invalid(field, "an existing Iceberg table; %q was not found in catalog %s", name, CatalogName)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", name, err)
	}
	return tbl, ident, nil
}

// parseType reads an Iceberg type name ("string", "long", "decimal(10,2)", ...).
func parseType(field, name string) (iceberg.Type, error) {
	var f iceberg.NestedField
	raw := fmt.Sprintf(`{"id":1,"name":"x","required":false,"type":%q}`, strings.ReplaceAll(strings.TrimSpace(name), " ", ""))
	if err := json.Unmarshal([]byte(raw), &f); err != nil || f.Type == nil {
		return nil, contract.Invalid(field, "an Iceberg type such as string, int, long, double, boolean, date, timestamp, decimal(10,2); got %q", name)
	}
	return f.Type, nil
}
