package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/matih/ops/shared/connections"
)

// SQLiteConn is a sqlite connection named name for the file at path.
func SQLiteConn(name, path string) connections.Connection {
	return connections.Connection{Name: name, Kind: connections.SQLite, Path: path}
}

// PostgresConn is a postgres connection named name for dsn (its password from
// PGPASSWORD, as PostgresDB sets it).
func PostgresConn(name, dsn string) connections.Connection {
	return connections.Connection{Name: name, Kind: connections.Postgres, DSN: dsn}
}

// MigrateConn is a postgres connection for migrations (use: [migrate]).
func MigrateConn(name, dsn string) connections.Connection {
	c := PostgresConn(name, dsn)
	c.Use = []string{connections.UseMigrate}
	return c
}

// SlowMigrateConn is MigrateConn whose statements may also call pg_sleep (a test's
// slow statement, to kill a worker in the middle of it) and to_regnamespace (a
// statement that fails only once the backup schema exists).
func SlowMigrateConn(name, dsn string) connections.Connection {
	c := MigrateConn(name, dsn)
	c.Migrate = &connections.MigrateSettings{Functions: []string{"pg_sleep", "to_regnamespace"}}
	return c
}

// Connections builds a registry of conns, failing the test on a bad one.
func Connections(t testing.TB, conns ...connections.Connection) *connections.Registry {
	t.Helper()
	r, err := connections.New(conns...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ConnectionsFile writes conns as a connections file in dir, for worker processes
// (--connections), and returns its path.
func ConnectionsFile(t testing.TB, dir string, conns ...connections.Connection) string {
	t.Helper()
	Connections(t, conns...) // checked as a worker would
	byName := map[string]connections.Connection{}
	for _, c := range conns {
		byName[c.Name] = c
	}
	b, err := yaml.Marshal(byName)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "connections.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
