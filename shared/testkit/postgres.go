package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	pgOnce sync.Once
	pgDSN  string
	pgErr  error
)

// PostgresAdminDSN returns a DSN for a role that may create databases. It comes from
// MATIH_TEST_PG_DSN, or from scripts/postgres.sh, which starts (and where needed
// installs) the local cluster and creates the test role.
func PostgresAdminDSN(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		if v := os.Getenv("MATIH_TEST_PG_DSN"); v != "" {
			pgDSN = v
			return
		}
		out, err := exec.Command(filepath.Join(RepoRoot(t), "scripts", "postgres.sh"), "dsn").Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			pgErr = fmt.Errorf("scripts/postgres.sh dsn: %v %s", err, stderr)
			return
		}
		pgDSN = strings.TrimSpace(string(out))
	})
	if pgErr != nil {
		t.Fatalf("testkit: PostgreSQL unavailable: %v", pgErr)
	}
	return pgDSN
}

// PostgresDB creates a fresh database for the test and drops it afterwards. The DSN
// it returns carries no password: the role's password comes from PGPASSWORD, which
// this sets for the test, as a worker would have it.
func PostgresDB(t testing.TB) string {
	t.Helper()
	admin := PostgresAdminDSN(t)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), time.Now().UnixNano())
	psql(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { psql(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	user, pass, hostport := parseAdmin(admin)
	t.Setenv("PGPASSWORD", pass)
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", user, hostport, name)
}

// Psql runs SQL against a DSN with the psql client and returns its unaligned output.
func Psql(t testing.TB, dsn, sql string) string {
	t.Helper()
	return psql(t, dsn, sql)
}

func psql(t testing.TB, dsn, sql string) string {
	t.Helper()
	cmd := exec.Command("psql", dsn, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql)
	cmd.Env = os.Environ()
	if _, pass, _ := parseAdmin(PostgresAdminDSN(t)); pass != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+pass)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v: %s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// parseAdmin splits postgres://user:pass@host:port/db into its parts.
func parseAdmin(dsn string) (user, pass, hostport string) {
	rest := strings.TrimPrefix(dsn, "postgres://")
	creds, after, _ := strings.Cut(rest, "@")
	user, pass, _ = strings.Cut(creds, ":")
	hostport, _, _ = strings.Cut(after, "/")
	return user, pass, hostport
}
