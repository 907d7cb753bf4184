// Package icebergcat opens the Iceberg SQL catalog both workers write to: a SQLite
// file by default, or PostgreSQL (its password from PGPASSWORD or .pgpass), with the
// warehouse in a local folder or at a file:// or s3:// URL. One place, so the
// pipeline and infra workers always agree on the catalog's name and settings.
// Relative paths are inside the data directory.
package icebergcat

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // s3:// warehouses
	_ "github.com/jackc/pgx/v5/stdlib"             // PostgreSQL SQL catalog
	_ "modernc.org/sqlite"                         // SQLite SQL catalog

	"github.com/matih/ops/shared/datadir"
)

// Name is the catalog's name in every worker.
const Name = "matih"

// OpenSQL opens the SQL catalog at uri (a SQLite file path or a postgres:// URL) with
// the given warehouse; a local warehouse folder is created. props reach the
// warehouse's IO (objstore.Settings.IcebergProps for s3://). close releases it.
func OpenSQL(uri, warehouse string, props map[string]string) (cat catalog.Catalog, close func(), err error) {
	if !strings.Contains(warehouse, "://") {
		abs := datadir.Resolve(warehouse)
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, nil, fmt.Errorf("--warehouse: %w", err)
		}
		warehouse = "file://" + abs
	}
	if !isPostgres(uri) {
		uri = datadir.Resolve(uri)
	}
	db, dialect, err := openDB(uri)
	if err != nil {
		return nil, nil, err
	}
	cprops := iceberg.Properties{"warehouse": warehouse}
	for k, v := range props {
		cprops[k] = v
	}
	sc, err := sqlcat.NewCatalog(Name, db, dialect, cprops)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open Iceberg SQL catalog %s: %w", uri, err)
	}
	return sc, func() { _ = sc.Close() }, nil
}

// idleConns is how many catalog connections stay open between calls: one, so the
// next commit finds it ready. A burst of concurrent loads opens more (two
// descriptors each on SQLite: the file and its WAL; the shared memory is one per
// process), and those close as soon as the burst is over. With database/sql's default of two, a worker
// kept a second connection for the rest of its life after its first burst; with an
// idle timeout instead, a quiet minute closed the last one, and the next load paid
// for opening it again.
const idleConns = 1

func isPostgres(uri string) bool {
	return strings.HasPrefix(uri, "postgres://") || strings.HasPrefix(uri, "postgresql://")
}

// openDB opens the catalog's database: PostgreSQL for a postgres:// URL, otherwise
// the SQLite file at the path uri.
func openDB(uri string) (*sql.DB, sqlcat.SupportedDialect, error) {
	var db *sql.DB
	var dialect sqlcat.SupportedDialect
	var err error
	if isPostgres(uri) {
		db, err = sql.Open("pgx", uri)
		dialect = sqlcat.Postgres
	} else {
		if err := os.MkdirAll(filepath.Dir(uri), 0o755); err != nil {
			return nil, "", fmt.Errorf("--catalog-uri: %w", err)
		}
		// WAL and a busy timeout let several workers share one SQLite catalog.
		db, err = sql.Open("sqlite", "file:"+uri+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)")
		dialect = sqlcat.SQLite
	}
	if err != nil {
		return nil, "", fmt.Errorf("--catalog-uri: %w", err)
	}
	db.SetMaxIdleConns(idleConns)
	return db, dialect, nil
}
